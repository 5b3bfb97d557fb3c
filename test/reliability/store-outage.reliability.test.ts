// Issue #8, "store outage": agents call through a gateway process while its PostgreSQL (a throwaway
// embedded server this test owns) or its Redis (a redis-server child) is stopped and started again.
// While a store is down calls must fail closed with a clear error: never forwarded without a policy
// decision and an audit row. Once it is back, calls must succeed again within 2 s, without
// restarting the gateway. Every call has unique arguments and arguments are audited in full, so the
// agents' view, the Twikit call log and the audit table can be matched call by call.
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { saltedValueHash } from '@portcullis/crypto/canonical-json';
import { createPrismaClient, type Db } from '@portcullis/db/client';
import { startEmbeddedPostgres, type ResolvedDatabase } from '@portcullis/db/embedded-postgres';
import { applyMigrations } from '@portcullis/db/migrate';
import { afterAll, describe, expect, it } from 'vitest';
import {
  databaseUrl,
  encryptionKey,
  readCallLog,
  seed,
  tempFile,
  testDb,
  twikitServer,
  type Seeded,
} from '../../apps/gateway/test/harness.ts';
import { runAgent, type AttemptedCall } from './support/agents.ts';
import {
  freePort,
  type GatewayProcess,
  redisServer,
  sleep,
  startGatewayProcess,
  until,
} from './support/processes.ts';
import { envInt, writeResult } from './support/results.ts';

const OUTAGE_MS = envInt('RELIABILITY_OUTAGE_MS', 3_000);
const RECOVERY_LIMIT_MS = 2_000;
const LIMITED = 'get_user_info';
const PLAIN = 'search_tweets';
// One tool behind a rate limit (its counter lives in the store under test when that is Redis), one without.
const POLICY = {
  version: '1',
  default: 'deny',
  tools: {
    [LIMITED]: { action: 'allow', limits: [{ window: 'hour', max: 1_000_000, scope: 'grant' }] },
    [PLAIN]: { action: 'allow' },
  },
};

const figures: Record<string, unknown> = {};
const cleanups: Array<() => Promise<unknown>> = [];

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  writeResult('store-outage', figures);
});

function canonical(value: unknown): string {
  return value && typeof value === 'object' && !Array.isArray(value)
    ? `{${Object.keys(value)
        .sort()
        .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
        .join(',')}}`
    : JSON.stringify(value);
}

interface OutageRun {
  store: string;
  db: Db;
  seeded: Seeded;
  logFile: string;
  gateway: GatewayProcess;
  stop(): Promise<void>;
  start(): Promise<void>;
}

