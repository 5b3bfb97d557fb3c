// No cluster runs here, so this reads deploy/kubernetes as a cluster would (every file the
// kustomization lists, each YAML document) and checks what matters: probes on the apps' real health
// endpoints and ports, resources on every container, the restricted security context, secrets only by
// reference, migrations before any app container starts, the autoscaler and disruption budget on the
// gateway, and variables the apps actually declare.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { z } from 'zod';
import { envSchema as dashboardEnv } from '../apps/dashboard/src/env.ts';
import { envSchema as gatewayEnv } from '../apps/gateway/src/env.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dir = path.join(root, 'deploy/kubernetes');

interface Container {
  name: string;
  image: string;
  command?: string[];
  ports?: Array<{ name?: string; containerPort: number }>;
  env?: Array<{ name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }>;
  envFrom?: Array<{ configMapRef?: { name: string }; secretRef?: { name: string } }>;
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: {
    allowPrivilegeEscalation?: boolean;
    readOnlyRootFilesystem?: boolean;
    capabilities?: { drop?: string[]; add?: string[] };
    privileged?: boolean;
  };
  volumeMounts?: Array<{ name: string; mountPath: string }>;
}
interface Probe {
  httpGet?: { path: string; port: string | number };
  tcpSocket?: { port: string | number };
}
interface PodSpec {
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number; seccompProfile?: { type: string } };
  initContainers?: Container[];
  containers: Container[];
  volumes?: Array<{ name: string; emptyDir?: unknown }>;
  automountServiceAccountToken?: boolean;
  hostNetwork?: boolean;
  hostPID?: boolean;
}
interface Resource {
  apiVersion: string;
  kind: string;
  metadata: { name: string; annotations?: Record<string, string> };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
}

const kustomization = parseAllDocuments(
  readFileSync(path.join(dir, 'kustomization.yaml'), 'utf8'),
)[0]!.toJS() as {
  resources: string[];
  images: Array<{ name: string }>;
};
const resources: Resource[] = kustomization.resources.flatMap((file) =>
  parseAllDocuments(readFileSync(path.join(dir, file), 'utf8')).map((d) => d.toJS() as Resource),
);
const find = (kind: string, name: string) => {
  const r = resources.find((x) => x.kind === kind && x.metadata.name === name);
  if (!r) throw new Error(`no ${kind} ${name}`);
  return r;
};
const podOf = (r: Resource): PodSpec => (r.spec as { template: { spec: PodSpec } }).template.spec;
const workloads = resources.filter((r) => r.kind === 'Deployment' || r.kind === 'Job');
const config = find('ConfigMap', 'portcullis-config').data!;

