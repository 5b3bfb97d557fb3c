// Full passthrough against @modelcontextprotocol/server-everything (Streamable HTTP upstream):
// what an agent sees through the gateway is what the server offers, requests from the server to
// the agent (sampling, elicitation, roots) reach the right agent, progress flows back.
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ListRootsRequestSchema,
  LATEST_PROTOCOL_VERSION,
  LoggingMessageNotificationSchema,
  type CallToolResult,
} from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../src/gateway.ts';
import {
  auditRows,
  connectAgent,
  seed,
  startEverything,
  startGateway,
  textOf,
  waitFor,
  type ChildServer,
  type Seeded,
} from './harness.ts';

describe('passthrough to server-everything (Streamable HTTP upstream)', () => {
  let everything: ChildServer;
  let gateway: Gateway;
  let seeded: Seeded;
  let agent: Client;
  const samplingRequests: unknown[] = [];
  const logMessages: unknown[] = [];

  beforeAll(async () => {
    everything = await startEverything();
    seeded = await seed(
      { transport: 'streamable_http', url: everything.url },
      { version: '1', default: 'allow' },
    );
    gateway = await startGateway();
    agent = await connectAgent(gateway, seeded, {
      capabilities: { sampling: {}, elicitation: {}, roots: { listChanged: true } },
      setup: (client) => {
        client.setRequestHandler(CreateMessageRequestSchema, async (request) => {
          samplingRequests.push(request.params);
          return {
            role: 'assistant',
            content: { type: 'text', text: 'sampled by the test agent' },
            model: 'test-model',
            stopReason: 'endTurn',
          };
        });
        client.setRequestHandler(ElicitRequestSchema, async () => ({
          action: 'accept',
          content: { name: 'Ada Lovelace', check: true },
        }));
        client.setRequestHandler(ListRootsRequestSchema, async () => ({
          roots: [{ uri: 'file:///work/project', name: 'project' }],
        }));
        client.setNotificationHandler(
          LoggingMessageNotificationSchema,
          (n) => void logMessages.push(n.params),
        );
      },
    });
    // server-everything registers its sampling/elicitation/roots tools after initialize and says list_changed.
    await waitFor(
      async () =>
        (await agent.listTools()).tools.some((t) => t.name === 'trigger-sampling-request') ? true : undefined,
      15_000,
      200,
    );
  });

  afterAll(async () => {
    await agent?.close();
    await gateway?.close();
    await everything?.stop();
  });

  it('initializes with the upstream identity and capabilities', () => {
    expect(agent.getServerVersion()).toMatchObject({ name: 'mcp-servers/everything', version: '2.0.0' });
    const caps = agent.getServerCapabilities()!;
    expect(caps.tools).toBeDefined();
    expect(caps.resources).toMatchObject({ subscribe: true });
    expect(caps.prompts).toBeDefined();
    expect(caps.logging).toBeDefined();
    expect(agent.getInstructions()).toBeTruthy();
  });

  it('forwards sampling requests from the upstream to the agent', async () => {
    const result = (await agent.callTool({
      name: 'trigger-sampling-request',
      arguments: { prompt: 'say hi', maxTokens: 10 },
    })) as CallToolResult;
    expect(result.isError).toBeFalsy();
    expect(JSON.stringify(result.content)).toContain('sampled by the test agent');
    expect(samplingRequests).toHaveLength(1);
  });

  it('forwards elicitation requests and returns the answer', async () => {
    const result = (await agent.callTool({
      name: 'trigger-elicitation-request',
      arguments: {},
    })) as CallToolResult;
    expect(JSON.stringify(result.content)).toContain('Ada Lovelace');
  });

  it('answers the upstream roots/list from the agent', async () => {
    const result = (await agent.callTool({ name: 'get-roots-list', arguments: {} })) as CallToolResult;
    expect(JSON.stringify(result.content)).toContain('file:///work/project');
  });

  it('forwards progress notifications for a long-running call', async () => {
    const progress: Array<{ progress: number; total?: number }> = [];
    const result = (await agent.callTool(
      { name: 'trigger-long-running-operation', arguments: { duration: 1, steps: 4 } },
      undefined,
      {
        onprogress: (p) => progress.push(p),
      },
    )) as CallToolResult;
    expect(textOf(result)).toContain('Long running operation completed');
    expect(progress.map((p) => p.progress)).toEqual([1, 2, 3, 4]);
    expect(progress[0]!.total).toBe(4);
  });

  it('passes resources, templates, prompts, completion, logging and ping through', async () => {
    const first = await agent.listResources();
    expect(first.resources.length).toBeGreaterThan(0);
    const read = await agent.readResource({ uri: first.resources[0]!.uri });
    expect(read.contents.length).toBeGreaterThan(0);
    const templates = await agent.listResourceTemplates();
    expect(templates.resourceTemplates.length).toBeGreaterThan(0);
    const prompts = await agent.listPrompts();
    expect(prompts.prompts.map((p) => p.name)).toContain('simple-prompt');
    const prompt = await agent.getPrompt({ name: 'simple-prompt' });
    expect(prompt.messages.length).toBeGreaterThan(0);
    if (agent.getServerCapabilities()?.completions) {
      const completion = await agent.complete({
        ref: { type: 'ref/prompt', name: 'completable-prompt' },
        argument: { name: 'department', value: 'E' },
      });
      expect(completion.completion.values.length).toBeGreaterThan(0);
    }
    await agent.setLoggingLevel('debug');
    await agent.ping();
    await agent.subscribeResource({ uri: first.resources[0]!.uri });
    await agent.unsubscribeResource({ uri: first.resources[0]!.uri });
  });

  it('returns upstream JSON-RPC errors unchanged', async () => {
    await expect(agent.readResource({ uri: 'demo://resource/does-not-exist' })).rejects.toThrow(
      /MCP error -?\d+/,
    );
  });

  it('audits every tools/call', async () => {
    const rows = (await auditRows(seeded.serverId)).filter((r) => r.method === 'tools/call');
    expect(rows.map((r) => r.toolName).sort()).toEqual([
      'get-roots-list',
      'trigger-elicitation-request',
      'trigger-long-running-operation',
      'trigger-sampling-request',
    ]);
    expect(rows.every((r) => r.decision === 'allow' && r.upstreamOutcome === 'ok')).toBe(true);
    // The version the agent's initialize agreed (the SDK client asks for the latest it knows).
    expect(new Set(rows.map((r) => r.protocolVersion))).toEqual(new Set([LATEST_PROTOCOL_VERSION]));
  });

  it('audits every resource read, subscription, prompt get and completion', async () => {
    // Outcomes are written in batches shortly after the answer.
    const rows = await waitFor(async () => {
      const all = (await auditRows(seeded.serverId)).filter((r) => r.method !== 'tools/call');
      return all.some((r) => r.upstreamOutcome === 'pending') ? undefined : all;
    });
    const methods = rows.map((r) => r.method);
    expect(methods).toEqual(expect.arrayContaining(['resources/read', 'prompts/get', 'resources/subscribe']));
    expect(rows.find((r) => r.method === 'prompts/get')).toMatchObject({
      toolName: 'simple-prompt',
      decision: 'allow',
      upstreamOutcome: 'ok',
    });
    // The upstream's "not found" is recorded as what it was: allowed, sent, failed.
    expect(rows.find((r) => r.toolName === 'demo://resource/does-not-exist')).toMatchObject({
      method: 'resources/read',
      decision: 'allow',
      upstreamOutcome: 'error',
    });
  });
});