/** Load → stop the store → OUTAGE_MS → start it → load; then match agents' calls, call log and audit rows. */
async function outage(run: OutageRun) {
  const calls: AttemptedCall[] = [];
  let stopped = false;
  const tag = Date.now().toString(36);
  const agents = [LIMITED, LIMITED, PLAIN, PLAIN].map((tool, agent) =>
    runAgent({
      agent,
      url: () => run.gateway.url,
      serverId: run.seeded.serverId,
      token: run.seeded.token,
      tool,
      args: (seq) =>
        tool === LIMITED
          ? { screen_name: `${run.store}-${tag}-${agent}-${seq}` }
          : { query: `${run.store} ${tag} ${agent} ${seq}`, count: 1 },
      stopped: () => stopped,
      calls,
      pauseMs: 20,
    }),
  );
  await until(() => calls.filter((c) => c.outcome === 'ok').length >= 20, 30_000, 'calls to flow');
  await sleep(500);
  const downAt = Date.now();
  await run.stop();
  const stoppedAt = Date.now();
  await sleep(OUTAGE_MS);
  await run.start();
  const upAt = Date.now();
  const firstOk = await until(
    () =>
      calls.find((c) => c.outcome === 'ok' && c.startedAt >= upAt && c.arguments.screen_name !== undefined),
    30_000,
    'a rate-limited call to succeed after the store is back',
  );
  const recoveryMs = firstOk.endedAt - upAt;
  await sleep(1_000);
  stopped = true;
  await Promise.all(agents);
  await sleep(800); // outcomes are written every 50 ms, refusals held during the outage retried every 500 ms

  const toolOf = (c: AttemptedCall) => (c.arguments.screen_name !== undefined ? LIMITED : PLAIN);
  const key = (tool: string | null, args: unknown) => `${tool}\u0000${canonical(args)}`;
  // A refusal recorded before the gateway knew the server's setting stores arguments redacted.
  const redacted = (args: Record<string, unknown>) =>
    Object.fromEntries(Object.entries(args).map(([k, v]) => [k, `hmac:${saltedValueHash(auditSalt, v)}`]));
  const isAudited = (c: AttemptedCall) =>
    audited.has(key(toolOf(c), c.arguments)) || audited.has(key(toolOf(c), redacted(c.arguments)));
  const logged = new Set(readCallLog(run.logFile).map((c) => key(c.tool, c.arguments)));
  const rows = await run.db.auditEvent.findMany({
    where: { serverId: run.seeded.serverId },
    select: { toolName: true, arguments: true, decision: true, reason: true, upstreamOutcome: true },
  });
  const auditSalt = createHash('sha256').update(encryptionKey).update('portcullis:audit-arguments').digest();
  const audited = new Map(rows.map((r) => [key(r.toolName, r.arguments), r]));
  const during = calls.filter((c) => c.endedAt > stoppedAt && c.startedAt < upAt);
  const byOutcome = (list: AttemptedCall[]) =>
    list.reduce<Record<string, number>>(
      (acc, c) => ((acc[`${toolOf(c)} ${c.outcome}`] = (acc[`${toolOf(c)} ${c.outcome}`] ?? 0) + 1), acc),
      {},
    );
  const messages: Record<string, number> = {};
  for (const c of during.filter((x) => x.outcome !== 'ok')) {
    // The message the agent was given: the JSON-RPC error's, or the refusal's text.
    const message =
      /"message":"([^"]*)"/.exec(c.text)?.[1] ?? c.text.replace(/^McpError: MCP error -?\d+: /, '');
    const label = `${c.httpStatus ? `HTTP ${c.httpStatus}: ` : ''}${message.slice(0, 160)}`;
    messages[label] = (messages[label] ?? 0) + 1;
  }
  const loggedNotAudited = [...logged].filter((k) => !audited.has(k));
  const okNotAudited = calls.filter((c) => c.outcome === 'ok' && !isAudited(c));
  // Refused by a gateway that knew the grant, and missing from the audit log even after the store came back.
  const refusedNotAudited = calls.filter(
    (c) => c.outcome !== 'ok' && !c.httpStatus && !isAudited(c) && !logged.has(key(toolOf(c), c.arguments)),
  );
  // Refused at the door: the grant could not be looked up, so the gateway does not know whose call it was (like a 401).
  const refusedBeforeAuthentication = calls.filter((c) => c.outcome !== 'ok' && c.httpStatus === 503);
  const forwardedWithoutDecision = rows.filter(
    (r) => logged.has(key(r.toolName, r.arguments)) && r.decision !== 'allow',
  );
  const okWhileDownByTool: Record<string, number> = {};
  for (const c of calls.filter((x) => x.outcome === 'ok' && x.startedAt >= stoppedAt && x.endedAt <= upAt))
    okWhileDownByTool[toolOf(c)] = (okWhileDownByTool[toolOf(c)] ?? 0) + 1;
  const result = {
    outageMs: upAt - downAt,
    okWhileDown: Object.values(okWhileDownByTool).reduce((a, b) => a + b, 0),
    okWhileDownByTool,
    stopTookMs: stoppedAt - downAt,
    calls: calls.length,
    duringOutage: byOutcome(during),
    errorMessagesDuringOutage: messages,
    recoveryMs,
    callLogLines: logged.size,
    auditRows: rows.length,
    loggedButNotAudited: loggedNotAudited.length,
    agentSawOkButNotAudited: okNotAudited.length,
    refusedAfterAuthenticationNotAudited: refusedNotAudited.length,
    refusedBeforeAuthentication: refusedBeforeAuthentication.length,
    storeDownRefusalRows: rows.filter(
      (r) => r.upstreamOutcome === 'not_sent' && /cannot (reach|write)/.test(r.reason ?? ''),
    ).length,
    forwardedWithoutAllowDecision: forwardedWithoutDecision.length,
    gatewayRestarted: false,
  };
  return { result, during };
}

