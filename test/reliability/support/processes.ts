// Child processes the reliability suite starts and stops itself: gateways (so they can be killed
// with SIGKILL and their memory read from /proc), Redis servers (so Redis can be taken away), and
// helpers for ports and waiting. Every child's output goes to a log file under .results/logs, which
// the secrets test greps.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { encryptionKey, TEST_STDIO_TEMPLATES } from '../../../apps/gateway/test/harness.ts';
import { logsDir, root } from './results.ts';

/**
 * The test operator's stdio settings for the stack and gateway processes: the harness's templates,
 * unconfined so tests can hand servers log files anywhere (sandbox.reliability.test.ts confines).
 */
export const RELIABILITY_STDIO_ENV = {
  STDIO_TEMPLATES: JSON.stringify(TEST_STDIO_TEMPLATES),
  STDIO_SANDBOX: 'off',
};

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Resident set size of a process, in MB, from /proc. */
export function rssMb(pid: number): number {
  const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  return Math.round((kb / 1024) * 10) / 10;
}

export async function until<T>(
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs: number,
  what: string,
  stepMs = 25,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await Promise.resolve(check()).catch(() => undefined);
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(stepMs);
  }
}

function logStream(name: string) {
  mkdirSync(logsDir(), { recursive: true });
  return createWriteStream(path.join(logsDir(), `${name}.log`), { flags: 'a' });
}

export interface GatewayProcess {
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  readonly child: ChildProcess;
  /** Waits until /readyz answers 200. */
  ready(timeoutMs?: number): Promise<void>;
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** After a full garbage collection (needs memoryProbe). */
  memory(): Promise<MemoryReading>;
}

export interface GatewayOptions {
  databaseUrl: string;
  redisUrl?: string;
  port?: number;
  /** Log file name under .results/logs (appended). */
  logName: string;
  env?: Record<string, string>;
  /** Load support/memory-probe.mjs, for memory(). */
  memoryProbe?: boolean;
}

export interface MemoryReading {
  rssMb: number;
  heapUsedMb: number;
}

/** `node --import tsx apps/gateway/src/main.ts` with the harness's encryption key, as an operator runs it. */
export async function startGatewayProcess(options: GatewayOptions): Promise<GatewayProcess> {
  const port = options.port ?? (await freePort());
  const log = logStream(options.logName);
  // Only a gateway with the memory probe gets a scratch folder, removed when the process exits.
  const probeDir = options.memoryProbe ? mkdtempSync(path.join(os.tmpdir(), 'gateway-memory-')) : undefined;
  const probeFile = probeDir ? path.join(probeDir, 'memory.json') : '';
  const probe = options.memoryProbe
    ? ['--expose-gc', '--import', './test/reliability/support/memory-probe.mjs']
    : [];
  const child = spawn(process.execPath, [...probe, '--import', 'tsx', 'apps/gateway/src/main.ts'], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      DATABASE_URL: options.databaseUrl,
      ...(options.redisUrl ? { REDIS_URL: options.redisUrl } : {}),
      GATEWAY_PORT: String(port),
      PORTCULLIS_ENCRYPTION_KEY: encryptionKey.toString('base64'),
      ...RELIABILITY_STDIO_ENV,
      GATEWAY_ALLOW_PRIVATE_UPSTREAMS: 'true',
      LOG_LEVEL: 'info',
      ...(probeFile ? { MEMORY_PROBE_FILE: probeFile } : {}),
      ...options.env,
    },
  });
  child.stdout!.pipe(log, { end: false });
  child.stderr!.pipe(log, { end: false });
  const url = `http://localhost:${port}`;
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      if (probeDir) rmSync(probeDir, { recursive: true, force: true });
      resolve();
    }),
  );
  return {
    url,
    port,
    pid: child.pid!,
    child,
    async ready(timeoutMs = 30_000) {
      await until(
        async () => {
          if (child.exitCode !== null || child.signalCode !== null)
            throw new Error(`gateway exited (${child.exitCode ?? child.signalCode})`);
          const res = await fetch(`${url}/readyz`).catch(() => undefined);
          return res?.status === 200 || undefined;
        },
        timeoutMs,
        `gateway on ${port} to be ready`,
      );
    },
    async memory() {
      if (!probeFile) throw new Error('start the gateway with memoryProbe: true to read its memory');
      rmSync(probeFile, { force: true });
      child.kill('SIGUSR2');
      const usage = await until(
        () =>
          existsSync(probeFile)
            ? (JSON.parse(readFileSync(probeFile, 'utf8')) as NodeJS.MemoryUsage)
            : undefined,
        10_000,
        'a memory reading',
      );
      const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;
      return { rssMb: mb(usage.rss), heapUsedMb: mb(usage.heapUsed) };
    },
    async kill(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}

export interface RedisProcess {
  readonly url: string;
  readonly port: number;
  start(): Promise<void>;
  kill(): Promise<void>;
}

/** A throwaway redis-server (no persistence) on its own port, never the machine's. */
export async function redisServer(): Promise<RedisProcess> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const url = `redis://127.0.0.1:${port}`;
  const self: RedisProcess = {
    url,
    port,
    async start() {
      child = spawn(
        'redis-server',
        ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
        { stdio: 'ignore' },
      );
      await until(
        () =>
          new Promise<boolean | undefined>((resolve) => {
            const socket = net.connect(port, '127.0.0.1');
            socket.once('connect', () => {
              socket.end();
              resolve(true);
            });
            socket.once('error', () => resolve(undefined));
          }),
        10_000,
        `redis on ${port}`,
      );
    },
    async kill() {
      const c = child;
      if (!c || c.exitCode !== null || c.signalCode !== null) return;
      const exited = new Promise((r) => c.once('exit', r));
      c.kill('SIGKILL');
      await exited;
    },
  };
  return self;
}
