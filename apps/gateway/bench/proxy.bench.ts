// `npm run bench gateway`: the same tools/call against one trivial upstream MCP server, directly and
// through each proxy, in interleaved rounds so that noise on this shared machine hits every target
// alike. Each round measures every target once, in an order rotated by one place per round; ratios
// and added latency are computed per round against that round's direct run and reported as the
// median with the min–max across rounds, then checked against the gateway issue's targets
// (stats.ts). Targets:
//   - direct: the SDK client to the upstream's Streamable HTTP endpoint;
//   - the gateway (own process, policy with a rate-limit rule, durable audit) with counters in
//     Redis, and in PostgreSQL as `npm start` runs it (BENCH_SKIP_PG_COUNTERS=1 skips it);
//   - the gateway in front of the same server over stdio, started from an operator template
//     (STDIO_TEMPLATES) under STDIO_SANDBOX=auto as `npm start` runs it, and with STDIO_SANDBOX=off
//     (BENCH_SKIP_STDIO=1 skips both, BENCH_SKIP_SANDBOX_OFF=1 the second);
//   - the gateway with Redis counters and OpenTelemetry on (OTLP/HTTP JSON to a receiver in this
//     process that counts the spans it is sent; BENCH_SKIP_TRACING=1 skips it), paired round by
//     round with the same gateway without tracing to give tracing's cost per call;
//   - supergateway and mcp-proxy (fetched with npx, then run with node from npx's cache), which proxy
//     the stdio server to Streamable HTTP without policy, limits or audit (BENCH_SKIP_OTHERS=1 skips them).
// CPU per call is read from /proc for each proxy's own process and, separately, for the processes it
// started (a stdio upstream, its sandbox). Every process the bench starts runs in its own process
// group and is stopped at the end, also when a target fails or the run is interrupted.
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { spawnSync } from 'node:child_process';
import { realpathSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { issueToken } from '@portcullis/crypto/tokens';
import { createPrismaClient } from '@portcullis/db/client';
import { createTestDatabase } from '@portcullis/db/test-database';
import { DEFAULT_SANDBOX, effectiveSandboxMode } from '@portcullis/upstream/stdio-sandbox';
import pg from 'pg';
import {
  cpuBetween,
  cpuSnapshot,
  freePort,
  killAllSync,
  listening,
  startProcess,
  stopAll,
  stopProcess,
  waitForPort,
  type Started,
} from './processes.ts';
import {
  directStability,
  fmtSpread,
  GOALS,
  pct,
  percentile,
  rotation,
  spread,
  summarize,
  verdictLine,
  verdicts,
  type RoundFigures,
  type Spread,
} from './stats.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../../..');

function numberEnv(name: string, fallback: number, { zero = false } = {}): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw.replace(/%$/, ''));
  if (!Number.isFinite(value) || value < 0 || (value === 0 && !zero))
    throw new Error(`${name}=${raw} is not a ${zero ? 'non-negative' : 'positive'} number`);
  return value;
}

const ROUNDS = Math.floor(numberEnv('BENCH_ROUNDS', 5));
// Rounds run first and discarded: long-lived processes (the upstreams, PostgreSQL, this client) keep
// getting faster over the first minutes, which made direct's figures climb round after round.
const WARMUP_ROUNDS = Math.floor(numberEnv('BENCH_WARMUP_ROUNDS', 1, { zero: true }));
const CALLS_ONE = Math.floor(numberEnv('BENCH_CALLS', 800));
const CALLS_EIGHT = CALLS_ONE * 2;
const WARMUP = Math.floor(numberEnv('BENCH_WARMUP', 200));
// Each phase also stops after this long, whichever comes first, so a full run stays bounded (≈ 10 min
// for 5 rounds of 7 targets) however busy the shared machine is; figures are per call actually made.
const PHASE_MS = numberEnv('BENCH_PHASE_SECONDS', 6) * 1000;
// A fraction (0.25) or a percentage (25, 25%).
const MAX_DIRECT_SPREAD = ((v) =>
  v > 1 || process.env.BENCH_MAX_DIRECT_SPREAD?.endsWith('%') ? v / 100 : v)(
  numberEnv('BENCH_MAX_DIRECT_SPREAD', 0.25),
);
const PROFILE_DIR = process.env.BENCH_PROFILE_DIR;
const DIRECT = 'direct';
const GW_REDIS = 'portcullis gateway (Redis counters)';
const GW_TRACING = 'portcullis gateway (Redis counters, tracing on)';
const GW_TOOLSET = 'portcullis gateway (Redis counters, toolset of one server)';
/** #26: a toolset of one server may cost at most this much more own CPU per call than the plain grant. */
const TOOLSET_MAX_EXTRA_CPU = 0.05;
const MCP_PROXY = 'mcp-proxy 6.7.19 (stdio upstream)';

