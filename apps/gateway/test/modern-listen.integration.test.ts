// subscriptions/listen (MCP 2026-07-28) in front of a legacy Streamable HTTP upstream whose tool and
// prompt lists change at run time: the upstream's list_changed reach the stream, for what the
// acknowledgement honored only.
import {
  Client as ModernClient,
  StreamableHTTPClientTransport as ModernTransport,
} from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../src/gateway.ts';
import { startMutableServer, type MutableServer } from './fixtures/mutable-server.ts';
import { seed, startGateway, waitFor, type Seeded } from './harness.ts';

describe('subscriptions/listen honouring the upstream list changes', () => {
  let upstream: MutableServer;
  let gateway: Gateway;
  let seeded: Seeded;
  let agent: ModernClient;

  beforeAll(async () => {
    upstream = await startMutableServer();
    seeded = await seed(
      { transport: 'streamable_http', url: upstream.url },
      { version: '1', default: 'allow' },
    );
    gateway = await startGateway();
    agent = new ModernClient(
      { name: 'modern-agent', version: '2.0.0' },
      { capabilities: {}, versionNegotiation: { mode: { pin: '2026-07-28' } } },
    );
    await agent.connect(
      new ModernTransport(new URL(`${gateway.url}/mcp/${seeded.serverId}`), {
        requestInit: { headers: { Authorization: `Bearer ${seeded.token}` } },
      }),
    );
  });

  afterAll(async () => {
    await agent?.close();
    await gateway?.close();
    await upstream?.close();
  });

  it('reports prompt and tool list changes made upstream, and only what it honored', async () => {
    const prompts: unknown[] = [];
    const tools: unknown[] = [];
    agent.setNotificationHandler('notifications/prompts/list_changed', (n) => void prompts.push(n));
    agent.setNotificationHandler('notifications/tools/list_changed', (n) => void tools.push(n));
    const subscription = await agent.listen({
      toolsListChanged: true,
      promptsListChanged: true,
      resourcesListChanged: true,
    });
    try {
      // The upstream has no resources: not honored.
      expect(subscription.honoredFilter).toEqual({ toolsListChanged: true, promptsListChanged: true });
      upstream.addPrompt('later');
      await waitFor(() => prompts.length > 0 || undefined);
      expect((await agent.listPrompts()).prompts.map((p) => p.name)).toContain('later');
      upstream.addTool('added_upstream', 'Added while the agent listens.');
      const { testDb } = await import('./harness.ts');
      const row = await waitFor(
        async () =>
          (await testDb().tool.findFirst({ where: { serverId: seeded.serverId, name: 'added_upstream' } })) ??
          undefined,
      );
      await waitFor(() => tools.length > 0 || undefined, 15_000);
      // New since the catalog was reviewed: held by pinning (not listed) until an editor approves it.
      expect(row.pinState).toBe('pending');
      expect((await agent.listTools()).tools.map((t) => t.name)).not.toContain('added_upstream');
      tools.length = 0;
      const { approveToolDefinition } = await import('@portcullis/catalog/sync-server-tools');
      await approveToolDefinition(testDb(), {
        organizationId: seeded.organizationId,
        serverId: seeded.serverId,
        toolId: row.id,
        definitionHash: row.definitionHash,
      });
      await waitFor(() => tools.length > 0 || undefined, 15_000);
      await waitFor(
        async () => (await agent.listTools()).tools.some((t) => t.name === 'added_upstream') || undefined,
      );
    } finally {
      await subscription.close();
    }
  });
});