describe('PostgreSQL outage', () => {
  it('fails closed while PostgreSQL is down and recovers within 2 s of it coming back', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'portcullis-outage-pg-'));
    const port = await freePort();
    const options = {
      dataDir: path.join(dir, 'data'),
      port,
      database: 'portcullis_outage',
      persistent: true,
    };
    let server: ResolvedDatabase = await startEmbeddedPostgres(options);
    cleanups.push(async () => {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    });
    await applyMigrations(server.url);
    const db = createPrismaClient(server.url);
    cleanups.push(() => db.$disconnect());
    const logFile = tempFile('twikit-calls.jsonl');
    const seeded = await seed({ ...twikitServer(logFile), auditArguments: 'full' }, POLICY, db);
    const gateway = await startGatewayProcess({ databaseUrl: server.url, logName: 'outage-postgres' });
    cleanups.push(() => gateway.kill());
    await gateway.ready();
    const pid = gateway.pid;

    const { result } = await outage({
      store: 'postgres',
      db,
      seeded,
      logFile,
      gateway,
      stop: () => server.stop(),
      start: async () => {
        server = await startEmbeddedPostgres(options);
      },
    });
    result.gatewayRestarted = gateway.pid !== pid || gateway.child.exitCode !== null;
    figures.postgres = result;

    expect(result.loggedButNotAudited).toBe(0);
    expect(result.agentSawOkButNotAudited).toBe(0);
    expect(result.forwardedWithoutAllowDecision).toBe(0);
    // Refusals that could not be written during the outage were written once the database was back.
    expect(result.refusedAfterAuthenticationNotAudited).toBe(0);
    // Nothing that started and ended while the database was down succeeded: there was nowhere to audit it.
    expect(result.okWhileDown).toBe(0);
    expect(Object.keys(result.errorMessagesDuringOutage).length).toBeGreaterThan(0);
    expect(result.recoveryMs).toBeLessThan(RECOVERY_LIMIT_MS);
    expect(result.gatewayRestarted).toBe(false);
  }, 180_000);
});

describe('Redis outage', () => {
  it('refuses rate-limited calls while Redis is down, keeps the others, and recovers within 2 s', async () => {
    const redis = await redisServer();
    await redis.start();
    cleanups.push(() => redis.kill());
    const logFile = tempFile('twikit-calls.jsonl');
    const seeded = await seed({ ...twikitServer(logFile), auditArguments: 'full' }, POLICY);
    const gateway = await startGatewayProcess({
      databaseUrl: databaseUrl(),
      redisUrl: redis.url,
      logName: 'outage-redis',
    });
    cleanups.push(() => gateway.kill());
    await gateway.ready();

    const { result } = await outage({
      store: 'redis',
      db: testDb(),
      seeded,
      logFile,
      gateway,
      stop: () => redis.kill(),
      start: () => redis.start(),
    });
    figures.redis = result;

    expect(result.loggedButNotAudited).toBe(0);
    expect(result.agentSawOkButNotAudited).toBe(0);
    expect(result.forwardedWithoutAllowDecision).toBe(0);
    // PostgreSQL is up: every refusal is audited.
    expect(result.refusedAfterAuthenticationNotAudited).toBe(0);
    expect(result.refusedBeforeAuthentication).toBe(0);
    // Rate-limited calls cannot be checked without their counter; calls that need no counter go on.
    expect(result.okWhileDownByTool[LIMITED] ?? 0).toBe(0);
    expect(result.okWhileDownByTool[PLAIN] ?? 0).toBeGreaterThan(0);
    expect(result.recoveryMs).toBeLessThan(RECOVERY_LIMIT_MS);
  }, 180_000);
});
