// The real process over stdio, as an MCP client would launch it.
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { describe, expect, it } from 'vitest';
import { binPath, mainPath, repoRoot, tempDir, withHelpers } from './helpers.ts';

async function connectStdio(
  args: string[],
  env: Record<string, string> = {},
  command: string[] = ['--import', 'tsx', mainPath],
) {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [...command, '--stdio', ...args],
    cwd: repoRoot,
    env: { HOME: tempDir('twikit-home-'), ...env },
    stderr: 'pipe',
  });
  const client = new Client({ name: 'twikit-stdio-test', version: '0.0.0' });
  await client.connect(transport);
  return withHelpers(client, () => client.close());
}

describe('stdio', () => {
  it('lists the 62 tools and writes every call to the log file before answering', async () => {
    const logFile = join(tempDir(), 'calls.jsonl');
    const h = await connectStdio(['--log-file', logFile]);
    try {
      const { tools } = await h.client.listTools();
      expect(tools).toHaveLength(62);
      expect(h.client.getServerVersion()).toMatchObject({ name: 'twitter' });

      const sent = await h.json('send_tweet', { text: 'over stdio' });
      const lines = () =>
        readFileSync(logFile, 'utf8')
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l));
      // Written synchronously before the result came back.
      expect(lines()).toEqual([
        { time: expect.any(String), tool: 'send_tweet', arguments: { text: 'over stdio' }, ok: true },
      ]);
      expect((await h.json('get_tweet', { tweet_id: sent.id })).text).toBe('over stdio');
      await h.error('get_tweet', { tweet_id: 7 });
      await h.error('send_tweet', {});

      const entries = lines();
      expect(entries.map((e) => [e.tool, e.arguments, e.ok])).toEqual([
        ['send_tweet', { text: 'over stdio' }, true],
        ['get_tweet', { tweet_id: sent.id }, true],
        ['get_tweet', { tweet_id: 7 }, false],
        ['send_tweet', {}, false],
      ]);
      for (const e of entries) expect(new Date(e.time).toISOString()).toBe(e.time);
    } finally {
      await h.close();
    }
  });

  it('reports not logged in for every tool when TWITTER_COOKIES points to a missing file', async () => {
    const missing = join(tempDir(), 'nope.json');
    const h = await connectStdio([], { TWITTER_COOKIES: missing });
    try {
      expect((await h.client.listTools()).tools).toHaveLength(62);
      for (const [name, args] of [
        ['get_timeline', {}],
        ['send_tweet', { text: 'x' }],
        ['xchat_status', {}],
      ] as const) {
        expect(await h.error(name, args)).toBe(
          `Not logged in: cookie file ${missing} is missing or malformed (expected a JSON object or array). ` +
            'Export your x.com cookies (auth_token, ct0) to that file or point TWITTER_COOKIES at one.',
        );
      }
      // Creating the file logs in without a restart: the file is re-read on every call.
      writeFileSync(missing, JSON.stringify({ auth_token: 'a', ct0: 'b' }));
      expect(Array.isArray(await h.json('get_timeline'))).toBe(true);
    } finally {
      await h.close();
    }
  });

  it('runs through the bin script', async () => {
    const h = await connectStdio([], {}, [binPath]);
    try {
      expect((await h.client.listTools()).tools).toHaveLength(62);
    } finally {
      await h.close();
    }
  });

  it('writes only JSON-RPC to stdout and exits cleanly on SIGTERM', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', mainPath, '--stdio'], {
      cwd: repoRoot,
      env: { PATH: process.env.PATH ?? '', HOME: tempDir('twikit-home-') },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const send = (msg: object) => child.stdin.write(`${JSON.stringify(msg)}\n`);
    send({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
    });
    send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    send({ jsonrpc: '2.0', id: 2, method: 'tools/list' });
    send({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'get_trends', arguments: {} } });
    await expect.poll(() => stdout.split('\n').filter(Boolean).length, { timeout: 15_000 }).toBe(3);
    const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exit).toBe(0);

    const messages = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(messages.map((m) => [m.jsonrpc, m.id])).toEqual([
      ['2.0', 1],
      ['2.0', 2],
      ['2.0', 3],
    ]);
    expect(messages[1].result.tools).toHaveLength(62);
    expect(stderr).toContain('shutting down (SIGTERM)');
  });
});
