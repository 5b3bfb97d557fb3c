// Full arguments and results by choice: per server (auditArguments) and per tool (auditContent,
// which wins), stored in plain text and bounded; everything else stays redacted with no result.
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { notifyChange } from '@portcullis/db/events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../src/gateway.ts';
import { storedResult, MAX_STORED_RESULT_CHARS } from '../src/calls/audit-record.ts';
import {
  auditRows,
  connectAgent,
  seed,
  startGateway,
  tempFile,
  testDb,
  twikitServer,
  waitFor,
  type Seeded,
} from './harness.ts';

const POLICY = {
  version: '1',
  default: 'deny',
  tools: { get_tweet: { action: 'allow' }, get_user_info: { action: 'allow' } },
};
const TWEET = '1850000000000001';

describe('audit content in plain text, by server and by tool', () => {
  let gateway: Gateway;
  let seeded: Seeded;
  let agent: Client;
  const db = testDb();
  const call = (name: string, args: Record<string, unknown>) =>
    agent.callTool({ name, arguments: args }) as Promise<CallToolResult>;
  const completedRow = (tool: string, count: number) =>
    waitFor(async () => {
      const rows = (await auditRows(seeded.serverId)).filter(
        (r) => r.toolName === tool && r.upstreamOutcome === 'ok',
      );
      return rows.length === count ? rows[count - 1] : undefined;
    });

  beforeAll(async () => {
    seeded = await seed(twikitServer(tempFile('twikit-content.jsonl')), POLICY);
    gateway = await startGateway();
    agent = await connectAgent(gateway, seeded);
    await agent.listTools();
  });

  afterAll(async () => {
    await agent?.close();
    await gateway?.close();
  });

  it('is off by default, then follows the tool setting over the server setting', async () => {
    await call('get_tweet', { tweet_id: TWEET });
    const redacted = await completedRow('get_tweet', 1);
    expect(redacted.argumentsRedacted).toBe(true);
    expect(JSON.stringify(redacted.arguments)).not.toContain(TWEET);
    expect(redacted.result).toBeNull();

    // One tool in full.
    await db.tool.updateMany({
      where: { serverId: seeded.serverId, name: 'get_tweet' },
      data: { auditContent: 'full' },
    });
    await notifyChange(db, {
      type: 'server',
      organizationId: seeded.organizationId,
      serverId: seeded.serverId,
    });
    await new Promise((r) => setTimeout(r, 1_100));
    await call('get_tweet', { tweet_id: TWEET });
    const full = await completedRow('get_tweet', 2);
    expect(full.argumentsRedacted).toBe(false);
    expect(full.arguments).toEqual({ tweet_id: TWEET });
    expect(JSON.stringify(full.result)).toContain(TWEET);
    await call('get_user_info', { screen_name: 'alice' });
    expect((await completedRow('get_user_info', 1)).result).toBeNull();

    // The server in full, one tool kept redacted.
    await db.mcpServer.update({ where: { id: seeded.serverId }, data: { auditArguments: 'full' } });
    await db.tool.updateMany({
      where: { serverId: seeded.serverId, name: 'get_tweet' },
      data: { auditContent: 'redacted' },
    });
    await notifyChange(db, {
      type: 'server',
      organizationId: seeded.organizationId,
      serverId: seeded.serverId,
    });
    await new Promise((r) => setTimeout(r, 1_100));
    await call('get_user_info', { screen_name: 'alice' });
    expect((await completedRow('get_user_info', 2)).arguments).toEqual({ screen_name: 'alice' });
    await call('get_tweet', { tweet_id: TWEET });
    const kept = await completedRow('get_tweet', 3);
    expect(kept.argumentsRedacted).toBe(true);
    expect(kept.result).toBeNull();
  });

  it('bounds a stored result and says it was cut', () => {
    const big = { content: [{ type: 'text', text: 'x'.repeat(MAX_STORED_RESULT_CHARS * 2) }] };
    const stored = storedResult(big) as { truncated: boolean; originalChars: number; text: string };
    expect(stored.truncated).toBe(true);
    expect(stored.text.length).toBe(MAX_STORED_RESULT_CHARS);
    expect(storedResult({ ok: 1 })).toEqual({ ok: 1 });
  });
});
