// `npm run bench -- tracing`: what tracing costs the gateway when it is off (#29: at most 1 % of
// its CPU per call), measured on the request path rather than estimated. Two gateway processes on
// the same upstream, database and Redis (Redis counters, a rate-limited echo tool, durable audit,
// as `npm run bench gateway` runs it), both with OTEL off: "shipped" runs src/ops/tracing.ts as
// shipped; "bypassed" is started with tracing-bypass-hooks.mjs, which resolves that module to
// bench/tracing-bypassed.ts, where every helper the tools/call path calls is the bare call it wraps.
// Each round sends the same number of calls to both at once (so whatever else the machine does
// then weighs on both alike) and reads each process's CPU time over its calls (every thread, ns,
// /proc/<pid>/task/*/schedstat). Rounds run on fresh pairs of processes (BENCH_PAIRS), so that
// one process's luck is not read as the arms' difference. Printed: CPU per call of each arm, the
// per-round difference as a percentage (median, min–max, the median's 95 % interval) and the
// verdict against 1 % (none when the interval straddles it).
// BENCH_TRACING_CONTROL=1 runs both as shipped: an A/A run, i.e. what this machine cannot resolve.
// Not in the difference (in both arms alike): the call sites' own work for tracing (the call
// span's attribute object, the closures handed to the helpers). Knobs: BENCH_ROUNDS (30),
// BENCH_PAIRS (3), BENCH_CALLS per round and gateway (1000), BENCH_WARMUP (50), BENCH_CLIENTS (8 each).
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { issueToken } from '@portcullis/crypto/tokens';
import { createPrismaClient } from '@portcullis/db/client';
import { createTestDatabase } from '@portcullis/db/test-database';
import * as tracingModule from '../src/ops/tracing.ts';
import { killAllSync, startProcess, stopAll, stopProcess, type Started } from './processes.ts';
import { fmtSpread, TRACING_OFF_MAX, tracingOffSummary, type ArmBlock, type Spread } from './stats.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../../..');

function positive(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name}=${raw} is not a positive integer`);
  return value;
}
const ROUNDS = positive('BENCH_ROUNDS', 30);
const CALLS = positive('BENCH_CALLS', 1000);
const WARMUP = positive('BENCH_WARMUP', 50);
const CLIENTS = positive('BENCH_CLIENTS', 8);
const EPOCHS = positive('BENCH_PAIRS', 3);
const CONTROL = process.env.BENCH_TRACING_CONTROL === '1';

// The SDK client's shared AbortSignal warns once per call on long runs (see proxy.bench.ts): not printed.
process.removeAllListeners('warning');
process.on('warning', (w) => {
  if (!(w.name === 'MaxListenersExceededWarning' && /AbortSignal/.test(w.message)))
    console.warn(`${w.name}: ${w.message}`);
});

/** CPU time of every thread of `pid` so far, ns (a thread that has exited is not counted; the gateway's live for its life). */
function cpuNs(pid: number): number {
  let total = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`))
    total += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
  return total;
}

const TEXT = 'x'.repeat(64);
const pctOf = (f: number) => `${f >= 0 ? '+' : ''}${(f * 100).toFixed(2)} %`;
const fmtPct = (s: Spread) => `${pctOf(s.median)} (${pctOf(s.min)}…${pctOf(s.max)})`;

interface Arm {
  name: ArmBlock['arm'];
  started: Started;
  clients: Array<{ client: Client; transport: StreamableHTTPClientTransport }>;
}

async function disconnect(clients: Arm['clients']): Promise<void> {
  for (const { client, transport } of clients) {
    await transport.terminateSession().catch(() => undefined);
    await client.close().catch(() => undefined);
  }
}

