// Starts the product the way a user does (`scripts/start.ts`), on free ports, against a fresh
// database (on DATABASE_URL's server when set, else an embedded PostgreSQL).
import { spawn } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestDatabase } from '@portcullis/db/test-database';
import { selfSignedCert } from '../../test/self-signed-cert.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

export default async function globalSetup(): Promise<void> {
  const db = await createTestDatabase('portcullis_e2e');
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'portcullis-e2e-'));
  const [dashboard, gateway, twikit] = [await freePort(), await freePort(), await freePort()];
  // The OAuth spec serves a Client ID Metadata Document over https on loopback: the dashboard trusts
  // its throw-away certificate and the operator allows exactly that origin, nothing else private.
  const clientMetadataPort = await freePort();
  // The approvals spec's webhook receiver, and a port where nothing listens (a receiver that is
  // down): the operator allows exactly these two private origins for notification webhooks.
  const [webhookPort, webhookDownPort] = [await freePort(), await freePort()];
  // The upstream-OAuth spec's MCP server behind its own authorization server (pre-registered clients
  // only): the operator allows its loopback origin next to the Twikit stand-in's.
  const oauthUpstreamPort = await freePort();
  const tls = selfSignedCert();
  // The operator's Twikit template, writing its call log where the test reads it. The folder is
  // open to the sandbox user the gateway picks for the server.
  const callsDir = await mkdtemp(path.join(os.tmpdir(), 'portcullis-e2e-calls-'));
  await chmod(callsDir, 0o777);
  const callLog = path.join(callsDir, 'twikit-calls.jsonl');
  // Every Twikit server of every spec appends to this one log, each as its own sandbox user.
  await writeFile(callLog, '');
  await chmod(callLog, 0o666);
  const twikitTemplate = {
    id: 'twikit',
    name: 'Twikit',
    command: process.execPath,
    args: [path.join(root, 'apps/twikit/bin/twikit-mcp.mjs'), '--stdio', '--log-file', callLog],
    readOnlyPaths: [path.join(root, 'apps/twikit'), path.join(root, 'node_modules')],
    writablePaths: [callsDir],
    // Node 24 needs more than the default 1024 MiB of RLIMIT_DATA to start tsx (docs/stdio-templates.md).
    limits: { memoryMb: 2048 },
  };
  // A server whose results carry secrets and whose catalog has an injected description (guards spec).
  const leakyTemplate = {
    id: 'leaky',
    name: 'Leaky (tests)',
    command: process.execPath,
    args: [path.join(root, 'apps/gateway/test/fixtures/leaky-server.mjs')],
    readOnlyPaths: [path.join(root, 'apps/gateway/test/fixtures')],
  };
  const env = {
    ...process.env,
    DATABASE_URL: db.url,
    PORTCULLIS_DATA_DIR: dataDir,
    DASHBOARD_PORT: String(dashboard),
    GATEWAY_PORT: String(gateway),
    TWIKIT_PORT: String(twikit),
    AUTH_SECRET: randomBytes(32).toString('base64url'),
    PORTCULLIS_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    STDIO_TEMPLATES: JSON.stringify([twikitTemplate, leakyTemplate]),
    NODE_EXTRA_CA_CERTS: tls.certFile,
    OAUTH_CLIENT_METADATA_PRIVATE_ORIGINS: `https://localhost:${clientMetadataPort}`,
    WEBHOOK_PRIVATE_ORIGINS: `http://127.0.0.1:${webhookPort},http://127.0.0.1:${webhookDownPort}`,
    // scripts/start.ts defaults to the Twikit origins only when this is unset, so they are repeated here.
    UPSTREAM_PRIVATE_ORIGINS: [
      `http://localhost:${twikit}`,
      `http://127.0.0.1:${twikit}`,
      `http://127.0.0.1:${oauthUpstreamPort}`,
    ].join(','),
  };
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let log = '';
  // The stack's output, kept for the specs: without SMTP the dashboard writes verification links there.
  const stackLog = path.join(dataDir, 'stack.log');
  await writeFile(stackLog, '');
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`stack did not start in 10 min:\n${log.slice(-4000)}`)),
      600_000,
    );
    const onData = (chunk: Buffer) => {
      const text = chunk.toString();
      log += text;
      appendFileSync(stackLog, text);
      process.stdout.write(
        text
          .split('\n')
          .filter(Boolean)
          .map((l) => `[stack] ${l}\n`)
          .join(''),
      );
      if (log.includes('Portcullis is up')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`stack exited (${code}) before it was up:\n${log.slice(-4000)}`));
    });
  });
  process.env.E2E_DASHBOARD_URL = `http://localhost:${dashboard}`;
  process.env.E2E_GATEWAY_URL = `http://localhost:${gateway}`;
  process.env.E2E_TWIKIT_CALL_LOG = callLog;
  process.env.E2E_DATABASE_URL = db.url;
  process.env.E2E_STACK_LOG = stackLog;
  process.env.E2E_CLIENT_METADATA_PORT = String(clientMetadataPort);
  process.env.E2E_WEBHOOK_PORT = String(webhookPort);
  process.env.E2E_WEBHOOK_DOWN_PORT = String(webhookDownPort);
  process.env.E2E_OAUTH_UPSTREAM_PORT = String(oauthUpstreamPort);
  process.env.E2E_TLS_CERT_FILE = tls.certFile;
  process.env.E2E_TLS_KEY_FILE = tls.keyFile;
  await writeFile(path.join(dataDir, 'stack.json'), JSON.stringify({ pid: child.pid }));
  (globalThis as Record<string, unknown>).__portcullisStack = { child, db, dataDir };
}
