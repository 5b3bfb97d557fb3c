// `npm run bench -- tracing`: what tracing costs the gateway when it is off (#29: at most 1 % of
// its CPU per call), measured on the request path rather than estimated. Pairs of gateway
// processes on the same upstream, database and Redis (Redis counters, a rate-limited echo tool,
// durable audit, as `npm run bench gateway` runs it), OTEL off, started with
// tracing-switch-hooks.mjs so that their imports of src/ops/tracing.ts reach bench/tracing-switch.ts:
// there every helper the tools/call path calls is either the shipped function itself (arm
// "shipped") or the bare call it wraps (arm "bypassed"). Each round sends the same number of calls
// to both gateways of a pair at once (whatever else the machine does then weighs on both alike) and
// reads each process's CPU time over its calls (every thread, ns, /proc/<pid>/task/*/schedstat).
// A process keeps its own speed for life (heap layout, JIT decisions: ±2 % here), so halfway the
// two swap arms (then warm up again) and a pair's figure is the geometric mean of its two phases,
// in which that speed counts once for each arm; fresh pairs are the units of the verdict against
// 1 %: on the median across pairs, by its 95 % interval (met when wholly within, not met when
// wholly above, no verdict when it straddles). BENCH_TRACING_CONTROL=1 keeps both on the shipped
// module (an A/A run: what this machine cannot resolve). Not in the difference (in both arms
// alike): the call sites' own work for tracing (the call span's attribute object, the closures
// handed to the helpers). Knobs: BENCH_PAIRS (30), BENCH_ROUNDS per phase (3), BENCH_CALLS per
// round and gateway (1000), BENCH_WARMUP (50), BENCH_CLIENTS (8 per gateway).
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
import {
  fmtSpread,
  TRACING_OFF_MAX,
  tracingOffSummary,
  type ArmBlock,
  type Pair,
  type Round,
  type Spread,
} from './stats.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../../..');

