// Log levels with a shared stdio upstream: two agents of one server share one process, and each
// receives the server's log messages at the level it asked for, whatever the other one set.
import { fileURLToPath } from 'node:url';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import {
  LoggingMessageNotificationSchema,
  type LoggingMessageNotification,
} from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../src/gateway.ts';
import { connectAgent, nodeScriptServer, seed, startGateway, waitFor, type Seeded } from './harness.ts';

const faultyServer = fileURLToPath(new URL('./fixtures/faulty-server.mjs', import.meta.url));

describe('logging through a shared stdio upstream', () => {
  let gateway: Gateway;
  let seeded: Seeded;
  let quiet: Client;
  let verbose: Client;
  const heard: Record<'quiet' | 'verbose', LoggingMessageNotification['params'][]> = {
    quiet: [],
    verbose: [],
  };

  beforeAll(async () => {
    seeded = await seed(nodeScriptServer(faultyServer), { version: '1', default: 'allow' });
    gateway = await startGateway();
    for (const name of ['quiet', 'verbose'] as const) {
      const agent = await connectAgent(gateway, seeded, {
        setup: (client) =>
          client.setNotificationHandler(
            LoggingMessageNotificationSchema,
            (n) => void heard[name].push(n.params),
          ),
      });
      if (name === 'quiet') quiet = agent;
      else verbose = agent;
    }
  });

  afterAll(async () => {
    await quiet?.close();
    await verbose?.close();
    await gateway?.close();
  });

  it('filters each session to its own level', async () => {
    await verbose.setLoggingLevel('debug');
    // Set last: with a pass-through, the shared process would now drop debug messages for everyone.
    await quiet.setLoggingLevel('error');
    await verbose.callTool({ name: 'log', arguments: {} });
    await waitFor(() => (heard.verbose.length >= 2 ? true : undefined));
    await quiet.callTool({ name: 'log', arguments: {} });
    await waitFor(() => (heard.verbose.length >= 4 && heard.quiet.length >= 2 ? true : undefined));
    expect(heard.verbose.map((m) => m.level)).toEqual(['debug', 'error', 'debug', 'error']);
    expect(heard.quiet.map((m) => m.level)).toEqual(['error', 'error']);
  });
});
