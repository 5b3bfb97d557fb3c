// One tenant's hostile strings (a NUL in a tool name or an argument, lone surrogates, names no MCP
// tool can have) must neither reach policy nor stall the audit log that every tenant shares.
// Real gateway, two tenants each with their own Twikit stand-in (stdio), real SDK clients.
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../src/gateway.ts';
import {
  auditRows,
  connectAgent,
  readCallLog,
  seed,
  startGateway,
  tempFile,
  twikitServer,
  waitFor,
  type Seeded,
} from './harness.ts';

const POLICY = { version: '1', default: 'deny', tools: { get_tweet: { action: 'allow' } } };
const TWEET = '1850000000000001';
const HOSTILE_NAMES = ['x\u0000', 'get_tweet\u0000', 'lone\ud800', 'has space', 'a/b', 'x'.repeat(129), ''];

describe('hostile strings from one tenant', () => {
  let gateway: Gateway;
  let attacker: Seeded;
  let victim: Seeded;
  let attackerAgent: Client;
  let victimAgent: Client;
  const attackerLog = tempFile('attacker-calls.jsonl');
  const victimLog = tempFile('victim-calls.jsonl');

  beforeAll(async () => {
    attacker = await seed({ ...twikitServer(attackerLog), auditArguments: 'full' }, POLICY);
    victim = await seed(twikitServer(victimLog), POLICY);
    gateway = await startGateway();
    [attackerAgent, victimAgent] = await Promise.all([
      connectAgent(gateway, attacker),
      connectAgent(gateway, victim),
    ]);
  });

  afterAll(async () => {
    await Promise.all([attackerAgent?.close(), victimAgent?.close()]);
    await gateway?.close();
  });

  it("refuses names outside MCP's rules before policy, audits them, and never stalls another tenant's audit", async () => {
    const attacks: Array<Promise<unknown>> = [];
    const victimCalls: Array<Promise<CallToolResult>> = [];
    for (let round = 0; round < 20; round++) {
      for (const name of HOSTILE_NAMES)
        attacks.push(
          attackerAgent.callTool({ name, arguments: { tweet_id: TWEET } }).then(
            () => 'answered',
            (error: Error) => error.message,
          ),
        );
      // A valid name with a NUL and a lone surrogate in the arguments, stored in full for this server.
      attacks.push(
        attackerAgent.callTool({ name: 'get_tweet', arguments: { tweet_id: `1\u0000\udc00` } }).then(
          () => 'answered',
          (error: Error) => error.message,
        ),
      );
      for (let i = 0; i < 5; i++)
        victimCalls.push(
          victimAgent.callTool({
            name: 'get_tweet',
            arguments: { tweet_id: TWEET },
          }) as Promise<CallToolResult>,
        );
    }
    const [attackResults, victimResults] = await Promise.all([
      Promise.all(attacks),
      Promise.all(victimCalls),
    ]);

    // The victim's 100 calls all ran and are all audited.
    expect(victimResults.filter((r) => r.isError)).toEqual([]);
    expect(readCallLog(victimLog)).toHaveLength(100);
    const victimRows = await waitFor(async () => {
      const rows = await auditRows(victim.serverId);
      return rows.length === 100 && rows.every((r) => r.upstreamOutcome === 'ok') ? rows : undefined;
    });
    expect(victimRows.every((r) => r.decision === 'allow')).toBe(true);

    // Every hostile name got the same clear error, and nothing of it reached the upstream.
    const refusals = attackResults.filter((r) => r !== 'answered');
    expect(refusals).toHaveLength(20 * HOSTILE_NAMES.length);
    for (const message of refusals)
      expect(message).toMatch(
        /Invalid tool name: tool names are 1 to 128 characters of A-Z, a-z, 0-9, underscore, hyphen and dot/,
      );
    expect(readCallLog(attackerLog).every((c) => c.tool === 'get_tweet')).toBe(true);

    // …and each is audited, its text made storable.
    const attackerRows = await waitFor(async () => {
      const rows = await auditRows(attacker.serverId);
      return rows.length === 20 * (HOSTILE_NAMES.length + 1) &&
        rows.every((r) => r.upstreamOutcome !== 'pending')
        ? rows
        : undefined;
    });
    const named = attackerRows.filter((r) => r.ruleId === '(tool name)');
    expect(named).toHaveLength(20 * HOSTILE_NAMES.length);
    expect(named.every((r) => r.decision === 'deny' && r.upstreamOutcome === 'not_sent')).toBe(true);
    expect(named.map((r) => r.toolName)).toContain('x\ufffd');
    expect(named.map((r) => r.toolName)).toContain('lone\ufffd');
    expect(named.find((r) => r.toolName!.startsWith('xxx'))!.toolName!.length).toBeLessThanOrEqual(201);
    const withArguments = attackerRows.filter((r) => r.toolName === 'get_tweet');
    expect(withArguments).toHaveLength(20);
    expect(withArguments[0]!.arguments).toEqual({ tweet_id: '1\ufffd\ufffd' });
  });
});
