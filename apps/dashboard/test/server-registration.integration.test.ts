// Registering servers as a tenant: stdio only through the operator's templates, and a failed
// connection never shows what some other service answered.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { db, newOwner, resetDatabase } from './helpers.ts';
import { createServer, testConnection } from '../src/modules/servers/servers.ts';
import { ValidationError } from '../src/server/errors.ts';

beforeEach(resetDatabase);

describe('stdio registration', () => {
  it('refuses a free-form command line (node -e …) from a tenant, writing nothing', async () => {
    const { ctx } = await newOwner();
    const attempt = createServer(db, ctx, {
      name: 'x',
      transport: 'stdio',
      command: 'node',
      args: ['-e', 'require("child_process").execSync("id")'],
    });
    await expect(attempt).rejects.toBeInstanceOf(ValidationError);
    await expect(attempt).rejects.toThrow(/Free-form stdio command lines are disabled/);
    expect(await db.mcpServer.count()).toBe(0);
  });

  it('takes a template with its declared env only, and stores the template, not a command', async () => {
    const { ctx } = await newOwner();
    await expect(
      createServer(db, ctx, {
        name: 'x',
        transport: 'stdio',
        stdioTemplate: 'script',
        env: [{ name: 'NODE_OPTIONS', value: '--require=/tmp/x.js' }],
      }),
    ).rejects.toThrow(/NODE_OPTIONS is not one template "script" accepts/);
    await expect(
      createServer(db, ctx, { name: 'x', transport: 'stdio', stdioTemplate: 'nope' }),
    ).rejects.toThrow(/not offered here/);
    await expect(
      createServer(db, ctx, {
        name: 'x',
        transport: 'stdio',
        stdioTemplate: 'script',
        command: '/bin/sh',
        args: ['a', 'b', 'c', 'd', 'e'],
      }),
    ).rejects.toThrow(/at most 4/);
    const server = await createServer(db, ctx, {
      name: 'ok',
      transport: 'stdio',
      stdioTemplate: 'script',
      command: '/bin/sh',
      args: ['app.js'],
      env: [{ name: 'API_TOKEN', value: 't' }],
    });
    const row = await db.mcpServer.findUniqueOrThrow({ where: { id: server.id } });
    expect(row).toMatchObject({
      stdioTemplate: 'script',
      command: null,
      args: ['app.js'],
      secretEnvNames: ['API_TOKEN'],
    });
  });
});

describe('connection errors', () => {
  let service: http.Server;
  let url: string;
  beforeAll(async () => {
    // Some internal service that is not an MCP server, answering with something worth stealing.
    service = http.createServer((_req, res) =>
      res.writeHead(500, { 'content-type': 'text/plain' }).end('internal_secret_token 42\nSECRET-BODY'),
    );
    await new Promise<void>((resolve) => service.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(service.address() as AddressInfo).port}/metrics`;
  });
  afterAll(() => new Promise<void>((resolve) => service.close(() => resolve())));

  it('name the status, never the body of what answered', async () => {
    const { ctx } = await newOwner();
    const server = await createServer(db, ctx, { name: 'probe', transport: 'streamable_http', url });
    const result = await testConnection(db, ctx, server.id);
    expect(result.ok).toBe(false);
    expect(result.message).toBe('Could not reach the server: the server answered HTTP 500');
    const row = await db.mcpServer.findUniqueOrThrow({ where: { id: server.id } });
    expect(row.statusMessage).not.toMatch(/SECRET|internal_secret/);
  });
});
