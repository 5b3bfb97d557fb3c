// `npm start`: the whole product on one machine with no setup. Uses DATABASE_URL / REDIS_URL when
// set, otherwise an embedded PostgreSQL under .data/; generates its secrets into .data/ on first run;
// applies migrations; builds the dashboard once; starts Twikit stand-in, gateway and dashboard.
// `npm run dev` does the same with `next dev`.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { repoRoot, resolveDatabaseUrl } from '../packages/db/src/embedded-postgres.ts';
import { applyMigrations } from '../packages/db/src/migrate/apply.ts';

const dev = process.argv.includes('--dev');
const started = Date.now();
const dataDir = process.env.PORTCULLIS_DATA_DIR ?? path.join(repoRoot, '.data');
// Loopback unless told otherwise: anyone who can reach the dashboard can sign up.
const bindHost = process.env.PORTCULLIS_HOST ?? '127.0.0.1';
const ports = {
  dashboard: Number(process.env.DASHBOARD_PORT ?? 3000),
  gateway: Number(process.env.GATEWAY_PORT ?? 4000),
  twikit: Number(process.env.TWIKIT_PORT ?? 4100),
};

interface Secrets {
  AUTH_SECRET: string;
  PORTCULLIS_ENCRYPTION_KEY: string;
}

/** Secrets are made on first start and kept in .data/ (git-ignored); none ships with the code. */
async function loadSecrets(): Promise<Secrets> {
  const file = path.join(dataDir, 'secrets.json');
  await mkdir(dataDir, { recursive: true });
  let stored: Partial<Secrets> = {};
  if (existsSync(file)) stored = JSON.parse(await readFile(file, 'utf8')) as Partial<Secrets>;
  const secrets: Secrets = {
    AUTH_SECRET: stored.AUTH_SECRET ?? randomBytes(32).toString('base64url'),
    PORTCULLIS_ENCRYPTION_KEY: stored.PORTCULLIS_ENCRYPTION_KEY ?? randomBytes(32).toString('base64'),
  };
  if (!stored.AUTH_SECRET || !stored.PORTCULLIS_ENCRYPTION_KEY)
    await writeFile(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return {
    AUTH_SECRET: process.env.AUTH_SECRET ?? secrets.AUTH_SECRET,
    PORTCULLIS_ENCRYPTION_KEY: process.env.PORTCULLIS_ENCRYPTION_KEY ?? secrets.PORTCULLIS_ENCRYPTION_KEY,
  };
}

const children: ChildProcess[] = [];
let stopping = false;

function run(
  name: string,
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  cwd = repoRoot,
): ChildProcess {
  const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const prefix = `[${name}] `;
  const forward = (stream: NodeJS.WritableStream) => (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) if (line.trim()) stream.write(prefix + line + '\n');
  };
  child.stdout?.on('data', forward(process.stdout));
  child.stderr?.on('data', forward(process.stderr));
  child.on('exit', (code, signal) => {
    if (!stopping) {
      console.error(`${prefix}exited (${signal ?? code}); stopping everything.`);
      void shutdown(1);
    }
  });
  children.push(child);
  return child;
}

