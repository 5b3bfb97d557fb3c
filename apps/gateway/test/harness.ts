// Test harness: seeds rows with Prisma (as the dashboard would), starts a real gateway in-process
// on port 0, and connects real MCP SDK clients through real transports.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult, ClientCapabilities } from '@modelcontextprotocol/sdk/types.js';
import { issueToken } from '@portcullis/crypto/tokens';
import { encryptSecretMap, serverSecretContext } from '@portcullis/crypto/secret-box';
import { createPrismaClient, type Db } from '@portcullis/db/client';
import { notifyChange } from '@portcullis/db/events';
import type { Prisma } from '@portcullis/db/types';
import { DEFAULT_SANDBOX } from '@portcullis/upstream/stdio-sandbox';
import { parseStdioTemplates } from '@portcullis/upstream/stdio-templates';
import type { GatewayConfig } from '../src/config.ts';
import { createGateway, type Gateway } from '../src/gateway.ts';
import { createLogger } from '../src/log.ts';

export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
export const twikitBin = join(repoRoot, 'apps/twikit/bin/twikit-mcp.mjs');
export const everythingBin = join(
  repoRoot,
  'node_modules/@modelcontextprotocol/server-everything/dist/index.js',
);

export const encryptionKey = randomBytes(32);

export function databaseUrl(): string {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is not set (the integration globalSetup sets it)');
  return url;
}

let sharedDb: Db | undefined;
export function testDb(): Db {
  sharedDb ??= createPrismaClient(databaseUrl());
  return sharedDb;
}

export function tempFile(name: string): string {
  return join(mkdtempSync(join(tmpdir(), 'gateway-test-')), name);
}

export interface SeedServer {
  transport?: 'stdio' | 'streamable_http' | 'sse';
  /** One of testStdioTemplates; `args` are then the extra arguments. */
  stdioTemplate?: string;
  command?: string;
  args?: string[];
  url?: string;
  env?: Record<string, string>;
  headers?: Record<string, string>;
  auditArguments?: 'redacted' | 'full';
  upstreamAccount?: string;
}

export interface Seeded {
  organizationId: string;
  serverId: string;
  grantId: string;
  token: string;
}

let counter = 0;

/** An organization, a server, an active policy (unless policy is null) and a grant; on `db` when given (another database). */
export async function seed(server: SeedServer, policy: unknown | null, db: Db = testDb()): Promise<Seeded> {
  counter += 1;
  const suffix = `${Date.now().toString(36)}${counter}`;
  const org = await db.organization.create({ data: { name: `Org ${suffix}`, slug: `org-${suffix}` } });
  const row = await db.mcpServer.create({
    data: {
      organizationId: org.id,
      name: `server-${suffix}`,
      transport: server.transport ?? 'stdio',
      url: server.url ?? null,
      stdioTemplate: server.stdioTemplate ?? null,
      command: server.command ?? null,
      args: server.args ?? [],
      auditArguments: server.auditArguments ?? 'redacted',
      upstreamAccount: server.upstreamAccount ?? null,
    },
  });
  if (server.env || server.headers) {
    await db.mcpServer.update({
      where: { id: row.id },
      data: {
        ...(server.env
          ? {
              secretEnvEnc: encryptSecretMap(
                encryptionKey,
                server.env,
                serverSecretContext(org.id, row.id, 'env'),
              ),
              secretEnvNames: Object.keys(server.env),
            }
          : {}),
        ...(server.headers
          ? {
              secretHeadersEnc: encryptSecretMap(
                encryptionKey,
                server.headers,
                serverSecretContext(org.id, row.id, 'headers'),
              ),
              secretHeaderNames: Object.keys(server.headers),
            }
          : {}),
      },
    });
  }
  if (policy !== null) await setPolicy(org.id, row.id, policy, db);
  const grant = await addGrant(org.id, row.id, {}, db);
  return { organizationId: org.id, serverId: row.id, grantId: grant.grantId, token: grant.token };
}

export async function addGrant(
  organizationId: string,
  serverId: string,
  extra: { expiresAt?: Date } = {},
  db: Db = testDb(),
): Promise<{ grantId: string; token: string }> {
  const issued = issueToken('grant');
  const grant = await db.grant.create({
    data: {
      organizationId,
      serverId,
      name: 'test agent',
      tokenHash: issued.hash,
      tokenPrefix: issued.prefix,
      ...(extra.expiresAt ? { expiresAt: extra.expiresAt } : {}),
    },
  });
  return { grantId: grant.id, token: issued.token };
}

/** Saves a new active policy version the way the dashboard does, and notifies replicas. */
export async function setPolicy(
  organizationId: string,
  serverId: string,
  document: unknown,
  db: Db = testDb(),
): Promise<void> {
  await db.$transaction(async (tx) => {
    const last = await tx.policyVersion.findFirst({ where: { serverId }, orderBy: { version: 'desc' } });
    await tx.policyVersion.updateMany({ where: { serverId, active: true }, data: { active: false } });
    await tx.policyVersion.create({
      data: {
        organizationId,
        serverId,
        version: (last?.version ?? 0) + 1,
        document: document as Prisma.InputJsonValue,
        active: true,
      },
    });
  });
  await notifyChange(db, { type: 'policy', organizationId, serverId });
}

/**
 * The stdio templates the test gateways offer, as an operator would define them. This operator
 * lets tenants append any arguments (log files, fault switches); production templates don't.
 */
