// A tenant's many stdio servers must not take the host from the others: one organization runs at
// most maxStdioPerOrganization processes per gateway; idle ones make room, other tenants are untouched.
import { randomBytes } from 'node:crypto';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../src/gateway.ts';
import {
  addGrant,
  connectAgent,
  seed,
  startGateway,
  tempFile,
  testDb,
  twikitServer,
  type Seeded,
} from './harness.ts';

const ALLOW_ALL = { version: '1', default: 'allow' };

describe('stdio processes per organization', () => {
  let gateway: Gateway;
  let first: Seeded;
  let other: Seeded;
  const agents: Client[] = [];

  beforeAll(async () => {
    gateway = await startGateway({ maxStdioPerOrganization: 2 });
    first = await seed(twikitServer(tempFile('a.jsonl')), ALLOW_ALL);
    other = await seed(twikitServer(tempFile('other.jsonl')), ALLOW_ALL);
  });
  afterAll(async () => {
    await Promise.allSettled(agents.map((a) => a.close()));
    await gateway.close();
  });

  /** Another stdio server of `first`'s organization, with a grant. */
  async function sibling(): Promise<Seeded> {
    const db = testDb();
    const row = await db.mcpServer.create({
      data: {
        organizationId: first.organizationId,
        name: `sibling-${randomBytes(4).toString('hex')}`,
        transport: 'stdio',
        stdioTemplate: 'twikit',
        args: ['--log-file', tempFile('s.jsonl')],
      },
    });
    const { setPolicy } = await import('./harness.ts');
    await setPolicy(first.organizationId, row.id, ALLOW_ALL);
    const grant = await addGrant(first.organizationId, row.id);
    return {
      organizationId: first.organizationId,
      serverId: row.id,
      grantId: grant.grantId,
      token: grant.token,
    };
  }

  it('refuses a third busy process with a sentence, stops an idle one to make room, and leaves other tenants alone', async () => {
    const second = await sibling();
    const third = await sibling();
    agents.push(await connectAgent(gateway, first), await connectAgent(gateway, second));
    await expect(connectAgent(gateway, third)).rejects.toThrow(
      /already runs 2 stdio servers with open sessions on this gateway \(at most 2\)/,
    );
    // Another organization is not counted against this one.
    const elsewhere = await connectAgent(gateway, other);
    agents.push(elsewhere);
    expect((await elsewhere.listTools()).tools.length).toBeGreaterThan(0);
    // Once a server of the organization has no session, the next one takes its place.
    // (The SDK client's close() sends no DELETE; ending the session is what frees the process.)
    await (agents[1]!.transport as StreamableHTTPClientTransport).terminateSession();
    await agents[1]!.close();
    const replacement = await connectAgent(gateway, third);
    agents.push(replacement);
    expect((await replacement.listTools()).tools.length).toBeGreaterThan(0);
  });
});