async function main(): Promise<number> {
  const began = Date.now();
  const loadBefore = os.loadavg();
  const testDb = await createTestDatabase('portcullis_bench');
  process.on('exit', killAllSync);
  const arms: Arm[] = [];
  try {
    const upstream = await startProcess(
      process.execPath,
      ['--import', 'tsx', path.join(here, 'trivial-server.ts')],
      { cwd: root, ready: /(http:\/\/127\.0\.0\.1:\d+\/mcp)/ },
    );
    const upstreamUrl = upstream.match![1]!;

    const db = createPrismaClient(testDb.url);
    const org = await db.organization.create({ data: { name: 'Bench', slug: `bench-${Date.now()}` } });
    const server = await db.mcpServer.create({
      data: { organizationId: org.id, name: 'trivial', transport: 'streamable_http', url: upstreamUrl },
    });
    await db.policyVersion.create({
      data: {
        organizationId: org.id,
        serverId: server.id,
        version: 1,
        active: true,
        document: {
          version: '1',
          default: 'deny',
          tools: { echo: { limits: [{ window: 'minute', max: 1_000_000, scope: 'grant' }] } },
        },
      },
    });
    const token = issueToken('grant');
    await db.grant.create({
      data: {
        organizationId: org.id,
        serverId: server.id,
        name: 'bench',
        tokenHash: token.hash,
        tokenPrefix: token.prefix,
      },
    });
    await db.$disconnect();

    const hooks = pathToFileURL(path.join(here, 'tracing-bypass-hooks.mjs')).href;
    const startGateway = (bypass: boolean, env: Record<string, string> = {}) =>
      startProcess(
        process.execPath,
        [
          '--import',
          'tsx',
          '--import',
          `data:text/javascript,${encodeURIComponent(
            `import { register } from 'node:module'; register(${JSON.stringify(hooks)}, { data: { bypass: ${bypass} } });`,
          )}`,
          path.join(root, 'apps/gateway/src/main.ts'),
        ],
        {
          cwd: root,
          ready: /"url":"(http:\/\/127\.0\.0\.1:\d+)"/,
          env: {
            DATABASE_URL: testDb.url,
            PORTCULLIS_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
            GATEWAY_PORT: '0',
            UPSTREAM_PRIVATE_ORIGINS: new URL(upstreamUrl).origin,
            GATEWAY_ALLOW_PRIVATE_UPSTREAMS: 'false',
            REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
            LOG_LEVEL: 'info',
            // Off as shipped whatever this shell exports.
            OTEL_SDK_DISABLED: 'true',
            ...env,
          },
        },
      );
    const connect = async (started: Started, n: number) => {
      const clients: Arm['clients'] = [];
      for (let i = 0; i < n; i++) {
        const client = new Client({ name: 'bench', version: '1.0.0' });
        const transport = new StreamableHTTPClientTransport(
          new URL(`${started.match![1]}/mcp/${server.id}`),
          { requestInit: { headers: { Authorization: `Bearer ${token.token}` } } },
        );
        await client.connect(transport);
        clients.push({ client, transport });
      }
      // The gateway learns the upstream's catalog when its first session connects: wait for echo.
      for (let attempt = 0; ; attempt++) {
        const check = await clients[0]!.client.callTool({ name: 'echo', arguments: { text: TEXT } });
        if (!check.isError) break;
        if (attempt === 50) throw new Error(`echo failed: ${JSON.stringify(check).slice(0, 300)}`);
        await new Promise((r) => setTimeout(r, 200));
      }
      return clients;
    };
    /** `n` tools/call over every client of the arm at once. */
    const calls = async (clients: Arm['clients'], n: number) => {
      let next = 0;
      await Promise.all(
        clients.map(async ({ client }) => {
          while (next < n) {
            next += 1;
            const r = await client.callTool({ name: 'echo', arguments: { text: TEXT } });
            if (r.isError) throw new Error(`echo failed: ${JSON.stringify(r).slice(0, 300)}`);
          }
        }),
      );
    };

    // The stand-in must cover every export of the real module, and the path must go through it:
    // a gateway with the bypass counting its helpers' calls, for 100 calls, then stopped.
    const real = Object.keys(tracingModule).sort();
    const standIn = Object.keys(await import('./tracing-bypassed.ts')).sort();
    if (JSON.stringify(standIn) !== JSON.stringify(real))
      throw new Error(`tracing-bypassed.ts is out of date: ops/tracing.ts exports ${real.join(', ')}`);
    const counting = await startGateway(true, { BENCH_TRACING_COUNT: '1' });
    const countingClients = await connect(counting, 1);
    await calls(countingClients, 100);
    await disconnect(countingClients);
    await stopProcess(counting);
    const counts = JSON.parse(
      /tracing-bypassed counts (\{.*\})/.exec(counting.tail())?.[1] ?? '{}',
    ) as Record<string, number>;
    const perCall = Object.entries(counts)
      .map(([name, n]) => `${name} ${(n / (counts.inRequestSpan ?? 1)).toFixed(1)}`)
      .join(', ');
    if (!((counts.inRequestSpan ?? 0) >= 100 && (counts.atEdge ?? 0) >= 100))
      throw new Error(`the gateway's tools/call path does not reach the stand-in: ${perCall || 'no calls'}`);

    console.log(
      `${CONTROL ? 'CONTROL RUN (A/A): both gateways run the shipped module. ' : ''}${EPOCHS} pair(s) of gateways × ${Math.ceil(ROUNDS / EPOCHS)} rounds, both gateways at once; per round and gateway ${WARMUP} calls, then ${CALLS} measured, over ${CLIENTS} clients each; ` +
        `Node ${process.version}, ${os.cpus().length} cores, load average ${loadBefore.map((l) => l.toFixed(2)).join(' ')}.`,
    );
    console.log(`Tracing helpers called per tools/call on this path: ${perCall}.`);
    const rounds: ArmBlock[][] = [];
    for (let epoch = 0; epoch < EPOCHS; epoch++) {
      // A fresh pair of processes each time (started in turn order), so that one process's luck
      // (heap layout, JIT decisions) is not read as the difference between the arms.
      const order = epoch % 2 === 0 ? (['shipped', 'bypassed'] as const) : (['bypassed', 'shipped'] as const);
      for (const name of order) {
        const started = await startGateway(name === 'bypassed' && !CONTROL);
        arms.push({ name, started, clients: await connect(started, CLIENTS) });
      }
      const pair = arms.slice(-2);
      // Warm both up (JIT, pools, caches) before anything is counted.
      await Promise.all(pair.map((arm) => calls(arm.clients, 3000)));
      for (let r = 0; r < Math.ceil(ROUNDS / EPOCHS) && rounds.length < ROUNDS; r++) {
        // Both arms at once: whatever else this machine does at that moment weighs on both alike.
        const blocks = await Promise.all(
          pair.map(async (arm): Promise<ArmBlock> => {
            await calls(arm.clients, WARMUP);
            const before = cpuNs(arm.started.pid);
            await calls(arm.clients, CALLS);
            return { arm: arm.name, cpuPerCall: (cpuNs(arm.started.pid) - before) / 1000 / CALLS };
          }),
        );
        const shipped = blocks.find((b) => b.arm === 'shipped')!;
        const bypassed = blocks.find((b) => b.arm === 'bypassed')!;
        rounds.push([shipped, bypassed]);
        console.log(
          `  round ${rounds.length}: shipped ${shipped.cpuPerCall.toFixed(1)}, bypassed ${bypassed.cpuPerCall.toFixed(1)} µs/call (${pctOf(shipped.cpuPerCall / bypassed.cpuPerCall - 1)})`,
        );
      }
      for (const arm of pair) {
        await disconnect(arm.clients);
        await stopProcess(arm.started);
      }
    }

    const s = tracingOffSummary(rounds);
    if (!s) return 1;
    console.log(
      `\n## Tracing off: the shipped wrappers against the same path with them bypassed${CONTROL ? ' (CONTROL: both shipped)' : ''}\n`,
    );
    console.log(
      `${s.rounds} rounds, ${s.rounds * 2 * CALLS} measured calls; ${((Date.now() - began) / 60_000).toFixed(1)} min; load average after ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}.`,
    );
    console.log(`Gateway CPU per tools/call, shipped (OTEL off): ${fmtSpread(s.shipped, 1)} µs.`);
    console.log(`Gateway CPU per tools/call, wrappers bypassed: ${fmtSpread(s.bypassed, 1)} µs.`);
    console.log(
      `Difference, per round: ${fmtPct(s.relative)}; ${s.absolute.median >= 0 ? '+' : ''}${fmtSpread(s.absolute, 2)} µs/call.`,
    );
    const interval = s.interval ? `${pctOf(s.interval.low)} to ${pctOf(s.interval.high)}` : '–';
    console.log(`Median difference ${pctOf(s.relative.median)}, 95 % interval ${interval}.`);
    const target = `≤ ${(TRACING_OFF_MAX * 100).toFixed(0)} %`;
    console.log(
      `\nVerdict: ${s.status.toUpperCase()} — ${
        s.status === 'met'
          ? `tracing off costs at most ${pctOf(s.interval!.high)} of the gateway's CPU per call (target ${target})`
          : s.status === 'not met'
            ? `tracing off costs at least ${pctOf(s.interval!.low)} of the gateway's CPU per call (target ${target})`
            : `the interval (${interval}) straddles the target (${target}): this run's noise is larger than the question; rerun with more BENCH_ROUNDS or on a quieter host`
      }; ${s.roundsWithin} of ${s.rounds} rounds within the target.`,
    );
    // A verdict is a figure like the other benches' (exit 0 either way); failing to measure is not.
    return 0;
  } finally {
    for (const arm of arms) await disconnect(arm.clients);
    await stopAll();
    await testDb
      .drop()
      .catch((error: unknown) =>
        console.log(`Dropping the bench database failed: ${(error as Error).message}`),
      );
  }
}

process.exit(await main());
