// Issue #14, critical: with `npm start` defaults any new account could run code as the gateway's
// user (root here) through a stdio registration, and read host services through a private URL.
// The attacks, as an outsider with a fresh account would run them:
//   1. register `node -e <js>` through the dashboard's own form action, then sync;
//   2. a server of an operator template that turns hostile: what can it read, write and see;
//   3. register the gateway's own /metrics as a Streamable HTTP server and read the sync error.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseUrl, seed, testDb } from '../../apps/gateway/test/harness.ts';
import { probeSandboxSupport } from '../../packages/upstream/src/stdio-sandbox.ts';
import { connect, textOf } from './support/agents.ts';
import { callAction, form, serverActions } from './support/dashboard.ts';
import { startGatewayProcess, type GatewayProcess } from './support/processes.ts';
import { root, writeResult } from './support/results.ts';
import { newTenant, type Tenant } from './support/tenants.ts';

const figures: Record<string, unknown> = {};
let T: Tenant;

beforeAll(async () => {
  T = await newTenant('rce');
});
afterAll(() => writeResult('stdio-confinement', figures));

describe('a new account and stdio', () => {
  it('cannot register a free-form command line; nothing runs, nothing is stored', async () => {
    const marker = path.join(os.tmpdir(), `pwned-${process.pid}-${Date.now()}`);
    const js = `require("fs").writeFileSync(${JSON.stringify(marker)}, String(process.getuid()))`;
    const actions = serverActions();
    const page = `/o/${T.orgSlug}/servers`;
    const answer = await callAction(
      actions.get('registerServerAction')!.id,
      [
        null,
        form({ orgSlug: T.orgSlug, name: 'rce', transport: 'stdio', command: 'node', args: `-e\n${js}` }),
      ],
      {
        cookie: T.cookie,
        page,
      },
    );
    expect(answer.text).toContain('Free-form stdio command lines are disabled');
    expect(await testDb().mcpServer.count({ where: { organizationId: T.ctx.organizationId } })).toBe(0);
    // A row written behind the dashboard's back (an older version, a restored backup) is refused at sync too.
    const row = await testDb().mcpServer.create({
      data: {
        organizationId: T.ctx.organizationId,
        name: 'legacy rce',
        transport: 'stdio',
        command: 'node',
        args: ['-e', js],
      },
    });
    const sync = await callAction(
      actions.get('syncToolsAction')!.id,
      [null, form({ orgSlug: T.orgSlug, serverId: row.id })],
      { cookie: T.cookie, page: `${page}/${row.id}` },
    );
    expect(sync.text).toContain('Free-form stdio command lines are disabled');
    expect(existsSync(marker)).toBe(false);
    figures.freeForm = {
      attack:
        'register {"transport":"stdio","command":"node","args":["-e",…]} through the form action, then sync',
      registration: 'refused (400-style message)',
      syncOfALegacyRow: 'refused',
      ran: existsSync(marker),
    };
  });

  it('cannot read host services through a private upstream URL: refused, and no answer body in the error', async () => {
    const metrics = `${process.env.RELIABILITY_GATEWAY_URL!.replace('localhost', '127.0.0.1')}/metrics`;
    const actions = serverActions();
    const page = `/o/${T.orgSlug}/servers`;
    // Registration itself fetches the URL (sign-in discovery), so it is refused there and nothing is stored.
    const registration = await callAction(
      actions.get('registerServerAction')!.id,
      [null, form({ orgSlug: T.orgSlug, name: 'ssrf', transport: 'streamable_http', url: metrics })],
      { cookie: T.cookie, page },
    );
    expect(registration.text).toMatch(/is on a private address/);
    expect(registration.text).not.toMatch(/gateway_|# HELP|# TYPE/);
    expect(
      await testDb().mcpServer.count({ where: { organizationId: T.ctx.organizationId, name: 'ssrf' } }),
    ).toBe(0);
    // A row saved before that check (or through another path) is refused again at sync.
    const row = await testDb().mcpServer.create({
      data: {
        organizationId: T.ctx.organizationId,
        name: 'ssrf',
        transport: 'streamable_http',
        url: metrics,
      },
    });
    const sync = await callAction(
      actions.get('syncToolsAction')!.id,
      [null, form({ orgSlug: T.orgSlug, serverId: row.id })],
      { cookie: T.cookie, page: `${page}/${row.id}` },
    );
    expect(sync.text).toMatch(/private, loopback or link-local/);
    expect(sync.text).not.toMatch(/gateway_|# HELP|# TYPE/);
    const stored = await testDb().mcpServer.findUniqueOrThrow({ where: { id: row.id } });
    expect(stored.statusMessage ?? '').not.toMatch(/gateway_|# HELP/);
    figures.privateUrl = {
      attack: `register ${metrics}, and sync a row that holds it`,
      registration: 'refused',
      result: stored.statusMessage,
    };
  });
});

describe('a hostile server of an operator template, in the default sandbox', () => {
  let gateway: GatewayProcess;
  const host = mkdtempSync(path.join(os.tmpdir(), 'confinement-host-'));
  const dataDir = path.join(host, '.data');
  const secretFile = path.join(dataDir, 'secrets.json');
  const fixtures = path.join(root, 'test/reliability/fixtures');

  beforeAll(async () => {
    chmodSync(host, 0o755);
    mkdirSync(dataDir, { mode: 0o700 });
    writeFileSync(secretFile, '{"PORTCULLIS_ENCRYPTION_KEY":"not-for-tenants"}', { mode: 0o600 });
    const template = {
      id: 'hostile',
      name: 'Hostile',
      command: process.execPath,
      args: [
        path.join(fixtures, 'hostile-stdio-server.mjs'),
        secretFile,
        path.join(root, 'package.json'),
        '--write',
        root,
        host,
      ],
      readOnlyPaths: [fixtures],
    };
    // The operator's default (auto): bubblewrap where it works, else another user.
    gateway = await startGatewayProcess({
      databaseUrl: databaseUrl(),
      logName: 'stdio-confinement',
      env: { STDIO_TEMPLATES: JSON.stringify([template]), STDIO_SANDBOX: 'auto' },
    });
    await gateway.ready();
  });
  afterAll(async () => {
    await gateway?.kill();
  });

  it.skipIf(process.getuid?.() !== 0 && !probeSandboxSupport().bwrap)(
    'runs as another user, sees none of the gateway secrets, the data folder or the checkout, and writes nowhere',
    async () => {
      const seeded = await seed(
        { transport: 'stdio', stdioTemplate: 'hostile' },
        { version: '1', default: 'allow' },
      );
      const agent = await connect(gateway.url, seeded.serverId, seeded.token);
      try {
        const report = JSON.parse(textOf(await agent.callTool({ name: 'probe', arguments: {} }))) as {
          uid: number;
          env: string[];
          cwdEntries: string[] | null;
          reads: Record<string, string>;
          writes: Record<string, string>;
          processesWithGatewaySecrets: number;
          processesVisible: number;
        };
        expect(report.uid).not.toBe(0);
        expect(report.uid).not.toBe(process.getuid?.());
        for (const name of ['DATABASE_URL', 'PORTCULLIS_ENCRYPTION_KEY', 'AUTH_SECRET', 'REDIS_URL'])
          expect(report.env).not.toContain(name);
        expect(report.cwdEntries).toEqual([]);
        expect(report.reads[secretFile]).not.toBe('ok');
        // Judged on the host: inside bwrap a write may land in the sandbox's own tmpfs, which is fine.
        const written = [root, host].flatMap((dir) =>
          readdirSync(dir).filter((name) => name.startsWith('pwned-')),
        );
        expect(written).toEqual([]);
        expect(report.processesWithGatewaySecrets).toBe(0);
        const bwrap = Boolean(probeSandboxSupport().bwrap);
        if (bwrap) expect(report.reads[path.join(root, 'package.json')]).toBe('ENOENT');
        figures.hostileTemplate = {
          sandbox: bwrap ? 'bwrap' : 'user',
          ...report,
          filesWrittenOnTheHost: written.length,
        };
      } finally {
        await agent.close();
      }
    },
  );
});
