// `npm run bench` (gateway proxy): the same tools/call against one trivial upstream MCP server,
// directly and through the gateway (policy with a rate-limit rule, durable audit; counters in
// Redis, and in PostgreSQL as `npm start` runs it unless BENCH_SKIP_PG_COUNTERS=1), and, when they
// can be fetched with npx, through supergateway and mcp-proxy. Prints p50/p99 latency, calls/s at
// 1 and 8 concurrent clients, and each proxy's CPU time per call from /proc/<pid>/stat (for each
// phase and over both). First it measures the floor durable audit puts under one client's latency:
// a committed one-row INSERT (an fsync) on the same PostgreSQL.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { issueToken } from '@portcullis/crypto/tokens';
import { createPrismaClient } from '@portcullis/db/client';
import { createTestDatabase } from '@portcullis/db/test-database';
import pg from 'pg';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../../..');
const CALLS_ONE = Number(process.env.BENCH_CALLS ?? 2000);
const CALLS_EIGHT = CALLS_ONE * 2;
const WARMUP = 300;
const TICK_MS = 1000 / 100; // USER_HZ: /proc reports CPU time in clock ticks of 10 ms.

// The SDK's client transport hands one AbortSignal to every fetch, and Node 20's fetch adds an
// abort listener to it per request without removing it: a long benchmark client prints one
// MaxListenersExceededWarning per call. That is the client library's leak, the same for every
// target; count those warnings instead of printing thousands, print any other warning as usual.
let clientListenerWarnings = 0;
process.removeAllListeners('warning');
process.on('warning', (warning) => {
  if (warning.name === 'MaxListenersExceededWarning' && /abort listeners added to \[AbortSignal\]/.test(warning.message)) clientListenerWarnings += 1;
  else console.warn(`${warning.name}: ${warning.message}`);
});

interface Target {
  name: string;
  url: string;
  headers: Record<string, string>;
  pid?: number;
  /** Started just before it is measured (third-party proxies); resolves with the pid to watch. */
  start?: () => Promise<number>;
  /** The last lines the process printed, shown when its measurement fails. */
  tail?: () => string;
}

interface Figures {
  name: string;
  p50: number;
  p99: number;
  rps1: number;
  rps8: number;
  cpuMsPerCall?: number;
  cpuMsPerCall1?: number;
  cpuMsPerCall8?: number;
}

