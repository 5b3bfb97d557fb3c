// `npm run bench fairness`: one tenant cannot slow another (issue #30). Two organizations on one
// gateway process, each with a grant to the same trivial upstream. Organization B calls from one
// client; organization A floods from 16 and then 64 clients. Interleaved rounds (the order of the
// three phases rotates each round, so noise on this shared machine hits them alike) print B's
// p50/p99 alone and under each flood, and A's throughput and busy answers with its cap set to
// BENCH_A_CAP calls in flight (organizations.maxCallsInFlight). Target: B's p99 under flood ≤ 1.5×
// alone. The flood's clients share the machine's CPUs with the gateway, which the figures include.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { issueToken } from '@portcullis/crypto/tokens';
import { createPrismaClient } from '@portcullis/db/client';
import { createTestDatabase } from '@portcullis/db/test-database';
import { killAllSync, startProcess, stopAll } from './processes.ts';
import { percentile } from './stats.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../../..');
const num = (name: string, fallback: number) => {
  const raw = process.env[name];
  const value = raw ? Number(raw) : fallback;
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name}=${raw} is not a positive number`);
  return value;
};
const ROUNDS = num('BENCH_ROUNDS', 3);
const PHASE_MS = num('BENCH_PHASE_SECONDS', 6) * 1000;
const A_CAP = num('BENCH_A_CAP', 8);
const FLOODS = [16, 64];

interface Session {
  client: Client;
  transport: StreamableHTTPClientTransport;
}

async function connect(url: string, token: string): Promise<Session> {
  const client = new Client({ name: 'fairness', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
  });
  await client.connect(transport);
  return { client, transport };
}

async function close(s: Session): Promise<void> {
  await s.transport.terminateSession().catch(() => undefined);
  await s.client.close().catch(() => undefined);
}

const call = (s: Session) => s.client.callTool({ name: 'echo', arguments: { text: 'x'.repeat(64) } });

interface Phase {
  flood: number;
  bP50: number;
  bP99: number;
  bCalls: number;
  aCallsPerS: number;
  aBusy: number;
}

/**
 * A's flood, in a process of its own (so B's client does not share an event loop with 64 others):
 * `flood` sessions call as fast as they can for `ms`, then print what they got.
 */
async function floodProcess(url: string, token: string, flood: number, ms: number): Promise<void> {
  const sessions: Session[] = [];
  for (let i = 0; i < flood; i++) sessions.push(await connect(url, token));
  let ok = 0;
  let busy = 0;
  console.log('ready');
  const until = performance.now() + ms;
  await Promise.all(
    sessions.map(async (s) => {
      while (performance.now() < until) {
        try {
          const r = await call(s);
          if (r.isError) busy += 1;
          else ok += 1;
        } catch {
          // Busy (-32050) answers come back as JSON-RPC errors.
          busy += 1;
        }
      }
    }),
  );
  console.log(JSON.stringify({ ok, busy, seconds: ms / 1000 }));
  for (const s of sessions) await close(s);
}

interface FloodReport {
  ok: number;
  busy: number;
  seconds: number;
}

/** Starts A's flood process; resolves once its sessions are open, with its final report to come. */
async function startFlood(a: { url: string; token: string }, flood: number): Promise<Promise<FloodReport>> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      fileURLToPath(import.meta.url),
      '--flood',
      a.url,
      a.token,
      String(flood),
      String(PHASE_MS + 1_000),
    ],
    { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  let ready!: () => void;
  const isReady = new Promise<void>((r) => (ready = r));
  const report = new Promise<FloodReport>((resolve, reject) => {
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('ready')) ready();
    });
    child.on('exit', (code) => {
      const last = out.trim().split('\n').at(-1) ?? '';
      if (code === 0 && last.startsWith('{')) resolve(JSON.parse(last) as FloodReport);
      else reject(new Error(`the flood process exited with ${code}: ${out.slice(-500)}`));
    });
  });
  await Promise.race([isReady, report]);
  return report;
}

/** B calls one after another for PHASE_MS while A's `flood` clients (another process) call as fast as they can. */
async function phase(b: Session, a: { url: string; token: string }, flood: number): Promise<Phase> {
  const report = flood > 0 ? await startFlood(a, flood) : undefined;
  // Let the flood reach its steady state before measuring B.
  if (report) await new Promise((r) => setTimeout(r, 500));
  const latencies: number[] = [];
  const start = performance.now();
  while (performance.now() - start < PHASE_MS) {
    const t = performance.now();
    await call(b);
    latencies.push(performance.now() - t);
  }
  const got = report ? await report : { ok: 0, busy: 0, seconds: 1 };
  latencies.sort((x, y) => x - y);
  return {
    flood,
    bP50: percentile(latencies, 50),
    bP99: percentile(latencies, 99),
    bCalls: latencies.length,
    aCallsPerS: got.ok / got.seconds,
    aBusy: got.busy,
  };
}

const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const testDb = await createTestDatabase('portcullis_bench_fairness');
  process.on('exit', killAllSync);
  try {
    const upstream = await startProcess(
      process.execPath,
      ['--import', 'tsx', path.join(here, 'trivial-server.ts')],
      {
        cwd: root,
        ready: /(http:\/\/127\.0\.0\.1:(\d+)\/mcp)/,
      },
    );
    const upstreamUrl = upstream.match![1]!;
    const db = createPrismaClient(testDb.url);
    const policy = { version: '1', default: 'allow' };
    const tenant = async (name: string, cap?: number) => {
      const org = await db.organization.create({
        data: {
          name,
          slug: `${name.toLowerCase()}-${Date.now()}`,
          ...(cap ? { maxCallsInFlight: cap, maxCallsInFlightPerGrant: cap } : {}),
        },
      });
      const server = await db.mcpServer.create({
        data: { organizationId: org.id, name: 'trivial', transport: 'streamable_http', url: upstreamUrl },
      });
      await db.policyVersion.create({
        data: { organizationId: org.id, serverId: server.id, version: 1, active: true, document: policy },
      });
      const token = issueToken('grant');
      await db.grant.create({
        data: {
          organizationId: org.id,
          serverId: server.id,
          name: `${name} grant`,
          tokenHash: token.hash,
          tokenPrefix: token.prefix,
        },
      });
      return { serverId: server.id, token: token.token };
    };
    const a = await tenant('A', A_CAP);
    const b = await tenant('B');
    await db.$disconnect();
    const gateway = await startProcess(
      process.execPath,
      ['--import', 'tsx', path.join(root, 'apps/gateway/src/main.ts')],
      {
        cwd: root,
        ready: /"url":"(http:\/\/127\.0\.0\.1:(\d+))"/,
        env: {
          DATABASE_URL: testDb.url,
          PORTCULLIS_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
          GATEWAY_PORT: '0',
          UPSTREAM_PRIVATE_ORIGINS: new URL(upstreamUrl).origin,
          GATEWAY_ALLOW_PRIVATE_UPSTREAMS: 'false',
          // 64 flood clients are 64 sessions of one grant.
          GATEWAY_MAX_SESSIONS_PER_GRANT: '100',
          // info: the start-up line carries the URL; nothing is logged per call at this level.
          LOG_LEVEL: 'info',
        },
      },
    );
    const base = gateway.match![1]!;
    const aTarget = { url: `${base}/mcp/${a.serverId}`, token: a.token };
    const bSession = await connect(`${base}/mcp/${b.serverId}`, b.token);
    // Warm-up: B's path, caches and connections (A's flood process warms its own).
    for (let i = 0; i < 200; i++) await call(bSession);

    const results: Phase[][] = [];
    const order = [0, ...FLOODS];
    for (let round = 0; round < ROUNDS; round++) {
      const rotated = [...order.slice(round % order.length), ...order.slice(0, round % order.length)];
      const row: Phase[] = [];
      for (const flood of rotated) row.push(await phase(bSession, aTarget, flood));
      row.sort((x, y) => x.flood - y.flood);
      results.push(row);
      console.log(
        `round ${round + 1}: ` +
          row
            .map((p) =>
              p.flood === 0
                ? `B alone p50 ${p.bP50.toFixed(2)} ms p99 ${p.bP99.toFixed(2)} ms`
                : `A×${p.flood}: B p50 ${p.bP50.toFixed(2)} p99 ${p.bP99.toFixed(2)} ms, A ${p.aCallsPerS.toFixed(0)} calls/s (${p.aBusy} busy)`,
            )
            .join(' | '),
      );
    }
    console.log(
      `\nMedians over ${ROUNDS} interleaved rounds (A capped at ${A_CAP} calls in flight; ${PHASE_MS / 1000} s per phase):`,
    );
    const alone = median(results.map((r) => r[0]!.bP99));
    console.log(
      `  B alone           p50 ${median(results.map((r) => r[0]!.bP50)).toFixed(2)} ms   p99 ${alone.toFixed(2)} ms`,
    );
    for (let i = 1; i < order.length; i++) {
      const p99 = median(results.map((r) => r[i]!.bP99));
      console.log(
        `  B under A×${String(order[i]).padEnd(3)}    p50 ${median(results.map((r) => r[i]!.bP50)).toFixed(2)} ms   p99 ${p99.toFixed(2)} ms   (${(p99 / alone).toFixed(2)}× alone; target ≤ 1.5×: ${p99 / alone <= 1.5 ? 'met' : 'NOT met'})   A ${median(results.map((r) => r[i]!.aCallsPerS)).toFixed(0)} calls/s, ${median(results.map((r) => r[i]!.aBusy))} busy answers`,
      );
    }
    await close(bSession);
  } finally {
    await stopAll();
    await testDb.drop();
  }
}

if (process.argv[2] === '--flood') {
  const [, , , url, token, flood, ms] = process.argv;
  await floodProcess(url!, token!, Number(flood), Number(ms));
  process.exit(0);
} else await main();