async function waitFor(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url);
      if (res.status < 500) return;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} did not answer within ${timeoutMs / 1000} s`);
}

async function newestMtime(dir: string): Promise<number> {
  // A folder's own mtime changes when a file in it is added or removed.
  let newest = (await stat(dir)).mtimeMs;
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    if (entry.name === 'node_modules' || entry.name === '.next' || entry.name.startsWith('.')) continue;
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? await newestMtime(full) : (await stat(full)).mtimeMs);
  }
  return newest;
}

/** A build is stale when any dashboard or package source is newer than it. */
async function dashboardBuildIsStale(dashboardDir: string): Promise<boolean> {
  const buildId = path.join(dashboardDir, '.next/BUILD_ID');
  if (!existsSync(buildId)) return true;
  const built = (await stat(buildId)).mtimeMs;
  const sources = await Promise.all([dashboardDir, path.join(repoRoot, 'packages')].map(newestMtime));
  return Math.max(...sources) > built;
}

let stopDatabase: () => Promise<void> = async () => undefined;

async function shutdown(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log('\nStopping…');
  for (const child of children) child.kill('SIGTERM');
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          const timer = setTimeout(() => {
            child.kill('SIGKILL');
            resolve();
          }, 10_000);
          child.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
        }),
    ),
  );
  await stopDatabase().catch(() => undefined);
  process.exit(code);
}

async function main(): Promise<void> {
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));

  const secrets = await loadSecrets();
  const db = await resolveDatabaseUrl(dataDir);
  stopDatabase = db.stop;
  console.log(db.embedded ? 'Database: embedded PostgreSQL (.data/postgres)' : 'Database: DATABASE_URL');
  const applied = await applyMigrations(db.url);
  if (applied.length) console.log(`Applied migrations: ${applied.join(', ')}`);

  const twikitBin = path.join(repoRoot, 'apps/twikit/bin/twikit-mcp.mjs');
  const nodePrefix = path.dirname(path.dirname(process.execPath));
  // The one stdio server this deployment offers tenants: the Twikit stand-in, confined to its own
  // code and its dependencies (node's own files when node lives outside /usr).
  const twikitTemplate = {
    id: 'twikit',
    name: 'Twikit',
    description: 'Twitter/X through Twikit (the offline stand-in that ships with Portcullis).',
    command: process.execPath,
    args: [twikitBin, '--stdio'],
    // Node 24 reserves address space per V8 isolate (tsx adds a loader thread): 1024 MiB is too
    // little for it to start (docs/stdio-templates.md, "Memory limit and Node.js servers").
    limits: { memoryMb: 2048 },
    readOnlyPaths: [
      path.join(repoRoot, 'apps/twikit'),
      path.join(repoRoot, 'node_modules'),
      ...(nodePrefix.startsWith('/usr') ? [] : [nodePrefix]),
    ],
  };
  const baseEnv: NodeJS.ProcessEnv = {
    ...process.env,
    ...secrets,
    DATABASE_URL: db.url,
    NEXT_TELEMETRY_DISABLED: '1',
    TURBO_TELEMETRY_DISABLED: '1',
    GATEWAY_PUBLIC_URL: process.env.GATEWAY_PUBLIC_URL ?? `http://localhost:${ports.gateway}`,
    // Tenants are strangers even here: private addresses are refused except the stand-in's own
    // origin, and stdio servers come only from operator templates (sandboxed; see
    // apps/gateway/README.md). The gateway and the dashboard read the same settings.
    UPSTREAM_PRIVATE_ORIGINS:
      process.env.UPSTREAM_PRIVATE_ORIGINS ??
      `http://localhost:${ports.twikit},http://127.0.0.1:${ports.twikit}`,
    STDIO_TEMPLATES: process.env.STDIO_TEMPLATES ?? JSON.stringify([twikitTemplate]),
    GATEWAY_HOST: process.env.GATEWAY_HOST ?? bindHost,
    // The gateway names the dashboard as the OAuth authorization server of every grant URL.
    OAUTH_ISSUER: process.env.OAUTH_ISSUER ?? process.env.AUTH_URL ?? `http://localhost:${ports.dashboard}`,
  };

  const dashboardDir = path.join(repoRoot, 'apps/dashboard');
  const nextBin = path.join(repoRoot, 'node_modules/next/dist/bin/next');
  if (!dev && (await dashboardBuildIsStale(dashboardDir))) {
    console.log('Building the dashboard (later starts skip this until its sources change)…');
    const build = spawnSync(process.execPath, [nextBin, 'build'], {
      cwd: dashboardDir,
      env: { ...baseEnv, NODE_ENV: 'production' },
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 64 * 1024 * 1024,
    });
    const output = `${build.stdout?.toString() ?? ''}${build.stderr?.toString() ?? ''}`;
    process.stdout.write(output);
    if (build.status !== 0) throw new Error('Dashboard build failed');
    // In CI a build warning fails the run (e.g. Turbopack tracing the whole project into the build).
    if (process.env.CI === 'true' && /Turbopack build encountered \d+ warning|\bWarning: /.test(output))
      throw new Error('The dashboard build printed warnings (above); CI treats them as failures');
  }
  const tsx = ['--import', 'tsx'];
  run('twikit', process.execPath, [...tsx, 'apps/twikit/src/main.ts'], {
    ...baseEnv,
    TWIKIT_PORT: String(ports.twikit),
  });
  run('gateway', process.execPath, [...tsx, 'apps/gateway/src/main.ts'], {
    ...baseEnv,
    GATEWAY_PORT: String(ports.gateway),
  });
  run(
    'dashboard',
    process.execPath,
    [nextBin, dev ? 'dev' : 'start', '-p', String(ports.dashboard), '-H', bindHost],
    {
      ...baseEnv,
      AUTH_URL: process.env.AUTH_URL ?? `http://localhost:${ports.dashboard}`,
      AUTH_TRUST_HOST: 'true',
      NODE_ENV: dev ? 'development' : 'production',
    },
    dashboardDir,
  );

  await Promise.all([
    waitFor(`http://localhost:${ports.dashboard}/api/health`, 120_000),
    waitFor(`http://localhost:${ports.gateway}/readyz`, 60_000),
    waitFor(`http://localhost:${ports.twikit}/healthz`, 60_000),
  ]);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`
Portcullis is up (${seconds} s):
  Dashboard        http://localhost:${ports.dashboard}
  Gateway          http://localhost:${ports.gateway}   (agents connect to /mcp/<serverId>)
  Twikit stand-in  http://localhost:${ports.twikit}/mcp  (or stdio: node ${path.relative(repoRoot, twikitBin)})
Press Ctrl-C to stop.`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  void shutdown(1);
});