function positive(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name}=${raw} is not a positive integer`);
  return value;
}
const PAIRS = positive('BENCH_PAIRS', 30);
const ROUNDS = positive('BENCH_ROUNDS', 3);
const CALLS = positive('BENCH_CALLS', 1000);
const WARMUP = positive('BENCH_WARMUP', 50);
const CLIENTS = positive('BENCH_CLIENTS', 8);
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

    const hooks = pathToFileURL(path.join(here, 'tracing-switch-hooks.mjs')).href;
    const register = `import { register } from 'node:module'; register(${JSON.stringify(hooks)});`;
    const startGateway = (arm: ArmBlock['arm'] | 'counting') =>
      startProcess(
        process.execPath,
        [
          '--import',
          'tsx',
          '--import',
          `data:text/javascript,${encodeURIComponent(register)}`,
          path.join(root, 'apps/gateway/src/main.ts'),
        ],
        {
          cwd: root,
          ready:
            /tracing-switch control (http:\/\/127\.0\.0\.1:\d+)[\s\S]*"url":"(http:\/\/127\.0\.0\.1:\d+)"/,
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
            BENCH_TRACING_ARM: arm,
          },
        },
      );
    const connect = async (started: Started, n: number) => {
      const clients: Arm['clients'] = [];
      for (let i = 0; i < n; i++) {
        const client = new Client({ name: 'bench', version: '1.0.0' });
        const transport = new StreamableHTTPClientTransport(
          new URL(`${started.match![2]}/mcp/${server.id}`),
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
    /** Sets the arm a gateway serves (tracing-switch.ts); checks tracing is off there. */
    const serve = async (started: Started, arm: ArmBlock['arm']) => {
      const res = await fetch(`${started.match![1]}/arm/${arm}`, { method: 'POST' });
      const state = (await res.json()) as { arm: string; tracingOn: boolean };
      if (state.arm !== arm || state.tracingOn)
        throw new Error(`the gateway serves ${JSON.stringify(state)}`);
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
    const standIn = Object.keys(await import('./tracing-switch.ts')).sort();
    if (JSON.stringify(standIn) !== JSON.stringify(real))
      throw new Error(`tracing-switch.ts is out of date: ops/tracing.ts exports ${real.join(', ')}`);
    const counting = await startGateway('counting');
    const countingClients = await connect(counting, 1);
    await calls(countingClients, 100);
    await disconnect(countingClients);
    await stopProcess(counting);
    const counts = JSON.parse(/tracing-switch counts (\{.*\})/.exec(counting.tail())?.[1] ?? '{}') as Record<
      string,
      number
    >;
    const perCall = Object.entries(counts)
      .map(([name, n]) => `${name} ${(n / (counts.inRequestSpan ?? 1)).toFixed(1)}`)
      .join(', ');
    if (!((counts.inRequestSpan ?? 0) >= 100 && (counts.atEdge ?? 0) >= 100))
      throw new Error(`the gateway's tools/call path does not reach the stand-in: ${perCall || 'no calls'}`);

    console.log(
      `${CONTROL ? 'CONTROL RUN (A/A): both gateways serve the shipped module throughout. ' : ''}${PAIRS} pairs of gateway processes × 2 phases (arms swapped) × ${ROUNDS} rounds, both gateways of a pair at once; per round and gateway ${WARMUP} calls, then ${CALLS} measured, over ${CLIENTS} clients each; ` +
        `Node ${process.version}, ${os.cpus().length} cores, load average ${loadBefore.map((l) => l.toFixed(2)).join(' ')}.`,
    );
    console.log(`Tracing helpers called per tools/call on this path: ${perCall}.`);
    const pairs: Pair[] = [];
    const cpu = (round: Round, arm: ArmBlock['arm']) =>
      round.find((b) => b.arm === arm)?.cpuPerCall ?? Number.NaN;
    for (let p = 0; p < PAIRS; p++) {
      // A fresh pair of processes each time (started in turns). Each serves one arm, then the other.
      const first = p % 2 === 0 ? (['shipped', 'bypassed'] as const) : (['bypassed', 'shipped'] as const);
      for (const name of first) {
        const started = await startGateway(CONTROL ? 'shipped' : name);
        arms.push({ name, started, clients: await connect(started, CLIENTS) });
      }
      const pair = arms.slice(-2);
      const phases: Round[][] = [];
      for (let phase = 0; phase < 2; phase++) {
        if (phase === 1)
          for (const arm of pair) {
            arm.name = arm.name === 'shipped' ? 'bypassed' : 'shipped';
            await serve(arm.started, CONTROL ? 'shipped' : arm.name);
          }
        // Warm both up (JIT, pools, caches; after the swap, the helpers' new callees) first.
        await Promise.all(pair.map((arm) => calls(arm.clients, 3000)));
        const rounds: Round[] = [];
        for (let r = 0; r < ROUNDS; r++) {
          // Both arms at once: whatever else this machine does at that moment weighs on both alike.
          rounds.push(
            await Promise.all(
              pair.map(async (arm): Promise<ArmBlock> => {
                await calls(arm.clients, WARMUP);
                const before = cpuNs(arm.started.pid);
                await calls(arm.clients, CALLS);
                return { arm: arm.name, cpuPerCall: (cpuNs(arm.started.pid) - before) / 1000 / CALLS };
              }),
            ),
          );
        }
        phases.push(rounds);
      }
      pairs.push(phases);
      console.log(
        `  pair ${p + 1}: ${phases
          .map((rounds) =>
            rounds.map((b) => `${pctOf(cpu(b, 'shipped') / cpu(b, 'bypassed') - 1)}`).join(' '),
          )
          .join(' | swapped | ')} (shipped vs bypassed per round)`,
      );
      for (const arm of pair) {
        await disconnect(arm.clients);
        await stopProcess(arm.started);
      }
    }

    const s = tracingOffSummary(pairs);
    if (!s) return 1;
    console.log(
      `\n## Tracing off: the shipped wrappers against the same path with them bypassed${CONTROL ? ' (CONTROL: both shipped)' : ''}\n`,
    );
    console.log(
      `${s.pairs} pairs, ${s.rounds} rounds, ${s.rounds * 2 * CALLS} measured calls; ${((Date.now() - began) / 60_000).toFixed(1)} min; load average after ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}.`,
    );
    console.log(`Gateway CPU per tools/call, shipped (OTEL off): ${fmtSpread(s.shipped, 1)} µs.`);
    console.log(`Gateway CPU per tools/call, wrappers bypassed: ${fmtSpread(s.bypassed, 1)} µs.`);
    console.log(
      `Difference per round: ${s.absolute.median >= 0 ? '+' : ''}${fmtSpread(s.absolute, 2)} µs/call; per pair (both phases): ${s.perPair.map(pctOf).join(', ')}.`,
    );
    const interval = s.interval ? `${pctOf(s.interval.low)} to ${pctOf(s.interval.high)}` : '–';
    console.log(`Median across pairs ${fmtPct(s.relative)}, its 95 % interval ${interval}.`);
    const target = `≤ ${(TRACING_OFF_MAX * 100).toFixed(0)} %`;
    console.log(
      `\nVerdict: ${s.status.toUpperCase()} — ${
        s.status === 'met'
          ? `tracing off costs at most ${pctOf(s.interval!.high)} of the gateway's CPU per call (target ${target})`
          : s.status === 'not met'
            ? `tracing off costs at least ${pctOf(s.interval!.low)} of the gateway's CPU per call (target ${target})`
            : s.interval
              ? `the interval (${interval}) straddles the target (${target}): this run's noise is larger than the question; rerun with more BENCH_PAIRS or on a quieter host`
              : `too few pairs for an interval of the median (at least 6)`
      }; ${s.pairsWithin} of ${s.pairs} pairs within the target.`,
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