function cpuTicks(pid: number): number {
  // Fields after the command name (which may contain spaces): utime is the 14th, stime the 15th field.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

function descendants(pid: number): number[] {
  try {
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    return children.flatMap((c) => [c, ...descendants(c)]);
  } catch {
    return [];
  }
}

/** CPU ticks of a process and its children (npx wraps the real proxy in a shell and node). */
function treeTicks(pid: number): number {
  return [pid, ...descendants(pid)].reduce((sum, p) => {
    try {
      return sum + cpuTicks(p);
    } catch {
      return sum;
    }
  }, 0);
}

/** Starts a process and waits for `ready` in its output; `null`: the caller waits some other way (a port). */
function spawnAndWait(command: string, args: string[], env: Record<string, string>, ready: RegExp | null, cwd = root): Promise<{ child: ChildProcess; match: RegExpExecArray; tail: () => string }> {
  const child = spawn(command, args, { cwd, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let output = '';
    let started = false;
    const timer = setTimeout(() => reject(new Error(`${command} ${args.join(' ')} did not start:\n${output.slice(-2000)}`)), 120_000);
    const onData = (chunk: Buffer) => {
      // Once started, keep draining the pipes (a full pipe would stall the child) and keep only
      // a short tail: a proxy that logs per call must not cost the benchmark process CPU.
      if (started) {
        output = (output + chunk.toString()).slice(-2000);
        return;
      }
      output += chunk.toString();
      const match = ready?.exec(output);
      if (match) {
        started = true;
        output = output.slice(-2000);
        clearTimeout(timer);
        resolve({ child, match, tail: () => output });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${command} exited with ${code}:\n${output.slice(-2000)}`));
    });
    if (ready === null) {
      // Quiet processes (supergateway with --logLevel none, an npx that has the package cached)
      // print nothing at all; keep draining their pipes and let the caller wait for the port.
      started = true;
      clearTimeout(timer);
      resolve({ child, match: [''] as unknown as RegExpExecArray, tail: () => output });
    }
  });
}

async function connect(target: Target): Promise<Client> {
  const client = new Client({ name: 'bench', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(target.url), { requestInit: { headers: target.headers } }));
  return client;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function measure(target: Target): Promise<Figures> {
  const one = await connect(target);
  const text = 'x'.repeat(64);
  const check = await one.callTool({ name: 'echo', arguments: { text } });
  if (check.isError) throw new Error(`${target.name}: echo failed: ${JSON.stringify(check)}`);
  for (let i = 0; i < WARMUP; i++) await one.callTool({ name: 'echo', arguments: { text } });

  const latencies: number[] = [];
  const cpuBefore = target.pid ? treeTicks(target.pid) : 0;
  let start = performance.now();
  for (let i = 0; i < CALLS_ONE; i++) {
    const t = performance.now();
    await one.callTool({ name: 'echo', arguments: { text } });
    latencies.push(performance.now() - t);
  }
  const rps1 = CALLS_ONE / ((performance.now() - start) / 1000);
  const cpuMiddle = target.pid ? treeTicks(target.pid) : 0;

  const eight = await Promise.all(Array.from({ length: 8 }, () => connect(target)));
  for (const c of eight) await c.callTool({ name: 'echo', arguments: { text } });
  let next = 0;
  start = performance.now();
  await Promise.all(
    eight.map(async (c) => {
      while (next < CALLS_EIGHT) {
        next += 1;
        await c.callTool({ name: 'echo', arguments: { text } });
      }
    }),
  );
  const rps8 = CALLS_EIGHT / ((performance.now() - start) / 1000);
  const cpuAfter = target.pid ? treeTicks(target.pid) : 0;
  await Promise.all([one, ...eight].map((c) => c.close()));
  latencies.sort((a, b) => a - b);
  return {
    name: target.name,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    rps1,
    rps8,
    ...(target.pid
      ? {
          cpuMsPerCall: ((cpuAfter - cpuBefore) * TICK_MS) / (CALLS_ONE + CALLS_EIGHT + 8),
          cpuMsPerCall1: ((cpuMiddle - cpuBefore) * TICK_MS) / CALLS_ONE,
          cpuMsPerCall8: ((cpuAfter - cpuMiddle) * TICK_MS) / (CALLS_EIGHT + 8),
        }
      : {}),
  };
}

/** p50/p90 of a committed one-row INSERT: what one durable audit record costs on this disk, at least. */
async function fsyncFloor(url: string): Promise<{ p50: number; p90: number; synchronousCommit: string }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const setting = await client.query<{ synchronous_commit: string }>('SHOW synchronous_commit');
    await client.query('CREATE TABLE bench_fsync_probe (id serial PRIMARY KEY, at timestamptz NOT NULL DEFAULT now(), payload text)');
    const times: number[] = [];
    for (let i = 0; i < 600; i++) {
      const t = performance.now();
      await client.query({ name: 'probe', text: 'INSERT INTO bench_fsync_probe (payload) VALUES ($1)', values: ['x'.repeat(200)] });
      if (i >= 100) times.push(performance.now() - t);
    }
    await client.query('DROP TABLE bench_fsync_probe');
    times.sort((a, b) => a - b);
    return { p50: percentile(times, 50), p90: percentile(times, 90), synchronousCommit: setting.rows[0]!.synchronous_commit };
  } finally {
    await client.end();
  }
}

async function main(): Promise<void> {
  const children: ChildProcess[] = [];
  const testDb = await createTestDatabase('portcullis_bench');
  try {
    const floor = await fsyncFloor(testDb.url);
    console.log(
      `Durable-commit floor: a committed one-row INSERT takes ${floor.p50.toFixed(2)} ms p50, ${floor.p90.toFixed(2)} ms p90 (synchronous_commit=${floor.synchronousCommit}); ` +
        'one client cannot see less added latency than this with durable audit.',
    );
    const upstream = await spawnAndWait(process.execPath, ['--import', 'tsx', path.join(here, 'trivial-server.ts')], {}, /(http:\/\/127\.0\.0\.1:\d+\/mcp)/);
    children.push(upstream.child);
    const upstreamUrl = upstream.match[1]!;

    const db = createPrismaClient(testDb.url);
    const org = await db.organization.create({ data: { name: 'Bench', slug: `bench-${Date.now()}` } });
    const server = await db.mcpServer.create({ data: { organizationId: org.id, name: 'trivial', transport: 'streamable_http', url: upstreamUrl } });
    await db.policyVersion.create({
      data: {
        organizationId: org.id,
        serverId: server.id,
        version: 1,
        active: true,
        document: { version: '1', default: 'deny', tools: { echo: { limits: [{ window: 'minute', max: 1_000_000, scope: 'grant' }] } } },
      },
    });
    const token = issueToken('grant');
    await db.grant.create({ data: { organizationId: org.id, serverId: server.id, name: 'bench', tokenHash: token.hash, tokenPrefix: token.prefix } });
    await db.$disconnect();

    // The gateway as deployed with Redis (counters there), and as `npm start` runs it: PostgreSQL only.
    const startGateway = async (redisUrl: string) => {
      const started = await spawnAndWait(
        process.execPath,
        [...(process.env.BENCH_PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}`] : []), '--import', 'tsx', path.join(root, 'apps/gateway/src/main.ts')],
        {
          DATABASE_URL: testDb.url,
          REDIS_URL: redisUrl,
          PORTCULLIS_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
          GATEWAY_PORT: '0',
          GATEWAY_ALLOW_PRIVATE_UPSTREAMS: 'true',
          // info: the start-up line carries the URL; nothing is logged per call at this level.
          LOG_LEVEL: 'info',
        },
        /"url":"(http:\/\/127\.0\.0\.1:\d+)"/,
      );
      children.push(started.child);
      return started;
    };
    const gateway = await startGateway(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    const gatewayPg = process.env.BENCH_SKIP_PG_COUNTERS === '1' ? undefined : await startGateway('');

    const targets: Target[] = [
      { name: 'direct', url: upstreamUrl, headers: {} },
      { name: 'portcullis gateway', url: `${gateway.match[1]}/mcp/${server.id}`, headers: { Authorization: `Bearer ${token.token}` }, pid: gateway.child.pid! },
      ...(gatewayPg
        ? [{ name: 'portcullis gateway (PostgreSQL counters)', url: `${gatewayPg.match[1]}/mcp/${server.id}`, headers: { Authorization: `Bearer ${token.token}` }, pid: gatewayPg.child.pid! }]
        : []),
    ];
    const stdioUpstream = `${process.execPath} ${path.join(here, 'trivial-stdio-server.mjs')}`;
    if (process.env.BENCH_SKIP_OTHERS !== '1') {
      // Each started only when its turn comes, so none sits idle for minutes before it is measured.
      const thirdParty = (name: string, port: number, args: string[]): Target => {
        const target: Target = {
          name,
          url: `http://127.0.0.1:${port}/mcp`,
          headers: {},
          start: async () => {
            const started = await spawnAndWait('npx', args, {}, null, '/tmp');
            children.push(started.child);
            target.tail = started.tail;
            await waitForPort(port);
            return started.child.pid!;
          },
        };
        return target;
      };
      targets.push(
        thirdParty('supergateway 4.0.0 (stdio upstream)', 4311, ['--yes', 'supergateway@4.0.0', '--stdio', stdioUpstream, '--outputTransport', 'streamableHttp', '--stateful', '--port', '4311', '--logLevel', 'none']),
        thirdParty('mcp-proxy 6.7.19 (stdio upstream)', 4312, ['--yes', 'mcp-proxy@6.7.19', '--port', '4312', '--', ...stdioUpstream.split(' ')]),
      );
    }

    const results: Figures[] = [];
    for (const target of targets) {
      if (target.start) {
        try {
          target.pid = await target.start();
        } catch (error) {
          console.log(`${target.name} skipped: ${(error as Error).message.split('\n')[0]}`);
          continue;
        }
      }
      try {
        results.push(await measure(target));
      } catch (error) {
        console.log(`${target.name} failed: ${(error as Error).message}${target.tail ? `\n  its last output: ${target.tail().slice(-500)}` : ''}`);
      }
    }
    const direct = results.find((r) => r.name === 'direct')!;
    console.log(`\n${CALLS_ONE} sequential calls (1 client), ${CALLS_EIGHT} calls over 8 clients, tools/call "echo", Node ${process.version}, ${(await import('node:os')).cpus().length} cores\n`);
    console.log('| target | p50 ms | p99 ms | added p50 ms | calls/s (1) | calls/s (8) | ×direct (8) | CPU ms/call (1) | CPU ms/call (8) | CPU ms/call (all) |');
    console.log('|---|---|---|---|---|---|---|---|---|---|');
    const ms = (v: number | undefined) => (v === undefined ? '–' : v.toFixed(3));
    for (const r of results) {
      console.log(
        `| ${r.name} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${(r.p50 - direct.p50).toFixed(2)} | ${r.rps1.toFixed(0)} | ${r.rps8.toFixed(0)} | ${(r.rps8 / direct.rps8).toFixed(2)} | ${ms(r.cpuMsPerCall1)} | ${ms(r.cpuMsPerCall8)} | ${ms(r.cpuMsPerCall)} |`,
      );
    }
    if (clientListenerWarnings > 0) console.log(`\n(benchmark client: ${clientListenerWarnings} MaxListenersExceededWarning from the SDK client transport's shared AbortSignal, not printed)`);
  } finally {
    for (const child of children.reverse()) {
      if (child.pid) {
        try {
          process.kill(child.pid, 'SIGTERM');
        } catch {
          /* already gone */
        }
      }
    }
    await new Promise((r) => setTimeout(r, process.env.BENCH_PROFILE_DIR ? 5_000 : 500));
    await testDb.drop().catch(() => undefined);
  }
}

async function waitForPort(port: number): Promise<void> {
  const net = await import('node:net');
  const deadline = Date.now() + 120_000;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.end();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listening on ${port}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

await main();
process.exit(0);
