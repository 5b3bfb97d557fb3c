// Shared test helpers: in-process client, spawn helpers, JSON result parsing.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Account } from '../src/account.ts';
import { createAccount } from '../src/new-account.ts';
import type { AuthCheck } from '../src/auth.ts';
import { CallLog } from '../src/call-log.ts';
import { createTwikitServer } from '../src/server.ts';

export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
export const mainPath = fileURLToPath(new URL('../src/main.ts', import.meta.url));
export const binPath = fileURLToPath(new URL('../bin/twikit-mcp.mjs', import.meta.url));

export const tempDir = (prefix = 'twikit-test-'): string => mkdtempSync(join(tmpdir(), prefix));

export interface Harness {
  client: Client;
  account: Account;
  log: CallLog;
  call: (name: string, args?: Record<string, unknown>) => Promise<CallToolResult>;
  /** Calls a tool, asserts success and parses its JSON text. */
  json: (name: string, args?: Record<string, unknown>) => Promise<any>;
  /** Calls a tool, asserts isError and returns its text. */
  error: (name: string, args?: Record<string, unknown>) => Promise<string>;
  close: () => Promise<void>;
}

export function textOf(result: CallToolResult): string {
  const first = result.content[0];
  if (!first || first.type !== 'text')
    throw new Error(`expected text content, got ${JSON.stringify(result.content)}`);
  return first.text;
}

export function withHelpers(client: Client, close: () => Promise<void>) {
  const call = async (name: string, args: Record<string, unknown> = {}) =>
    (await client.callTool({ name, arguments: args })) as CallToolResult;
  const json = async (name: string, args: Record<string, unknown> = {}) => {
    const result = await call(name, args);
    if (result.isError) throw new Error(`${name} failed: ${textOf(result)}`);
    return JSON.parse(textOf(result));
  };
  const error = async (name: string, args: Record<string, unknown> = {}) => {
    const result = await call(name, args);
    if (!result.isError) throw new Error(`${name} unexpectedly succeeded: ${textOf(result)}`);
    return textOf(result);
  };
  return { client, call, json, error, close };
}

export async function inProcess(
  options: { auth?: AuthCheck; account?: Account; log?: CallLog } = {},
): Promise<Harness> {
  const account = options.account ?? createAccount({ now: () => new Date('2025-06-02T00:00:00Z') });
  const log = options.log ?? new CallLog();
  const server = createTwikitServer({ account, log, ...(options.auth ? { auth: options.auth } : {}) });
  const client = new Client({ name: 'twikit-test', version: '0.0.0' });
  const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
  await Promise.all([server.connect(serverTransport), client.connect(clientTransport)]);
  return {
    ...withHelpers(client, async () => {
      await client.close();
      await server.close();
    }),
    account,
    log,
  };
}

/** Spawns `node --import tsx main.ts` in HTTP mode on a free port; resolves once it is listening. */
export function spawnHttp(
  env: Record<string, string> = {},
): Promise<{ child: ChildProcess; port: number; stderr: () => string; stop: () => Promise<number | null> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', mainPath], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? '', HOME: tempDir('twikit-home-'), TWIKIT_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  let stdout = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  const stop = () =>
    new Promise<number | null>((resolve) => {
      if (child.exitCode !== null) return resolve(child.exitCode);
      child.once('exit', (code) => resolve(code));
      child.kill('SIGTERM');
    });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`twikit did not start: ${stderr}`)), 20_000);
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
      const m = /listening on \S+ \(port (\d+)\)/.exec(stderr);
      if (m) {
        clearTimeout(timer);
        resolve({ child, port: Number(m[1]), stderr: () => stderr, stop });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`twikit exited with ${code} (stdout: ${stdout}) ${stderr}`));
    });
  });
}
