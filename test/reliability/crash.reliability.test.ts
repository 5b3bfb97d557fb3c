// Issue #8, "crash": agents call an allowed Twikit tool (stdio upstream) through a gateway process
// while it is killed with SIGKILL and restarted, RELIABILITY_KILLS times. Afterwards every call in
// the Twikit stand-in's call log must have an audit event, and no audit event may claim the upstream
// ran a call that is not in the log. Each call has unique arguments and the server stores arguments
// in full, so a log line and an audit row match exactly on tool + arguments.
import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  databaseUrl,
  readCallLog,
  seed,
  tempFile,
  testDb,
  twikitServer,
  type Seeded,
} from '../../apps/gateway/test/harness.ts';
import { runAgent, type AttemptedCall } from './support/agents.ts';
import { type GatewayProcess, sleep, startGatewayProcess, until } from './support/processes.ts';
import { envInt, percentile, writeResult } from './support/results.ts';

const KILLS = envInt('RELIABILITY_KILLS', 20);
const AGENTS = envInt('RELIABILITY_CRASH_AGENTS', 4);
const TOOL = 'search_tweets';

let seeded: Seeded;
let logFile: string;
let gateway: GatewayProcess | undefined;

/** Live twikit processes started for this test's call log (a killed gateway must not leave its upstream behind). */
function upstreamProcesses(): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      const state = /State:\s+(\w)/.exec(readFileSync(`/proc/${entry}/status`, 'utf8'))?.[1];
      if (cmd.includes(logFile) && state !== 'Z') pids.push(Number(entry));
    } catch {
      /* gone */
    }
  }
  return pids;
}

beforeAll(async () => {
  logFile = tempFile('twikit-calls.jsonl');
  seeded = await seed(
    { ...twikitServer(logFile), auditArguments: 'full' },
    { version: '1', default: 'allow' },
  );
});

afterAll(async () => {
  await gateway?.kill('SIGKILL');
});

describe('kill -9 under load', () => {
  it(`loses no audit record across ${KILLS} SIGKILLs of a gateway`, async () => {
    gateway = await startGatewayProcess({ databaseUrl: databaseUrl(), logName: 'crash-gateway' });
    await gateway.ready();
    const port = gateway.port;
    const calls: AttemptedCall[] = [];
    let stopped = false;
    const run = Date.now().toString(36);
    const agents = Array.from({ length: AGENTS }, (_, agent) =>
      runAgent({
        agent,
        url: () => `http://localhost:${port}`,
        serverId: seeded.serverId,
        token: seeded.token,
        tool: TOOL,
        args: (seq) => ({ query: `crash ${run} agent ${agent} call ${seq}`, count: 1 }),
        stopped: () => stopped,
        calls,
      }),
    );

    const restartMs: number[] = [];
    const callsBetweenKills: number[] = [];
    let lastCount = 0;
    const started = Date.now();
    let since = Date.now();
    for (let kill = 0; kill < KILLS; kill += 1) {
      // Kill under load: once calls flow again through this incarnation (its stdio upstream is up),
      // at a random moment, so some calls are in the middle of being forwarded.
      await until(
        () => calls.filter((c) => c.outcome === 'ok' && c.startedAt >= since).length >= AGENTS,
        60_000,
        'calls to flow after a restart',
      );
      await sleep(Math.floor(Math.random() * 300));
      callsBetweenKills.push(calls.length - lastCount);
      lastCount = calls.length;
      await gateway.kill('SIGKILL');
      const t0 = Date.now();
      gateway = await startGatewayProcess({ databaseUrl: databaseUrl(), port, logName: 'crash-gateway' });
      await gateway.ready();
      restartMs.push(Date.now() - t0);
      since = Date.now();
    }
    await sleep(1_000);
    stopped = true;
    await Promise.all(agents);
    // A graceful stop flushes the last outcomes; rows of killed processes stay `pending`.
    await gateway.kill('SIGTERM');
    const seconds = (Date.now() - started) / 1000;
    await sleep(200);
    const orphans = upstreamProcesses();

    // jsonb does not keep key order: compare arguments with sorted keys.
    const canonical = (value: unknown): string =>
      value && typeof value === 'object' && !Array.isArray(value)
        ? `{${Object.keys(value)
            .sort()
            .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
            .join(',')}}`
        : JSON.stringify(value);
    const key = (tool: string | null, args: unknown) => `${tool}\u0000${canonical(args)}`;
    const logged = readCallLog(logFile).filter((c) => c.tool === TOOL);
    const rows = await testDb().auditEvent.findMany({
      where: { serverId: seeded.serverId },
      select: { toolName: true, arguments: true, decision: true, upstreamOutcome: true },
    });
    const rowsByKey = new Map(rows.map((r) => [key(r.toolName, r.arguments), r]));
    const loggedKeys = new Set(logged.map((c) => key(c.tool, c.arguments)));
    const missing = logged.filter((c) => !rowsByKey.has(key(c.tool, c.arguments)));
    const ranClaims = rows.filter((r) => r.upstreamOutcome === 'ok' || r.upstreamOutcome === 'tool_error');
    const phantom = ranClaims.filter((r) => !loggedKeys.has(key(r.toolName, r.arguments)));
    const okSeenByAgents = calls.filter((c) => c.outcome === 'ok');
    const okNotLogged = okSeenByAgents.filter((c) => !loggedKeys.has(key(TOOL, c.arguments)));
    const duplicateLogLines = logged.length - loggedKeys.size;
    const outcomes: Record<string, number> = {};
    for (const r of rows) outcomes[r.upstreamOutcome] = (outcomes[r.upstreamOutcome] ?? 0) + 1;
    const pendingThatRan = rows.filter(
      (r) => r.upstreamOutcome === 'pending' && loggedKeys.has(key(r.toolName, r.arguments)),
    ).length;

    writeResult('crash', {
      kills: KILLS,
      agents: AGENTS,
      seconds: Math.round(seconds),
      callsAttempted: calls.length,
      callsOkForAgents: okSeenByAgents.length,
      callsFailedForAgents: calls.filter((c) => c.outcome === 'error').length,
      callLogLines: logged.length,
      auditRows: rows.length,
      auditOutcomes: outcomes,
      pendingRowsThatRan: pendingThatRan,
      missingAuditForLoggedCall: missing.length,
      auditClaimsRunButNotInLog: phantom.length,
      agentSawOkButNotInLog: okNotLogged.length,
      duplicateLogLines,
      restartMsP50: percentile(restartMs, 50),
      restartMsMax: Math.max(...restartMs),
      callsBetweenKillsMin: Math.min(...callsBetweenKills),
      orphanedUpstreams: orphans.length,
    });

    expect(missing).toEqual([]);
    expect(phantom).toEqual([]);
    expect(okNotLogged).toEqual([]);
    expect(duplicateLogLines).toBe(0);
    expect(orphans).toEqual([]);
    // The load was real: calls went through between kills.
    expect(okSeenByAgents.length).toBeGreaterThan(KILLS * 5);
  }, 600_000);
});
