// Content guards through the gateway, for a legacy (SDK v1, 2025-11-25) and a modern (SDK v2,
// 2026-07-28) client on one grant: a secret in the arguments blocks the call before it reaches the
// upstream; a tenant pattern is redacted in what is forwarded; secrets and card numbers in results
// are redacted in text, embedded resources and split across blocks; a result guard that blocks
// withholds the result; the audit row says what fired and where and never holds the match, even
// with full content on; the metrics count matches per detector.
import { readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  Client as ModernClient,
  StreamableHTTPClientTransport as ModernTransport,
} from '@modelcontextprotocol/client';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../src/gateway.ts';
import {
  auditRows,
  connectAgent,
  nodeScriptServer,
  seed,
  startGateway,
  tempFile,
  textOf,
  waitFor,
  type Seeded,
} from './harness.ts';

const leaky = fileURLToPath(new URL('./fixtures/leaky-server.mjs', import.meta.url));
const gh = 'ghp_' + 'A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8';
const POLICY = {
  version: '1',
  default: 'allow',
  guards: { results: { secrets: 'redact', payment_card: 'redact', email: 'flag' } },
  patterns: { ticket: 'TICKET-[0-9]{4}' },
  tools: {
    echo: {
      action: 'allow',
      guards: { arguments: { secrets: 'block', 'pattern:ticket': 'redact', email: 'flag' } },
    },
    split: { action: 'allow', guards: { results: { secrets: 'block' } } },
  },
};

type Row = Awaited<ReturnType<typeof auditRows>>[number];

