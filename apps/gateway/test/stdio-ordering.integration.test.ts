// Every message a stdio upstream writes before a response reaches the agent before that response:
// progress notifications written in the same chunk as the result, or just before it, all arrive.
import { writeFileSync } from 'node:fs';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../src/gateway.ts';
import { connectAgent, nodeScriptServer, seed, startGateway, tempFile } from './harness.ts';

const PROGRESS = 3;
const server = tempFile('progress-server.mjs');
writeFileSync(
  server,
  `import readline from 'node:readline';
const line = (m) => JSON.stringify({ jsonrpc: '2.0', ...m }) + '\\n';
readline.createInterface({ input: process.stdin }).on('line', (text) => {
  const m = JSON.parse(text);
  if (m.id === undefined) return;
  if (m.method === 'initialize') return process.stdout.write(line({ id: m.id, result: { protocolVersion: m.params.protocolVersion, capabilities: { tools: {} }, serverInfo: { name: 'progress', version: '1' } } }));
  if (m.method === 'tools/list') return process.stdout.write(line({ id: m.id, result: { tools: ['one_chunk', 'separate_writes'].map((name) => ({ name, inputSchema: { type: 'object' } })) } }));
  if (m.method !== 'tools/call') return process.stdout.write(line({ id: m.id, error: { code: -32601, message: 'no' } }));
  const token = m.params._meta?.progressToken;
  const messages = [];
  for (let i = 1; i <= ${PROGRESS}; i++) messages.push(line({ method: 'notifications/progress', params: { progressToken: token, progress: i, total: ${PROGRESS} } }));
  messages.push(line({ id: m.id, result: { content: [{ type: 'text', text: 'done' }] } }));
  if (m.params.name === 'one_chunk') process.stdout.write(messages.join(''));
  else for (const message of messages) process.stdout.write(message);
});
`,
);

describe('stdio ordering', () => {
  let gateway: Gateway;
  let agent: Client;
  beforeAll(async () => {
    gateway = await startGateway();
    const seeded = await seed(nodeScriptServer(server), { version: '1', default: 'allow' });
    agent = await connectAgent(gateway, seeded);
  });
  afterAll(async () => {
    await agent?.close();
    await gateway?.close();
  });

  for (const tool of ['one_chunk', 'separate_writes']) {
    it(`delivers every progress notification before the result (${tool}, 20 calls)`, async () => {
      for (let call = 0; call < 20; call++) {
        const seen: number[] = [];
        const result = await agent.callTool({ name: tool, arguments: {} }, undefined, {
          onprogress: (p) => seen.push(p.progress),
        });
        expect((result.content as Array<{ text: string }>)[0]!.text).toBe('done');
        expect(seen, `call ${call}`).toEqual([1, 2, 3]);
      }
    });
  }
});
