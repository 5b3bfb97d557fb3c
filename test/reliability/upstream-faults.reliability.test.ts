// Issue #8, "upstream faults": upstreams that hang, die mid-call or answer garbage, over stdio (the
// gateway tests' faulty-server fixture) and over Streamable HTTP (a hand-written server that breaks
// the protocol on purpose). Each call must end within the upstream timeout (plus a margin) with an
// error that says what happened, be audited with that outcome, and leave the gateway process healthy.
import { fileURLToPath } from 'node:url';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseUrl, nodeScriptServer, seed, testDb, type Seeded } from '../../apps/gateway/test/harness.ts';
import { connect, textOf } from './support/agents.ts';
import { HTTP_FAULTS, startFaultyHttpServer, type FaultyHttpServer } from './support/faulty-http-server.ts';
import { type GatewayProcess, rssMb, startGatewayProcess, until } from './support/processes.ts';
import { envInt, writeResult } from './support/results.ts';

const TIMEOUT_MS = 1_500;
const MARGIN_MS = 3_000;
const REPEAT = envInt('RELIABILITY_FAULT_REPEAT', 2);
const faultyStdio = fileURLToPath(
  new URL('../../apps/gateway/test/fixtures/faulty-server.mjs', import.meta.url),
);
const ALLOW_ALL = { version: '1', default: 'allow' };

let gateway: GatewayProcess;
let httpUpstream: FaultyHttpServer;
const rows: Array<Record<string, unknown>> = [];
const figures: Record<string, unknown> = {};

beforeAll(async () => {
  httpUpstream = await startFaultyHttpServer();
  gateway = await startGatewayProcess({
    databaseUrl: databaseUrl(),
    logName: 'upstream-faults',
    env: { GATEWAY_UPSTREAM_TIMEOUT_MS: String(TIMEOUT_MS) },
  });
  await gateway.ready();
});

afterAll(async () => {
  await gateway?.kill();
  await httpUpstream?.close();
  writeResult('upstream-faults', { timeoutMs: TIMEOUT_MS, repeat: REPEAT, calls: rows, ...figures });
});

async function exercise(transport: string, seeded: Seeded, faults: string[]) {
  let agent: Client = await connect(gateway.url, seeded.serverId, seeded.token);
  for (const fault of faults) {
    for (let i = 0; i < REPEAT; i += 1) {
      const started = performance.now();
      let answer: string;
      let failed: boolean;
      try {
        const result = await agent.callTool({ name: fault, arguments: { attempt: i } }, undefined, {
          timeout: 60_000,
        });
        answer = textOf(result).slice(0, 120);
        failed = result.isError === true;
      } catch (error) {
        answer = String(error)
          .replace(/^McpError: /, '')
          .slice(0, 160);
        failed = true;
      }
      const ms = Math.round(performance.now() - started);
      // This call's row: the (i+1)-th of this tool, once its outcome is written.
      const row = await until(
        () =>
          testDb()
            .auditEvent.findMany({
              where: { serverId: seeded.serverId, toolName: fault },
              orderBy: { createdAt: 'asc' },
            })
            .then((list) =>
              list.length > i && list[i]!.upstreamOutcome !== 'pending' ? list[i] : undefined,
            ),
        10_000,
        `the audit row of ${fault} #${i + 1}`,
      );
      const health = (await fetch(`${gateway.url}/healthz`)).status;
      rows.push({
        transport,
        fault,
        ms,
        failed,
        answer,
        audit: row.upstreamOutcome,
        auditError: row.upstreamError?.slice(0, 100) ?? null,
        healthz: health,
      });
      // A session whose upstream broke is replaced the way a client would: reconnect.
      if (/closed|Session not found/i.test(answer))
        agent = await connect(gateway.url, seeded.serverId, seeded.token);
    }
  }
  await agent.close();
}

describe('upstream faults', () => {
  it('stdio: hang, crash mid-call, garbage', async () => {
    const seeded = await seed(nodeScriptServer(faultyStdio), ALLOW_ALL);
    const rssBefore = rssMb(gateway.pid);
    await exercise('stdio', seeded, ['hang', 'crash', 'garbage', 'ok']);
    figures.stdioRss = { beforeMb: rssBefore, afterMb: rssMb(gateway.pid) };
    check('stdio', { hang: 'unknown', crash: 'unknown', garbage: 'error' });
  }, 120_000);

  it('Streamable HTTP: hang, die, refuse, garbage, wrong shape, HTTP 500, endless stream, huge answer', async () => {
    const seeded = await seed({ transport: 'streamable_http', url: httpUpstream.url }, ALLOW_ALL);
    const rssBefore = rssMb(gateway.pid);
    await exercise('http', seeded, [...Object.keys(HTTP_FAULTS).filter((f) => f !== 'ok'), 'ok']);
    figures.httpRss = { beforeMb: rssBefore, afterMb: rssMb(gateway.pid) };
    check('http', {
      hang: 'unknown',
      die: 'error',
      refuse: 'error',
      garbage: 'error',
      wrong_shape: 'error',
      error_500: 'error',
      endless: 'unknown',
      huge: 'error',
    });
  }, 180_000);

  it('leaves the gateway healthy', async () => {
    expect(gateway.child.exitCode).toBeNull();
    expect((await fetch(`${gateway.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${gateway.url}/readyz`)).status).toBe(200);
    const metrics = await (await fetch(`${gateway.url}/metrics`)).text();
    figures.upstreamErrorMetrics = metrics
      .split('\n')
      .filter((l) => l.startsWith('portcullis_gateway_upstream_errors_total'));
  });
});

function check(transport: string, expected: Record<string, string>) {
  const mine = rows.filter((r) => r.transport === transport);
  for (const r of mine) {
    expect(r.ms as number, `${transport} ${r.fault as string} took ${r.ms as number} ms`).toBeLessThan(
      TIMEOUT_MS + MARGIN_MS,
    );
    expect(r.healthz).toBe(200);
    const want = expected[r.fault as string];
    if (want) {
      expect(r.failed, `${transport} ${r.fault as string}: ${r.answer as string}`).toBe(true);
      expect(r.answer as string).toMatch(/Upstream server/);
      expect(r.audit, `${transport} ${r.fault as string}`).toBe(want);
    }
  }
  // The last call of each kind is a good one: the upstream recovered (or was restarted).
  expect(mine.filter((r) => r.fault === 'ok').every((r) => !r.failed)).toBe(true);
}