// The SDK's client transport hands one AbortSignal to every fetch, and Node 20's fetch adds an
// abort listener to it per request without removing it: a long benchmark client prints one
// MaxListenersExceededWarning per call. That is the client library's leak, the same for every
// target; count those warnings instead of printing thousands, print any other warning as usual.
let clientListenerWarnings = 0;
process.removeAllListeners('warning');
process.on('warning', (warning) => {
  if (
    warning.name === 'MaxListenersExceededWarning' &&
    /abort listeners added to \[AbortSignal\]/.test(warning.message)
  )
    clientListenerWarnings += 1;
  else console.warn(`${warning.name}: ${warning.message}`);
});

interface Endpoint {
  url: string;
  headers: Record<string, string>;
  /** The proxy's own process; its descendants are its "children" CPU. None for direct. */
  pid?: number;
  /** The name the bench tool has there (a toolset prefixes it); `echo` when unset. */
  toolName?: string;
}

interface Target {
  name: string;
  /** For the per-round lines. */
  short: string;
  /** Ready to be measured (starts the process when it is not running). */
  prepare: () => Promise<Endpoint>;
  /** After each measurement, failed or not (third-party proxies are stopped; gateways keep running). */
  release: () => Promise<void>;
  /** The process's last output, shown when a measurement fails. */
  tail?: () => string;
  /** Process names below the proxy at its last measurement (shows the sandbox at work). */
  childNames?: string[];
}

/** Ports this run listened on, checked free at the end. */
const usedPorts = new Set<number>();

interface Session {
  client: Client;
  transport: StreamableHTTPClientTransport;
  toolName: string;
}