describe('content guards on both eras', () => {
  let gateway: Gateway;
  let seeded: Seeded;
  let legacy: Client;
  let modern: ModernClient;
  const log = tempFile('leaky-calls.jsonl');
  const forwarded = () =>
    existsSync(log)
      ? readFileSync(log, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as { tool: string; arguments: Record<string, unknown> })
      : [];
  /** The audit row of the n-th (1-based) call of `tool`, once completed when it was forwarded. */
  const row = (tool: string, n: number) =>
    waitFor(async () => {
      const rows = (await auditRows(seeded.serverId))
        .filter((r) => r.toolName === tool && r.method === 'tools/call')
        .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
      const r = rows[n - 1];
      return r && r.upstreamOutcome !== 'pending' ? r : undefined;
    });
  const guardsOf = (r: Row) =>
    ((r as unknown as { guards: unknown[] | null }).guards ?? []) as Array<Record<string, unknown>>;

  beforeAll(async () => {
    // Full content on: the strongest case for "the audit never holds the match".
    seeded = await seed({ ...nodeScriptServer(leaky, log), auditArguments: 'full' }, POLICY);
    gateway = await startGateway();
    legacy = await connectAgent(gateway, seeded);
    modern = new ModernClient(
      { name: 'modern-agent', version: '2.0.0' },
      { capabilities: {}, versionNegotiation: { mode: { pin: '2026-07-28' } } },
    );
    await modern.connect(
      new ModernTransport(new URL(`${gateway.url}/mcp/${seeded.serverId}`), {
        requestInit: { headers: { Authorization: `Bearer ${seeded.token}` } },
      }),
    );
  });

  afterAll(async () => {
    await legacy?.close();
    await modern?.close();
    await gateway?.close();
  });

  it('blocks a secret in the arguments before the upstream, naming the detector and where, never the value', async () => {
    for (const client of [legacy, modern] as Array<Pick<Client, 'callTool'>>) {
      const result = (await client.callTool({
        name: 'echo',
        arguments: { text: `use ${gh}` },
      })) as CallToolResult;
      expect(result.isError).toBe(true);
      expect(textOf(result)).toMatch(/content guard secrets/);
      expect(textOf(result)).toMatch(/\/text/);
      expect(JSON.stringify(result)).not.toContain(gh);
    }
    expect(forwarded().filter((c) => c.tool === 'echo')).toEqual([]);
    for (const n of [1, 2]) {
      const r = await row('echo', n);
      expect(r.decision).toBe('deny');
      expect(r.ruleId).toBe('guard:secrets');
      expect(JSON.stringify(r)).not.toContain(gh);
      expect(guardsOf(r)).toEqual([
        { direction: 'arguments', detector: 'secrets', where: '/text', count: 1, action: 'block' },
      ]);
    }
  });

  it('redacts a tenant pattern in what is forwarded, flags an e-mail, and audits neither', async () => {
    const text = 'see TICKET-1234 from ops-lead@example.com';
    const result = (await legacy.callTool({ name: 'echo', arguments: { text } })) as CallToolResult;
    // The upstream got the redacted copy; the e-mail (flag only) went through and came back.
    expect(forwarded().at(-1)).toEqual({
      tool: 'echo',
      arguments: { text: 'see [REDACTED:pattern:ticket] from ops-lead@example.com' },
    });
    expect(textOf(result)).toBe('see [REDACTED:pattern:ticket] from ops-lead@example.com');
    const r = await row('echo', 3);
    expect(r.decision).toBe('allow');
    expect(JSON.stringify(r.arguments)).not.toMatch(/TICKET-1234|ops-lead@/);
    expect(JSON.stringify(r.result)).not.toContain('ops-lead@');
    expect(JSON.stringify(r.result)).toContain('[REDACTED:email]');
    expect(guardsOf(r)).toEqual(
      expect.arrayContaining([
        { direction: 'arguments', detector: 'pattern:ticket', where: '/text', count: 1, action: 'redact' },
        { direction: 'arguments', detector: 'email', where: '/text', count: 1, action: 'flag' },
        { direction: 'results', detector: 'email', where: '/content/0/text', count: 1, action: 'flag' },
      ]),
    );
  });

  it('redacts secrets and card numbers in results (text and embedded resources), for both eras', async () => {
    for (const [n, client] of [legacy, modern].entries()) {
      const result = (await (client as Pick<Client, 'callTool'>).callTool({
        name: 'leak',
        arguments: {},
      })) as CallToolResult;
      const text = JSON.stringify(result);
      expect(text).not.toContain(gh);
      expect(text).not.toContain('4111 1111 1111 1111');
      expect(textOf(result)).toBe('deploy token: [REDACTED:secrets] (rotate soon)');
      expect(text).toContain('card [REDACTED:payment_card] on file');
      // Flagged only: passed as it was.
      expect(result.structuredContent).toEqual({ owner: { contact: 'ops-lead@example.com' }, ok: true });
      const r = await row('leak', n + 1);
      expect(r.upstreamOutcome).toBe('ok');
      expect(JSON.stringify(r)).not.toMatch(/ghp_|4111 1111|ops-lead@/);
      expect(guardsOf(r)).toEqual(
        expect.arrayContaining([
          { direction: 'results', detector: 'secrets', where: '/content/0/text', count: 1, action: 'redact' },
          {
            direction: 'results',
            detector: 'payment_card',
            where: '/content/1/resource/text',
            count: 1,
            action: 'redact',
          },
          {
            direction: 'results',
            detector: 'email',
            where: '/structuredContent/owner/contact',
            count: 1,
            action: 'flag',
          },
        ]),
      );
    }
  });

  it('withholds a result whose guard blocks, including a secret split across two text blocks', async () => {
    const result = (await legacy.callTool({ name: 'split', arguments: {} })) as CallToolResult;
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/withheld by the content guard secrets/);
    expect(JSON.stringify(result)).not.toMatch(/ghp_|part two/);
    const r = await row('split', 1);
    // The upstream ran the call; the agent did not get its answer.
    expect(r.upstreamOutcome).toBe('ok');
    expect(guardsOf(r).filter((g) => g.action === 'block').length).toBeGreaterThan(0);
    expect(JSON.stringify(r)).not.toContain(gh.slice(0, 20));
  });

  it('counts matches per detector, direction and action in the metrics', async () => {
    const text = await (await fetch(`${gateway.url}/metrics`)).text();
    expect(text).toMatch(
      /portcullis_gateway_guard_matches_total\{detector="secrets",direction="arguments",action="block"\} 2/,
    );
    expect(text).toMatch(
      /portcullis_gateway_guard_matches_total\{detector="pattern",direction="arguments",action="redact"\} 1/,
    );
    expect(text).toMatch(/detector="payment_card",direction="results",action="redact"\} 2/);
    expect(text).not.toMatch(/ghp_|ticket/);
  });
});