export const TEST_STDIO_TEMPLATES = [
  {
    id: 'twikit',
    name: 'Twikit',
    command: process.execPath,
    args: [twikitBin, '--stdio'],
    tenantArgs: { max: 16, pattern: '.*' },
    tenantEnv: { TENANT_NOTE: {}, TWIKIT_API_SECRET: {} },
    readOnlyPaths: [join(repoRoot, 'apps/twikit'), join(repoRoot, 'node_modules')],
  },
  {
    id: 'node-script',
    name: 'A node script (tests)',
    command: process.execPath,
    tenantArgs: { max: 16, pattern: '.*' },
  },
];
export const testStdioTemplates = parseStdioTemplates(JSON.stringify(TEST_STDIO_TEMPLATES), undefined);

export function twikitServer(logFile: string, extraArgs: string[] = []): SeedServer {
  return { transport: 'stdio', stdioTemplate: 'twikit', args: ['--log-file', logFile, ...extraArgs] };
}

/** A stdio server running `node <script> <args…>` through the test operator's node-script template. */
export function nodeScriptServer(script: string, ...args: string[]): SeedServer {
  return { transport: 'stdio', stdioTemplate: 'node-script', args: [script, ...args] };
}

export function readCallLog(
  logFile: string,
): Array<{ tool: string; arguments: Record<string, unknown>; ok: boolean }> {
  if (!existsSync(logFile)) return [];
  return readFileSync(logFile, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { tool: string; arguments: Record<string, unknown>; ok: boolean });
}

export function gatewayConfig(overrides: Partial<GatewayConfig> = {}): GatewayConfig {
  return {
    databaseUrl: databaseUrl(),
    ...(process.env.REDIS_URL ? { redisUrl: process.env.REDIS_URL } : {}),
    host: '127.0.0.1',
    port: 0,
    publicUrl: 'http://localhost:4000',
    allowedHosts: [],
    allowedOrigins: [],
    encryptionKey,
    allowPrivateUpstreams: true,
    privateUpstreamOrigins: [],
    // Unconfined: these tests are about the gateway; stdio-sandbox tests cover confinement.
    stdio: { templates: testStdioTemplates, sandbox: { ...DEFAULT_SANDBOX, mode: 'off' } },
    upstreamTimeoutMs: 10_000,
    maxBodyBytes: 1024 * 1024,
    maxUpstreamMessageBytes: 16 * 1024 * 1024,
    metricsAllow: ['127.0.0.1/8', '::1/128'],
    maxSessionsPerGrant: 20,
    stdioIdleMs: 60_000,
    maxStdioPerOrganization: 10,
    sessionIdleMs: 30 * 60_000,
    logLevel: process.env.GATEWAY_TEST_LOG_LEVEL ?? 'silent',
    approvalPollMs: 1_000,
    approvalProgressMs: 500,
    ...overrides,
  };
}

export async function startGateway(overrides: Partial<GatewayConfig> = {}): Promise<Gateway> {
  const config = gatewayConfig(overrides);
  const gateway = createGateway(config, { logger: createLogger(config.logLevel) });
  await gateway.listen();
  return gateway;
}

export interface ConnectOptions {
  capabilities?: ClientCapabilities;
  /** Put the token in the URL (/g/<token>/mcp) instead of the Authorization header. */
  tokenInUrl?: boolean;
  sse?: boolean;
  setup?: (client: Client) => void;
}

export async function connectAgent(
  gateway: Gateway,
  seeded: Pick<Seeded, 'serverId' | 'token'>,
  options: ConnectOptions = {},
): Promise<Client> {
  const client = new Client(
    { name: 'test-agent', version: '1.0.0' },
    { capabilities: options.capabilities ?? {} },
  );
  options.setup?.(client);
  const base = options.tokenInUrl
    ? `${gateway.url}/g/${seeded.token}`
    : `${gateway.url}/mcp/${seeded.serverId}`;
  const requestInit = options.tokenInUrl ? {} : { headers: { Authorization: `Bearer ${seeded.token}` } };
  const transport = options.sse
    ? new SSEClientTransport(new URL(`${base}/sse`), { requestInit })
    : new StreamableHTTPClientTransport(new URL(options.tokenInUrl ? `${base}/mcp` : base), { requestInit });
  await client.connect(transport);
  return client;
}

export function textOf(result: CallToolResult | Record<string, unknown>): string {
  const content = (result as CallToolResult).content;
  const first = content?.[0];
  return first && first.type === 'text' ? first.text : JSON.stringify(result);
}

export async function auditRows(serverId: string) {
  return testDb().auditEvent.findMany({ where: { serverId }, orderBy: { createdAt: 'asc' } });
}

export async function waitFor<T>(
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 10_000,
  stepMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error('waitFor: timed out');
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

export interface ChildServer {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/** Starts @modelcontextprotocol/server-everything over Streamable HTTP on a free port. */
export async function startEverything(): Promise<ChildServer> {
  const { spawn } = await import('node:child_process');
  const net = await import('node:net');
  const port = await new Promise<number>((resolve) => {
    const probe = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (probe.address() as { port: number }).port;
      probe.close(() => resolve(p));
    });
  });
  const child = spawn(process.execPath, [everythingBin, 'streamableHttp'], {
    env: { ...process.env, PORT: String(port) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  await new Promise<void>((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`server-everything did not start: ${output}`)), 15_000);
    child.stderr!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('listening on port')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`server-everything exited with ${code}: ${output}`)));
  });
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    pid: child.pid!,
    stop: async () => {
      // (Stopped once already: a signal ended it, so exitCode stays null and signalCode is set.)
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    },
  };
}