async function connect(endpoint: Endpoint): Promise<Session> {
  const client = new Client({ name: 'bench', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(endpoint.url), {
    requestInit: { headers: endpoint.headers },
  });
  await client.connect(transport);
  return { client, transport, toolName: endpoint.toolName ?? 'echo' };
}

/** Ends the session on the server too (the gateway caps sessions per grant; rounds would exhaust it). */
async function disconnect(session: Session): Promise<void> {
  await session.transport.terminateSession().catch(() => undefined);
  await session.client.close().catch(() => undefined);
}

const TEXT = 'x'.repeat(64);
async function call(session: Session): Promise<void> {
  await session.client.callTool({ name: session.toolName, arguments: { text: TEXT } });
}

async function measure(target: Target, endpoint: Endpoint, round: number): Promise<RoundFigures> {
  const sessions: Session[] = [];
  try {
    const one = await connect(endpoint);
    sessions.push(one);
    const check = await one.client.callTool({ name: one.toolName, arguments: { text: TEXT } });
    if (check.isError) throw new Error(`echo failed: ${JSON.stringify(check).slice(0, 500)}`);
    for (let i = 0; i < WARMUP; i++) await call(one);

    const latencies: number[] = [];
    const cpu0 = endpoint.pid ? cpuSnapshot(endpoint.pid) : undefined;
    let start = performance.now();
    for (let i = 0; i < CALLS_ONE && performance.now() - start < PHASE_MS; i++) {
      const t = performance.now();
      await call(one);
      latencies.push(performance.now() - t);
    }
    const calls1 = latencies.length;
    const rps1 = calls1 / ((performance.now() - start) / 1000);
    const cpu1 = endpoint.pid ? cpuSnapshot(endpoint.pid) : undefined;

    for (let i = 0; i < 8; i++) sessions.push(await connect(endpoint));
    const eight = sessions.slice(1);
    for (const s of eight) await call(s);
    const cpu2 = endpoint.pid ? cpuSnapshot(endpoint.pid) : undefined;
    let next = 0;
    start = performance.now();
    const deadline = start + PHASE_MS;
    await Promise.all(
      eight.map(async (s) => {
        while (next < CALLS_EIGHT && performance.now() < deadline) {
          next += 1;
          await call(s);
        }
      }),
    );
    const calls8 = next;
    const rps8 = calls8 / ((performance.now() - start) / 1000);
    const cpu3 = endpoint.pid ? cpuSnapshot(endpoint.pid) : undefined;
    latencies.sort((a, b) => a - b);
    const figures: RoundFigures = {
      round,
      target: target.name,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      rps1,
      rps8,
      calls1,
      calls8,
    };
    if (cpu0 && cpu1 && cpu2 && cpu3) {
      const phase1 = cpuBetween(cpu0, cpu1);
      const phase8 = cpuBetween(cpu2, cpu3);
      figures.cpuOwn1 = phase1.ownMs / calls1;
      figures.cpuChildren1 = phase1.childrenMs / calls1;
      figures.cpuOwn8 = phase8.ownMs / calls8;
      figures.cpuChildren8 = phase8.childrenMs / calls8;
      target.childNames = cpu3.childNames;
    }
    return figures;
  } finally {
    await Promise.all(sessions.map(disconnect));
  }
}

/**
 * A local OTLP/HTTP receiver for the traced gateway: answers every export with 200 and counts the
 * spans of the JSON payloads, so the bench shows tracing produced spans rather than silently nothing.
 */
async function startOtlpReceiver(): Promise<{
  url: string;
  spans: () => number;
  close: () => Promise<void>;
}> {
  let spans = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
          resourceSpans?: { scopeSpans?: { spans?: unknown[] }[] }[];
        };
        for (const r of body.resourceSpans ?? [])
          for (const s of r.scopeSpans ?? []) spans += s.spans?.length ?? 0;
      } catch {
        // Not JSON (a protobuf exporter): still acknowledged; the count stays as it is.
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  usedPorts.add(port);
  return {
    url: `http://127.0.0.1:${port}`,
    spans: () => spans,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** p50 of a committed one-row INSERT: the least latency durable audit can add for one client. */
async function fsyncFloor(
  url: string,
  round: number,
): Promise<{ p50: number; p90: number; synchronousCommit: string }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const table = `bench_fsync_probe_${round}`;
  try {
    const setting = await client.query<{ synchronous_commit: string }>('SHOW synchronous_commit');
    await client.query(
      `CREATE TABLE ${table} (id serial PRIMARY KEY, at timestamptz NOT NULL DEFAULT now(), payload text)`,
    );
    const times: number[] = [];
    for (let i = 0; i < 350; i++) {
      const t = performance.now();
      await client.query({
        name: 'probe',
        text: `INSERT INTO ${table} (payload) VALUES ($1)`,
        values: ['x'.repeat(200)],
      });
      if (i >= 50) times.push(performance.now() - t);
    }
    await client.query(`DROP TABLE ${table}`);
    times.sort((a, b) => a - b);
    return {
      p50: percentile(times, 50),
      p90: percentile(times, 90),
      synchronousCommit: setting.rows[0]!.synchronous_commit,
    };
  } finally {
    await client.end();
  }
}

/** The installed entry point of an npx package (fetched into npx's cache once), run with node directly. */
function npxBin(spec: string, bin: string): string {
  const r = spawnSync('npx', ['--yes', '-p', spec, '-c', `command -v ${bin}`], {
    cwd: os.tmpdir(),
    encoding: 'utf8',
    timeout: 300_000,
  });
  const found = r.stdout?.trim().split('\n').pop();
  if (r.status !== 0 || !found)
    throw new Error(
      `npx could not provide ${spec}: ${(r.stderr || r.error?.message || '').trim().split('\n').slice(-3).join(' ')}`,
    );
  return realpathSync(found);
}

function callsMade(figures: readonly RoundFigures[]): string {
  const range = (values: number[]) => (values.length ? `${Math.min(...values)}–${Math.max(...values)}` : '–');
  return `${range(figures.map((f) => f.calls1 ?? 0))} at 1 client, ${range(figures.map((f) => f.calls8 ?? 0))} at 8`;
}

function fmt(v: number | undefined, digits: number): string {
  return v === undefined ? '–' : v.toFixed(digits);
}

async function main(): Promise<number> {
  const began = Date.now();
  const loadBefore = os.loadavg();
  const testDb = await createTestDatabase('portcullis_bench');
  let interrupted = false;
  const onSignal = (sig: NodeJS.Signals) => {
    if (interrupted) return;
    interrupted = true;
    console.log(`\n${sig}: stopping every process the bench started; figures so far follow`);
    // The measurement under way fails at once; main() then reports what it has, drops the database and exits.
    void stopAll();
    setTimeout(() => {
      killAllSync();
      process.exit(130);
    }, 30_000).unref();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('exit', killAllSync);

  let otlp: Awaited<ReturnType<typeof startOtlpReceiver>> | undefined;
  try {
    const upstream = await startProcess(
      process.execPath,
      ['--import', 'tsx', path.join(here, 'trivial-server.ts')],
      { cwd: root, ready: /(http:\/\/127\.0\.0\.1:(\d+)\/mcp)/ },
    );
    const upstreamUrl = upstream.match![1]!;
    usedPorts.add(Number(upstream.match![2]));

    const stdioServer = path.join(here, 'trivial-stdio-server.mjs');
    const stdioTemplates = JSON.stringify([
      {
        id: 'bench',
        name: 'Bench trivial server',
        command: process.execPath,
        args: [stdioServer],
        // The server file, and node_modules for the SDK and zod it imports.
        readOnlyPaths: [here, path.join(root, 'node_modules')],
      },
    ]);

    const db = createPrismaClient(testDb.url);
    const org = await db.organization.create({ data: { name: 'Bench', slug: `bench-${Date.now()}` } });
    const policy = {
      version: '1',
      default: 'deny',
      tools: { echo: { limits: [{ window: 'minute', max: 1_000_000, scope: 'grant' }] } },
    };
    const register = async (data: {
      name: string;
      transport: 'streamable_http' | 'stdio';
      url?: string;
      stdioTemplate?: string;
    }) => {
      const server = await db.mcpServer.create({ data: { organizationId: org.id, ...data } });
      await db.policyVersion.create({
        data: { organizationId: org.id, serverId: server.id, version: 1, active: true, document: policy },
      });
      const token = issueToken('grant');
      await db.grant.create({
        data: {
          organizationId: org.id,
          serverId: server.id,
          name: `bench ${data.name}`,
          tokenHash: token.hash,
          tokenPrefix: token.prefix,
        },
      });
      return { serverId: server.id, token: token.token };
    };
    const httpServer = await register({ name: 'trivial', transport: 'streamable_http', url: upstreamUrl });
    // The same server through a toolset of one (docs/toolsets.md): its tool is trivial__echo.
    const toolsetRow = await (async () => {
      const toolset = await db.toolset.create({
        data: {
          organizationId: org.id,
          name: 'bench toolset',
          members: {
            create: [{ organizationId: org.id, serverId: httpServer.serverId, prefix: 'trivial' }],
          },
        },
      });
      const token = issueToken('grant');
      await db.grant.create({
        data: {
          organizationId: org.id,
          toolsetId: toolset.id,
          name: 'bench toolset',
          tokenHash: token.hash,
          tokenPrefix: token.prefix,
        },
      });
      return { serverId: toolset.id, token: token.token, toolName: 'trivial__echo' };
    })();
    const stdioRow = await register({ name: 'trivial-stdio', transport: 'stdio', stdioTemplate: 'bench' });
    await db.$disconnect();

    const sandboxAuto = (() => {
      try {
        return effectiveSandboxMode(DEFAULT_SANDBOX);
      } catch (error) {
        return `refused (${(error as Error).message})`;
      }
    })();

    // A gateway process, started at its first turn and again at the next turn after it died.
    const gatewayTarget = (
      name: string,
      short: string,
      row: { serverId: string; token: string; toolName?: string },
      env: Record<string, string>,
    ): Target => {
      let running: Started | undefined;
      let url = '';
      const target: Target = {
        name,
        short,
        prepare: async () => {
          if (!running || running.exited()) {
            if (running) console.log(`  ${name}: the gateway process had exited; starting it again`);
            running = await startProcess(
              process.execPath,
              [
                ...(PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : []),
                '--import',
                'tsx',
                path.join(root, 'apps/gateway/src/main.ts'),
              ],
              {
                cwd: root,
                ready: /"url":"(http:\/\/127\.0\.0\.1:(\d+))"/,
                env: {
                  DATABASE_URL: testDb.url,
                  PORTCULLIS_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
                  GATEWAY_PORT: '0',
                  // Only the bench upstream's exact origin, as `npm start` allows only the stand-in's.
                  UPSTREAM_PRIVATE_ORIGINS: new URL(upstreamUrl).origin,
                  GATEWAY_ALLOW_PRIVATE_UPSTREAMS: 'false',
                  STDIO_TEMPLATES: stdioTemplates,
                  // info: the start-up line carries the URL; nothing is logged per call at this level.
                  LOG_LEVEL: 'info',
                  // Tracing off whatever this shell exports; only the traced row turns it on.
                  OTEL_SDK_DISABLED: 'true',
                  ...env,
                },
              },
            );
            url = running.match![1]!;
            usedPorts.add(Number(running.match![2]));
            target.tail = running.tail;
          }
          return {
            url: `${url}/mcp/${row.serverId}`,
            headers: { Authorization: `Bearer ${row.token}` },
            pid: running.pid,
            ...(row.toolName ? { toolName: row.toolName } : {}),
          };
        },
        release: async () => undefined,
      };
      return target;
    };

    // Third-party proxies: started for each measurement and stopped after it (mcp-proxy left idle
    // for minutes fails with 'fetch failed'), on a port picked free each time.
    const thirdParty = (
      name: string,
      short: string,
      spec: string,
      bin: string,
      args: (port: number) => string[],
    ): Target => {
      let entry: string | undefined;
      let running: Started | undefined;
      let port = 0;
      const target: Target = {
        name,
        short,
        prepare: async () => {
          entry ??= npxBin(spec, bin);
          port = await freePort();
          usedPorts.add(port);
          running = await startProcess(process.execPath, [entry, ...args(port)], {
            cwd: os.tmpdir(),
            ready: null,
          });
          target.tail = running.tail;
          await waitForPort(port, 60_000, running.exited);
          return { url: `http://127.0.0.1:${port}/mcp`, headers: {}, pid: running.pid };
        },
        release: async () => {
          if (running) await stopProcess(running);
          running = undefined;
          if (port && (await listening(port)))
            console.log(`  ${name}: port ${port} still answers after its process group was stopped`);
        },
      };
      return target;
    };

    const stdioCommand = `${process.execPath} ${stdioServer}`;
    const targets: Target[] = [
      {
        name: DIRECT,
        short: DIRECT,
        prepare: async () => ({ url: upstreamUrl, headers: {} }),
        release: async () => undefined,
      },
      gatewayTarget(GW_REDIS, 'gw-redis', httpServer, {
        REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      }),
    ];
    if (process.env.BENCH_SKIP_TOOLSET !== '1')
      targets.push(
        gatewayTarget(GW_TOOLSET, 'gw-toolset', toolsetRow, {
          REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
        }),
      );
    if (process.env.BENCH_SKIP_TRACING !== '1') {
      otlp = await startOtlpReceiver();
      targets.push(
        gatewayTarget(GW_TRACING, 'gw-traced', httpServer, {
          REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
          OTEL_SDK_DISABLED: 'false',
          OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
          OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${otlp.url}/v1/traces`,
          OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
          OTEL_SERVICE_NAME: 'portcullis-gateway-bench',
        }),
      );
    }
    if (process.env.BENCH_SKIP_PG_COUNTERS !== '1')
      targets.push(
        gatewayTarget('portcullis gateway (PostgreSQL counters)', 'gw-pg', httpServer, { REDIS_URL: '' }),
      );
    if (process.env.BENCH_SKIP_STDIO !== '1') {
      const redis = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
      targets.push(
        gatewayTarget(
          `portcullis gateway (stdio upstream, sandbox auto=${sandboxAuto.split(' ')[0]})`,
          'gw-stdio-auto',
          stdioRow,
          { REDIS_URL: redis, STDIO_SANDBOX: 'auto' },
        ),
      );
      if (process.env.BENCH_SKIP_SANDBOX_OFF !== '1')
        targets.push(
          gatewayTarget('portcullis gateway (stdio upstream, sandbox off)', 'gw-stdio-off', stdioRow, {
            REDIS_URL: redis,
            STDIO_SANDBOX: 'off',
          }),
        );
    }
    if (process.env.BENCH_SKIP_OTHERS !== '1') {
      targets.push(
        thirdParty(
          'supergateway 4.0.0 (stdio upstream)',
          'supergateway',
          'supergateway@4.0.0',
          'supergateway',
          (port) => [
            '--stdio',
            stdioCommand,
            '--outputTransport',
            'streamableHttp',
            '--stateful',
            '--port',
            String(port),
            '--logLevel',
            'none',
          ],
        ),
        thirdParty(MCP_PROXY, 'mcp-proxy', 'mcp-proxy@6.7.19', 'mcp-proxy', (port) => [
          '--port',
          String(port),
          '--',
          ...stdioCommand.split(' '),
        ]),
      );
    }

    console.log(
      `${WARMUP_ROUNDS} warm-up round(s) not counted, then ${ROUNDS} rounds × ${targets.length} targets; per target per round ${WARMUP} warm-up calls, ${CALLS_ONE} sequential calls (1 client), ${CALLS_EIGHT} calls over 8 clients, each phase at most ${PHASE_MS / 1000} s; ` +
        `STDIO_SANDBOX=auto is ${sandboxAuto} on this host; Node ${process.version}, ${os.cpus().length} cores, load average ${loadBefore.map((l) => l.toFixed(2)).join(' ')}`,
    );

    const figures: RoundFigures[] = [];
    const floors: number[] = [];
    const failures: string[] = [];
    let synchronousCommit = '';
    for (let pass = 0; pass < WARMUP_ROUNDS + ROUNDS && !interrupted; pass++) {
      const warmup = pass < WARMUP_ROUNDS;
      const round = pass - WARMUP_ROUNDS;
      const floor = await fsyncFloor(testDb.url, pass);
      if (!warmup) floors.push(floor.p50);
      synchronousCommit = floor.synchronousCommit;
      console.log(
        warmup
          ? `\nwarm-up round ${pass + 1}/${WARMUP_ROUNDS} (not counted): durable-commit floor ${floor.p50.toFixed(2)} ms p50`
          : `\nround ${round + 1}/${ROUNDS}: durable-commit floor ${floor.p50.toFixed(2)} ms p50, ${floor.p90.toFixed(2)} ms p90`,
      );
      for (const target of rotation(targets, pass)) {
        if (interrupted) break;
        const t0 = Date.now();
        try {
          const endpoint = await target.prepare();
          const f = await measure(target, endpoint, Math.max(0, round));
          if (!warmup) figures.push(f);
          const cpu =
            f.cpuOwn1 === undefined
              ? ''
              : `, CPU ms/call own ${fmt(f.cpuOwn1, 3)}/${fmt(f.cpuOwn8, 3)} children ${fmt(f.cpuChildren1, 3)}/${fmt(f.cpuChildren8, 3)} (1/8 clients)`;
          console.log(
            `  ${target.name}: p50 ${f.p50.toFixed(2)} ms, ${f.rps1.toFixed(0)} calls/s (1), ${f.rps8.toFixed(0)} calls/s (8)${cpu} [${f.calls1}+${f.calls8} calls, ${((Date.now() - t0) / 1000).toFixed(0)} s]`,
          );
        } catch (error) {
          const message = (error as Error).message.split('\n')[0];
          failures.push(
            `${warmup ? 'warm-up round' : `round ${round + 1}`}: ${target.name}: ${interrupted ? 'interrupted' : message}`,
          );
          console.log(
            `  ${target.name} FAILED: ${(error as Error).message}${target.tail ? `\n    its last output: ${target.tail().slice(-500)}` : ''}`,
          );
        } finally {
          await target
            .release()
            .catch((error: unknown) =>
              console.log(`  ${target.name}: stopping failed: ${(error as Error).message}`),
            );
        }
      }
    }

    const names = targets.map((t) => t.name);
    const summaries = summarize(figures, names, DIRECT);
    const floorSpread = spread(floors);
    const ctx = {
      directName: DIRECT,
      mcpProxyName: MCP_PROXY,
      floorP50: floorSpread,
      maxDirectSpread: MAX_DIRECT_SPREAD,
    };
    const results = verdicts(summaries, ctx);
    const stability = directStability(summaries, ctx);
    const minutes = (Date.now() - began) / 60_000;

    console.log(`\n## Results: ${ROUNDS} interleaved rounds, medians with (min–max) across rounds`);
    console.log(
      `\nPer target per round: ${CALLS_ONE} sequential calls (1 client) and ${CALLS_EIGHT} over 8 clients, each phase cut at ${PHASE_MS / 1000} s (calls made: ${callsMade(figures)}), after ${WARMUP} warm-up calls; tools/call "echo" ("trivial__echo" through the toolset); Node ${process.version}, ` +
        `${os.cpus().length} cores; load average ${loadBefore.map((l) => l.toFixed(2)).join(' ')} before, ${os
          .loadavg()
          .map((l) => l.toFixed(2))
          .join(' ')} after; ${minutes.toFixed(1)} min in all.`,
    );
    console.log(
      `Durable-commit floor (committed one-row INSERT, synchronous_commit=${synchronousCommit}): ${fmtSpread(floorSpread, 2)} ms p50.`,
    );
    console.log(`STDIO_SANDBOX=auto runs stdio servers under: ${sandboxAuto}.`);
    console.log(
      '\n| target | rounds | p50 ms | added p50 ms | p99 ms | calls/s (1) | calls/s (8) | ×direct (8) | own CPU ms/call (1) | own CPU ms/call (8) | children CPU ms/call (1) | children CPU ms/call (8) |',
    );
    console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
    for (const s of summaries) {
      const isDirect = s.target === DIRECT;
      console.log(
        `| ${s.target} | ${s.rounds} | ${fmtSpread(s.p50, 2)} | ${isDirect ? '0' : fmtSpread(s.addedP50, 2)} | ${fmtSpread(s.p99, 2)} | ${fmtSpread(s.rps1, 0)} | ${fmtSpread(s.rps8, 0)} | ${isDirect ? '1' : fmtSpread(s.ratio8, 2)} | ` +
          `${fmtSpread(s.cpuOwn1, 3)} | ${fmtSpread(s.cpuOwn8, 3)} | ${fmtSpread(s.cpuChildren1, 3)} | ${fmtSpread(s.cpuChildren8, 3)} |`,
      );
    }
    for (const t of targets) {
      if (!t.childNames?.length) continue;
      const counts = new Map<string, number>();
      for (const n of t.childNames) counts.set(n, (counts.get(n) ?? 0) + 1);
      console.log(
        `Processes below ${t.name} (its children CPU): ${[...counts].map(([n, c]) => (c > 1 ? `${n} ×${c}` : n)).join(', ')}.`,
      );
    }

    console.log(
      `\nDirect between rounds: calls/s (8) ${stability.rps8Spread === undefined ? '–' : pct(stability.rps8Spread)}, p50 ${stability.p50Spread === undefined ? '–' : pct(stability.p50Spread)} (max/min − 1; bound BENCH_MAX_DIRECT_SPREAD=${pct(MAX_DIRECT_SPREAD)}).`,
    );
    console.log(
      `\n## Verdicts (issue targets: calls/s (8) ≥ ${GOALS.minRatio8}× direct and ≥ mcp-proxy's ratio; own CPU ≤ ${GOALS.maxCpuOwn8} ms/call at 8 clients; added p50 ≤ floor + ${GOALS.addedP50Margin} ms)\n`,
    );
    for (const v of results) console.log(`- ${verdictLine(v)}`);

    // The sandbox's cost: the two stdio rows paired round by round (same round, same noise).
    const auto = names.find((n) => n.includes('sandbox auto'));
    const off = names.find((n) => n.includes('sandbox off'));
    if (auto && off) {
      const paired = (key: keyof RoundFigures) =>
        spread(
          figures
            .filter((f) => f.target === auto)
            .map((a) => {
              const o = figures.find((f) => f.target === off && f.round === a.round);
              return o && typeof a[key] === 'number' && typeof o[key] === 'number'
                ? (a[key] as number) - (o[key] as number)
                : undefined;
            }),
        );
      const describe = (label: string, s: Spread | undefined, digits: number, unit: string) =>
        s
          ? `${label} ${s.median >= 0 ? '+' : ''}${fmtSpread(s, digits)}${unit}${s.min <= 0 && s.max >= 0 ? " (within the rounds' spread)" : ''}`
          : `${label} –`;
      console.log(
        `\nSandbox cost (auto=${sandboxAuto.split(' ')[0]} minus off, per round): ${[
          describe('p50', paired('p50'), 2, ' ms'),
          describe('calls/s (8)', paired('rps8'), 0, ''),
          describe('own CPU (8)', paired('cpuOwn8'), 3, ' ms/call'),
          describe('children CPU (8)', paired('cpuChildren8'), 3, ' ms/call'),
        ].join('; ')}.`,
      );
    }

    // A toolset's cost (#26): the toolset of one server minus the plain grant on it, per round.
    if (names.includes(GW_TOOLSET) && names.includes(GW_REDIS)) {
      const pairs = figures
        .filter((f) => f.target === GW_TOOLSET)
        .map((t) => [t, figures.find((f) => f.target === GW_REDIS && f.round === t.round)] as const)
        .filter(([t, o]) => typeof t.cpuOwn8 === 'number' && typeof o?.cpuOwn8 === 'number');
      const extra = spread(pairs.map(([t, o]) => t.cpuOwn8! / o!.cpuOwn8! - 1));
      const p50 = spread(pairs.map(([t, o]) => t.p50 - o!.p50));
      const rps = spread(pairs.map(([t, o]) => t.rps8 / o!.rps8 - 1));
      if (extra)
        console.log(
          `\nToolset cost (toolset of one server over the plain grant, per round): own CPU (8) ${extra.median >= 0 ? '+' : ''}${(extra.median * 100).toFixed(1)}% [${(extra.min * 100).toFixed(1)}%..${(extra.max * 100).toFixed(1)}%]` +
            `${p50 ? `; p50 ${p50.median >= 0 ? '+' : ''}${fmtSpread(p50, 2)} ms` : ''}` +
            `${rps ? `; calls/s (8) ${rps.median >= 0 ? '+' : ''}${(rps.median * 100).toFixed(1)}%` : ''}` +
            `. Verdict: ${extra.median <= TOOLSET_MAX_EXTRA_CPU ? 'PASS' : 'FAIL'} (target ≤ +${TOOLSET_MAX_EXTRA_CPU * 100}% own CPU per call, median of rounds)`,
        );
    }

    // Tracing's cost: the traced gateway minus the same gateway without tracing, per round.
    if (names.includes(GW_TRACING) && names.includes(GW_REDIS)) {
      const paired = (key: 'p50' | 'rps8' | 'cpuOwn1' | 'cpuOwn8') =>
        spread(
          figures
            .filter((f) => f.target === GW_TRACING)
            .map((t) => {
              const o = figures.find((f) => f.target === GW_REDIS && f.round === t.round);
              const a = t[key];
              const b = o?.[key];
              return typeof a === 'number' && typeof b === 'number' ? a - b : undefined;
            }),
        );
      const describe = (label: string, s: Spread | undefined, digits: number, unit: string) =>
        s ? `${label} ${s.median >= 0 ? '+' : ''}${fmtSpread(s, digits)}${unit}` : `${label} –`;
      console.log(
        `\nTracing cost (tracing on minus off, per round): ${[
          describe('p50', paired('p50'), 2, ' ms'),
          describe('calls/s (8)', paired('rps8'), 0, ''),
          describe('own CPU (1)', paired('cpuOwn1'), 3, ' ms/call'),
          describe('own CPU (8)', paired('cpuOwn8'), 3, ' ms/call'),
        ].join('; ')}; the receiver got ${otlp?.spans() ?? 0} spans.`,
      );
    }

    console.log('\nPer round (rotated order; ×direct against the same round):');
    for (let round = 0; round < ROUNDS; round++) {
      const direct = figures.find((f) => f.round === round && f.target === DIRECT);
      const row = rotation(targets, round)
        .map((t) => {
          const f = figures.find((x) => x.round === round && x.target === t.name);
          return `${t.short} ${f ? `${f.rps8.toFixed(0)}/s${direct && f !== direct ? ` ${(f.rps8 / direct.rps8).toFixed(2)}×` : ''}` : 'failed'}`;
        })
        .join(' | ');
      console.log(`  ${round + 1}: ${row}`);
    }
    if (failures.length)
      console.log(
        `\nFailed measurements (the others continued):\n${failures.map((f) => `  - ${f}`).join('\n')}`,
      );
    if (clientListenerWarnings > 0)
      console.log(
        `\n(benchmark client: ${clientListenerWarnings} MaxListenersExceededWarning from the SDK client transport's shared AbortSignal, not printed)`,
      );
    if (interrupted) return 130;
    if (!summaries.some((s) => s.target === DIRECT)) return 1;
    return 0;
  } finally {
    await stopAll(PROFILE_DIR ? 10_000 : 5_000);
    await otlp?.close();
    const busy = [];
    for (const port of usedPorts) if (await listening(port)) busy.push(port);
    console.log(
      busy.length
        ? `\nStill listening after the bench stopped its processes: ${busy.join(', ')}`
        : `\nEvery process the bench started is stopped; ports ${[...usedPorts].join(', ')} are free.`,
    );
    await testDb
      .drop()
      .catch((error: unknown) =>
        console.log(`Dropping the bench database failed: ${(error as Error).message}`),
      );
  }
}

process.exit(await main());
