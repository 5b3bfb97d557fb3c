// Reliability tier: the whole product as a user runs it (`scripts/start.ts`: dashboard on `next
// start`, gateway, Twikit stand-in) on free ports against the tier's fresh database, with every
// line the processes print kept in .results/logs-<run>/stack.log (the secrets test greps it). Runs after
// ./global-setup.ts, which sets DATABASE_URL.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, RELIABILITY_STDIO_ENV } from './support/processes.ts';
import { resultsDir, root } from './support/results.ts';

let child: ChildProcess | undefined;
let dataDir: string | undefined;

export async function setup(): Promise<void> {
  mkdirSync(resultsDir, { recursive: true });
  // Logs of earlier runs go once they are a day old.
  for (const entry of readdirSync(resultsDir)) {
    const full = path.join(resultsDir, entry);
    if (entry.startsWith('logs') && Date.now() - statSync(full).mtimeMs > 86_400_000)
      rmSync(full, { recursive: true, force: true });
  }
  const logs = mkdtempSync(path.join(resultsDir, 'logs-'));
  process.env.RELIABILITY_LOGS = logs;
  const [dashboard, gateway, twikit] = [await freePort(), await freePort(), await freePort()];
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'portcullis-reliability-'));
  const secrets = {
    AUTH_SECRET: randomBytes(32).toString('base64url'),
    PORTCULLIS_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
  };
  const env = {
    ...process.env,
    ...secrets,
    PORTCULLIS_DATA_DIR: dataDir,
    DASHBOARD_PORT: String(dashboard),
    GATEWAY_PORT: String(gateway),
    TWIKIT_PORT: String(twikit),
    ...RELIABILITY_STDIO_ENV,
    // Everything the gateway can say, so the secrets test greps as much as there is.
    LOG_LEVEL: 'debug',
  };
  const logFile = path.join(logs, 'stack.log');
  const log = createWriteStream(logFile, { flags: 'a' });
  const started = Date.now();
  child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  child.stdout!.pipe(log, { end: false });
  child.stderr!.pipe(log, { end: false });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`stack did not start in 10 min:\n${output.slice(-4000)}`)),
      600_000,
    );
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Portcullis is up')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child!.stdout!.on('data', onData);
    child!.stderr!.on('data', onData);
    child!.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`stack exited (${code}) before it was up:\n${output.slice(-4000)}`));
    });
  });
  console.log(`[reliability] stack up in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  Object.assign(process.env, {
    ...secrets,
    RELIABILITY_DASHBOARD_URL: `http://localhost:${dashboard}`,
    RELIABILITY_GATEWAY_URL: `http://localhost:${gateway}`,
    RELIABILITY_TWIKIT_URL: `http://localhost:${twikit}/mcp`,
    RELIABILITY_STACK_LOG: logFile,
    // The dashboard's modules, when tests call them directly, obey the same operator settings as the stack.
    ...RELIABILITY_STDIO_ENV,
    ALLOW_PRIVATE_UPSTREAMS: 'true',
    GATEWAY_PUBLIC_URL: `http://localhost:${gateway}`,
  });
}

export async function teardown(): Promise<void> {
  const c = child;
  if (c?.pid && c.exitCode === null) {
    const exited = new Promise((r) => c.once('exit', r));
    // The start script stops its children (and the database it started, none here) on SIGTERM.
    process.kill(-c.pid, 'SIGTERM');
    const timer = setTimeout(() => c.pid && process.kill(-c.pid, 'SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  }
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
}
