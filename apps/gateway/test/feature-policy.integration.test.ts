// Resources, prompts and completions under policy, against server-everything (which offers all
// three): a denied feature lists nothing and refuses reads with the reason, every request is
// audited before it is sent, and a policy edit applies to the next request without reconnecting.
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ResourceUpdatedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../src/gateway.ts';
import {
  auditRows,
  connectAgent,
  seed,
  setPolicy,
  startEverything,
  startGateway,
  waitFor,
  type ChildServer,
  type Seeded,
} from './harness.ts';

const DENY_FEATURES = {
  version: '1',
  default: 'allow',
  resources: { action: 'deny', reason: 'Agents may not read files from this server.' },
  prompts: { action: 'deny' },
};

describe('resources and prompts under policy', () => {
  let everything: ChildServer;
  let gateway: Gateway;
  let seeded: Seeded;
  let agent: Client;
  const updates: string[] = [];

  beforeAll(async () => {
    everything = await startEverything();
    seeded = await seed({ transport: 'streamable_http', url: everything.url }, DENY_FEATURES);
    gateway = await startGateway();
    agent = await connectAgent(gateway, seeded, {
      setup: (client) =>
        client.setNotificationHandler(
          ResourceUpdatedNotificationSchema,
          (n) => void updates.push(n.params.uri),
        ),
    });
  });

  afterAll(async () => {
    await agent?.close();
    await gateway?.close();
    await everything?.stop();
  });

  it('lists no resources, templates or prompts when they are denied', async () => {
    expect((await agent.listResources()).resources).toEqual([]);
    expect((await agent.listResourceTemplates()).resourceTemplates).toEqual([]);
    expect((await agent.listPrompts()).prompts).toEqual([]);
  });

  it('refuses reads, subscriptions, prompt gets and completions with the rule and reason', async () => {
    await expect(
      agent.readResource({ uri: 'demo://resource/static/document/architecture.md' }),
    ).rejects.toThrow('Denied by policy (/resources): Agents may not read files from this server.');
    await expect(
      agent.subscribeResource({ uri: 'demo://resource/static/document/architecture.md' }),
    ).rejects.toThrow(/Denied by policy \(\/resources\)/);
    await expect(agent.getPrompt({ name: 'simple-prompt' })).rejects.toThrow(
      'Denied by policy (/prompts): Prompts are denied by policy.',
    );
    await expect(
      agent.complete({
        ref: { type: 'ref/prompt', name: 'completable-prompt' },
        argument: { name: 'department', value: 'E' },
      }),
    ).rejects.toThrow(/Denied by policy \(\/prompts\)/);
    const rows = await auditRows(seeded.serverId);
    expect(rows.map((r) => [r.method, r.toolName, r.decision, r.ruleId, r.upstreamOutcome])).toEqual([
      ['resources/read', 'demo://resource/static/document/architecture.md', 'deny', '/resources', 'not_sent'],
      [
        'resources/subscribe',
        'demo://resource/static/document/architecture.md',
        'deny',
        '/resources',
        'not_sent',
      ],
      ['prompts/get', 'simple-prompt', 'deny', '/prompts', 'not_sent'],
      ['completion/complete', 'completable-prompt', 'deny', '/prompts', 'not_sent'],
    ]);
    // Redacted by default: the keys, not the values.
    expect(rows[3]!.arguments).toMatchObject({
      argument: expect.stringMatching(/^hmac:/),
      ref: expect.stringMatching(/^hmac:/),
    });
  });

  it('applies a policy edit to the next request of the same session', async () => {
    await setPolicy(seeded.organizationId, seeded.serverId, {
      version: '1',
      default: 'deny',
      resources: { action: 'allow' },
    });
    const listed = await waitFor(
      async () => {
        const { resources } = await agent.listResources();
        return resources.length > 0 ? resources : undefined;
      },
      5_000,
      100,
    );
    const read = await agent.readResource({ uri: listed[0]!.uri });
    expect(read.contents.length).toBeGreaterThan(0);
    // Prompts have no rule now, and the default is deny.
    await expect(agent.getPrompt({ name: 'simple-prompt' })).rejects.toThrow(
      /Denied by policy \(default\): No policy rule allows prompts/,
    );
    const rows = await waitFor(async () => {
      const all = await auditRows(seeded.serverId);
      return all.some((r) => r.upstreamOutcome === 'pending') ? undefined : all;
    });
    expect(rows.at(-2)).toMatchObject({
      method: 'resources/read',
      toolName: listed[0]!.uri,
      decision: 'allow',
      ruleId: '/resources',
      upstreamOutcome: 'ok',
    });
    expect(rows.at(-1)).toMatchObject({ method: 'prompts/get', decision: 'deny', ruleId: '(default)' });
  });

  it('stops resource update notifications when the policy stops allowing resources', async () => {
    await setPolicy(seeded.organizationId, seeded.serverId, { version: '1', default: 'allow' });
    const uri = await waitFor(async () => (await agent.listResources()).resources[0]?.uri, 5_000, 100);
    await agent.subscribeResource({ uri });
    // server-everything sends an update for each subscription at once when updates are switched on.
    await agent.callTool({ name: 'toggle-subscriber-updates', arguments: {} });
    await waitFor(() => (updates.includes(uri) ? true : undefined), 5_000);
    await agent.callTool({ name: 'toggle-subscriber-updates', arguments: {} });

    await setPolicy(seeded.organizationId, seeded.serverId, {
      version: '1',
      default: 'allow',
      resources: { action: 'deny' },
    });
    await waitFor(
      async () => ((await agent.listResources()).resources.length === 0 ? true : undefined),
      5_000,
      100,
    );
    const before = updates.length;
    await agent.callTool({ name: 'toggle-subscriber-updates', arguments: {} });
    await new Promise((r) => setTimeout(r, 1_000));
    expect(updates.length).toBe(before);
  });
});
