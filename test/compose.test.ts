// No Docker engine runs here, so this checks docker-compose.yml against the apps' env schemas:
// every variable compose sets is one the app declares, every required one is set, ports agree,
// and each app image is multi-stage and runs as a non-root user.
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import type { z } from 'zod';
import { envSchema as dashboardEnv } from '../apps/dashboard/src/env.ts';
import { envSchema as gatewayEnv } from '../apps/gateway/src/env.ts';
import { envSchema as twikitEnv } from '../apps/twikit/src/env.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
interface Service {
  build?: { context: string; dockerfile: string; target?: string };
  image?: string;
  ports?: string[];
  environment?: Record<string, string>;
  healthcheck?: unknown;
  depends_on?: Record<string, { condition: string }>;
}
const compose = parse(readFileSync(path.join(root, 'docker-compose.yml'), 'utf8')) as {
  services: Record<string, Service>;
};
const apps: Record<string, { schema: z.ZodObject; port: string; defaultPort: number }> = {
  dashboard: { schema: dashboardEnv as unknown as z.ZodObject, port: 'DASHBOARD_PORT', defaultPort: 3000 },
  gateway: { schema: gatewayEnv as unknown as z.ZodObject, port: 'GATEWAY_PORT', defaultPort: 4000 },
  twikit: { schema: twikitEnv as unknown as z.ZodObject, port: 'TWIKIT_PORT', defaultPort: 4100 },
};
// Variables read by tools outside the app's schema (Node itself, Next's CLI).
const ambient = new Set(['NODE_ENV', 'DASHBOARD_PORT']);

/** The lines of one `FROM … AS <name>` stage of a Dockerfile, up to the next FROM. */
function stageOf(dockerfile: string, name: string): string {
  const stages = dockerfile.split(/^(?=FROM )/m);
  const stage = stages.find((s) => new RegExp(`^FROM \\S+ AS ${name}\\s*$`, 'im').test(s.split('\n', 1)[0]!));
  if (!stage) throw new Error(`Dockerfile has no stage named ${name}`);
  return stage;
}

describe('docker-compose.yml', () => {
  it('has the services the product needs, postgres with a healthcheck', () => {
    expect(Object.keys(compose.services)).toEqual(
      expect.arrayContaining(['postgres', 'redis', 'dashboard', 'gateway', 'twikit']),
    );
    expect(compose.services.postgres?.healthcheck).toBeTruthy();
    expect(compose.services.gateway?.depends_on?.redis?.condition).toBe('service_healthy');
  });

  for (const [name, app] of Object.entries(apps)) {
    describe(name, () => {
      const service = compose.services[name]!;
      const environment = service.environment ?? {};
      const declared = new Set(Object.keys(app.schema.shape));

      it('sets only variables the app declares', () => {
        const unknown = Object.keys(environment).filter((k) => !declared.has(k) && !ambient.has(k));
        expect(unknown).toEqual([]);
      });

      it('sets every variable the app requires', () => {
        const required = [...declared].filter((k) => !app.schema.shape[k]!.safeParse(undefined).success);
        expect(required.filter((k) => !(k in environment))).toEqual([]);
      });

      it('publishes the port the app listens on', () => {
        const listens = Number(environment[app.port] ?? app.defaultPort);
        if (declared.has(app.port))
          expect(app.schema.shape[app.port]!.parse(undefined)).toBe(app.defaultPort);
        expect(service.ports?.map((p) => Number(p.split(':').pop()))).toContain(listens);
      });

      it('builds from its own stage of a multi-stage Dockerfile, running as non-root', () => {
        const dockerfile = path.join(root, service.build!.dockerfile);
        expect(existsSync(dockerfile)).toBe(true);
        const text = readFileSync(dockerfile, 'utf8');
        expect(text.match(/^FROM /gm)?.length ?? 0).toBeGreaterThanOrEqual(2);
        expect(service.build!.target).toBe(name);
        expect(stageOf(text, name)).toMatch(/^USER (?!root)\w+/m);
      });
    });
  }

  it('gives the gateway and the dashboard the same stdio templates and sandbox, the Twikit preset among them, from files in the gateway image', async () => {
    const { parseStdioTemplates } = await import('../packages/upstream/src/stdio-templates.ts');
    const defaultOf = (value: string | undefined) =>
      /^\$\{[A-Z_]+:-(.*)\}$/s.exec(value ?? '')?.[1] ?? value ?? '';
    const gatewayEnv = compose.services.gateway!.environment!;
    const dashboardEnv = compose.services.dashboard!.environment!;
    for (const name of ['STDIO_TEMPLATES', 'STDIO_SANDBOX', 'UPSTREAM_PRIVATE_ORIGINS'])
      expect(defaultOf(dashboardEnv[name]), name).toBe(defaultOf(gatewayEnv[name]));
    // Confined, never unconfined by default; no blanket private-network allowance.
    expect(defaultOf(gatewayEnv.STDIO_SANDBOX)).toBe('bwrap');
    expect(gatewayEnv.GATEWAY_ALLOW_PRIVATE_UPSTREAMS).toBeUndefined();
    expect(dashboardEnv.ALLOW_PRIVATE_UPSTREAMS).toBeUndefined();
    expect(defaultOf(gatewayEnv.UPSTREAM_PRIVATE_ORIGINS)).toBe('http://twikit:4100');
    const [twikit] = parseStdioTemplates(defaultOf(gatewayEnv.STDIO_TEMPLATES), undefined);
    expect(twikit!.id).toBe('twikit');
    expect(twikit!.tenantArgs).toBeUndefined();
    const script = twikit!.args[0]!.replace(/^\/app\//, '');
    expect(existsSync(path.join(root, script))).toBe(true);
    const dockerfile = readFileSync(path.join(root, compose.services.gateway!.build!.dockerfile), 'utf8');
    const gatewayStage = stageOf(dockerfile, 'gateway');
    expect(gatewayStage).toMatch(new RegExp(`^COPY ${script.split('/').slice(0, 2).join('/')} `, 'm'));
    expect(gatewayStage).toMatch(/apt-get install .*bubblewrap/);
    expect(stageOf(dockerfile, 'dashboard')).toMatch(/apt-get install .*bubblewrap/);
  });
});