describe('deploy/kubernetes', () => {
  it('lists every manifest of the folder, and each parses to Kubernetes objects', () => {
    const files = readdirSync(dir).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');
    expect([...kustomization.resources].sort()).toEqual(files.sort());
    for (const r of resources) {
      expect(r.apiVersion, JSON.stringify(r.metadata)).toMatch(/^[a-z./]*v\d/);
      expect(r.metadata.name).toMatch(/^portcullis-/);
    }
  });

  it('probes the apps’ real health endpoints on their real ports', () => {
    const gateway = podOf(find('Deployment', 'portcullis-gateway')).containers[0]!;
    expect(gateway.ports).toEqual([{ name: 'http', containerPort: Number(config.GATEWAY_PORT) }]);
    expect(gateway.readinessProbe?.httpGet).toEqual({ path: '/readyz', port: 'http' });
    expect(gateway.livenessProbe?.httpGet).toEqual({ path: '/healthz', port: 'http' });
    // The gateway listens on all interfaces in a pod (its default is loopback).
    expect(config.GATEWAY_HOST).toBe('0.0.0.0');
    const handler = readFileSync(path.join(root, 'apps/gateway/src/http/http-handler.ts'), 'utf8');
    expect(handler).toContain("path === '/readyz'");
    expect(handler).toContain("path === '/healthz'");

    const dashboard = podOf(find('Deployment', 'portcullis-dashboard')).containers[0]!;
    expect(dashboard.ports).toEqual([{ name: 'http', containerPort: 3000 }]);
    expect(dashboard.readinessProbe?.httpGet).toEqual({ path: '/api/health', port: 'http' });
    // Liveness does not depend on the database (a PostgreSQL outage must not restart every replica).
    expect(dashboard.livenessProbe?.tcpSocket).toEqual({ port: 'http' });
    readFileSync(path.join(root, 'apps/dashboard/src/app/api/health/route.ts'), 'utf8');
    // Services reach the named ports.
    for (const name of ['portcullis-gateway', 'portcullis-dashboard'])
      expect(
        (find('Service', name).spec as { ports: Array<{ targetPort: string }> }).ports[0]!.targetPort,
      ).toBe('http');
  });

  it('gives every container requests and limits, and runs it restricted: non-root, read-only, nothing added', () => {
    for (const w of workloads) {
      const pod = podOf(w);
      expect(pod.securityContext, w.metadata.name).toMatchObject({
        runAsNonRoot: true,
        runAsUser: 1000,
        seccompProfile: { type: 'RuntimeDefault' },
      });
      expect(pod.automountServiceAccountToken).toBe(false);
      expect(pod.hostNetwork ?? false).toBe(false);
      expect(pod.hostPID ?? false).toBe(false);
      for (const c of [...(pod.initContainers ?? []), ...pod.containers]) {
        const where = `${w.metadata.name}/${c.name}`;
        expect(c.resources?.requests, where).toMatchObject({
          cpu: expect.any(String),
          memory: expect.any(String),
        });
        expect(c.resources?.limits, where).toMatchObject({
          cpu: expect.any(String),
          memory: expect.any(String),
        });
        expect(c.securityContext, where).toMatchObject({
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ['ALL'] },
        });
        expect(c.securityContext?.capabilities?.add ?? []).toEqual([]);
        expect(c.securityContext?.privileged ?? false).toBe(false);
        // A read-only root needs somewhere to write temporary files: /tmp is an emptyDir.
        const tmp = c.volumeMounts?.find((m) => m.mountPath === '/tmp');
        expect(tmp, where).toBeDefined();
        expect(pod.volumes?.find((v) => v.name === tmp!.name)?.emptyDir).toBeDefined();
        expect(kustomization.images.map((i) => i.name)).toContain(c.image);
      }
    }
  });

  it('reads secrets only from the Secret, never inline, and the manifests contain none', () => {
    const secretNames = [
      'DATABASE_URL',
      'REDIS_URL',
      'AUTH_SECRET',
      'PORTCULLIS_ENCRYPTION_KEY',
      'GATEWAY_METRICS_TOKEN',
      'SMTP_URL',
    ];
    expect(resources.filter((r) => r.kind === 'Secret')).toEqual([]);
    for (const key of secretNames) expect(Object.keys(config)).not.toContain(key);
    for (const w of workloads)
      for (const c of [...(podOf(w).initContainers ?? []), ...podOf(w).containers])
        for (const e of c.env ?? []) {
          if (secretNames.includes(e.name)) {
            expect(e.value, `${c.name} ${e.name}`).toBeUndefined();
            expect(e.valueFrom?.secretKeyRef).toEqual(
              expect.objectContaining({ name: 'portcullis-secrets', key: e.name }),
            );
          }
        }
  });

  it('sets every variable each app requires, and only variables the apps declare', () => {
    const given = (container: Container) => [
      ...(container.envFrom?.some((f) => f.configMapRef?.name === 'portcullis-config')
        ? Object.keys(config)
        : []),
      ...(container.env ?? []).map((e) => e.name),
    ];
    const apps: Array<[string, z.ZodObject]> = [
      ['portcullis-gateway', gatewayEnv as unknown as z.ZodObject],
      ['portcullis-dashboard', dashboardEnv as unknown as z.ZodObject],
    ];
    const declared = new Set(apps.flatMap(([, schema]) => Object.keys(schema.shape)));
    for (const [name, schema] of apps) {
      const container = podOf(find('Deployment', name)).containers[0]!;
      const names = given(container);
      for (const [key, field] of Object.entries(schema.shape as Record<string, z.ZodType>))
        if (!field.safeParse(undefined).success) expect(names, `${name} needs ${key}`).toContain(key);
      for (const key of names) expect(declared.has(key), `${key} is read by no app`).toBe(true);
    }
  });

  it('migrates before any app container of a new version starts', () => {
    const job = find('Job', 'portcullis-migrate');
    expect(job.metadata.annotations).toMatchObject({
      'helm.sh/hook': expect.stringContaining('pre-upgrade'),
      'argocd.argoproj.io/hook': 'PreSync',
    });
    const migrate = ['node', '--import', 'tsx', 'packages/db/src/migrate/cli.ts', 'deploy'];
    expect(podOf(job).containers[0]!.command).toEqual(migrate);
    for (const name of ['portcullis-gateway', 'portcullis-dashboard']) {
      const init = podOf(find('Deployment', name)).initContainers ?? [];
      expect(init.map((c) => c.command)).toContainEqual(migrate);
    }
    // The command is the one `npm run db:deploy` runs.
    const scripts = (
      JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
    ).scripts;
    expect(scripts['db:deploy']).toBe('node --import tsx packages/db/src/migrate/cli.ts deploy');
  });

  it('scales the gateway on CPU and keeps one replica through voluntary disruptions', () => {
    const gateway = find('Deployment', 'portcullis-gateway');
    const labels = (gateway.spec as { template: { metadata: { labels: Record<string, string> } } }).template
      .metadata.labels;
    const hpa = find('HorizontalPodAutoscaler', 'portcullis-gateway').spec as {
      scaleTargetRef: { kind: string; name: string };
      minReplicas: number;
      maxReplicas: number;
      metrics: Array<{ resource: { name: string } }>;
    };
    expect(hpa.scaleTargetRef).toMatchObject({ kind: 'Deployment', name: 'portcullis-gateway' });
    expect(hpa.minReplicas).toBeGreaterThanOrEqual(2);
    expect(hpa.maxReplicas).toBeGreaterThan(hpa.minReplicas);
    expect(hpa.metrics[0]!.resource.name).toBe('cpu');
    const pdb = find('PodDisruptionBudget', 'portcullis-gateway').spec as {
      minAvailable: number;
      selector: { matchLabels: Record<string, string> };
    };
    expect(pdb.minAvailable).toBeGreaterThanOrEqual(1);
    expect(Object.entries(pdb.selector.matchLabels).every(([k, v]) => labels[k] === v)).toBe(true);
    // CPU utilisation needs a CPU request to be measured against.
    expect(podOf(gateway).containers[0]!.resources?.requests?.cpu).toBeDefined();
  });

  it('offers no stdio templates where the sandbox cannot run, and the images it names exist', () => {
    expect(JSON.parse(config.STDIO_TEMPLATES!)).toEqual([]);
    expect(config.STDIO_SANDBOX).not.toBe('off');
    const dockerfile = readFileSync(path.join(root, 'Dockerfile'), 'utf8');
    for (const target of ['gateway', 'dashboard']) {
      expect(dockerfile).toMatch(new RegExp(`^FROM \\S+ AS ${target}\\s*$`, 'm'));
    }
    // The uid the pods run as is the image's node user.
    expect(dockerfile).toMatch(/^USER node$/m);
  });
});
