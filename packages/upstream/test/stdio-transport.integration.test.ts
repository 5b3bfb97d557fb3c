// Our stdio transport against real processes (node -e scripts): messages arrive in the order the
// server wrote them, synchronously as read, however stdout is chunked; bad lines are reported and
// skipped; an over-limit line kills the process and fails the pending request with the limit; close()
// ends even a server that ignores EOF and SIGTERM. Also, through connectUpstream and the SDK's
// Client, progress written with its result still reaches onprogress.
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { connectUpstream, upstreamPid } from '../src/connect-upstream.ts';
import { DEFAULT_SANDBOX } from '../src/stdio-sandbox.ts';
import { StdioUpstreamTransport, stdioPid } from '../src/stdio-transport.ts';

const LIMIT = 64 * 1024;
const open: StdioUpstreamTransport[] = [];
// Keeps a script running until its stdin ends (so close() is quick).
const STAY = `process.stdin.resume(); process.stdin.on('end', () => process.exit(0));`;

function server(script: string, options: { maxMessageBytes?: number; cleanup?: () => void } = {}) {
  const transport = new StdioUpstreamTransport({
    command: process.execPath,
    args: ['-e', script],
    env: { PATH: process.env.PATH ?? '' },
    stderr: 'ignore',
    maxMessageBytes: options.maxMessageBytes ?? LIMIT,
    ...(options.cleanup ? { cleanup: options.cleanup } : {}),
  });
  const messages: JSONRPCMessage[] = [];
  const errors: Error[] = [];
  const events: string[] = [];
  transport.onmessage = (m) => {
    messages.push(m);
    events.push('message');
  };
  transport.onerror = (e) => errors.push(e);
  transport.onclose = () => events.push('close');
  open.push(transport);
  return { transport, messages, errors, events };
}

// A server that answers each request line with the lines `reply(m)` returns, written as the mode says.
const replying = (body: string) => `
const readline = require('node:readline');
const out = (m) => JSON.stringify({ jsonrpc: '2.0', ...m }) + '\\n';
readline.createInterface({ input: process.stdin }).on('line', (text) => {
  const m = JSON.parse(text);
  ${body}
});`;

afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.close()));
});

describe('StdioUpstreamTransport', () => {
  for (const mode of ['one write', 'separate writes']) {
    it(`delivers a notification before the response written after it (${mode}, 200 pairs)`, async () => {
      const join =
        mode === 'one write'
          ? 'process.stdout.write(a + b)'
          : 'process.stdout.write(a); process.stdout.write(b)';
      const { transport, messages } = server(
        replying(
          `const a = out({ method: 'notifications/progress', params: { progressToken: m.id, progress: 1 } }); const b = out({ id: m.id, result: {} }); ${join};`,
        ),
      );
      // What onmessage saw and when the request's response arrived, checked at the moment it arrived.
      const orderSeen: string[] = [];
      transport.onmessage = (m) => {
        messages.push(m);
        if ('method' in m)
          orderSeen.push(`n${String((m.params as { progressToken: number }).progressToken)}`);
        else if ('id' in m) orderSeen.push(`r${String(m.id)}`);
      };
      await transport.start();
      for (let id = 1; id <= 200; id++)
        await transport.send({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'x' } });
      await expect.poll(() => messages.length, { timeout: 10_000 }).toBe(400);
      expect(orderSeen).toEqual(Array.from({ length: 200 }, (_, i) => [`n${i + 1}`, `r${i + 1}`]).flat());
    });
  }

  it('delivers each message synchronously, within the read that completed its line', async () => {
    // Two messages in one write: the second is delivered before anything else can run.
    const { transport } = server(
      replying(
        `process.stdout.write(out({ method: 'notifications/message', params: {} }) + out({ id: m.id, result: {} }));`,
      ),
    );
    const seen: string[] = [];
    let settled = 0;
    transport.onmessage = (m) => {
      seen.push('method' in m ? 'notification' : 'response');
      if ('method' in m) {
        // A microtask queued while the first message is handled runs only after the second one.
        queueMicrotask(() => seen.push(`microtask after ${seen.length} messages`));
      } else settled++;
    };
    await transport.start();
    await transport.send({ jsonrpc: '2.0', id: 1, method: 'ping' });
    await expect.poll(() => settled).toBe(1);
    expect(seen).toEqual(['notification', 'response', 'microtask after 2 messages']);
  });

  it('joins a line split across many chunks', async () => {
    const { transport, messages } = server(`
      const line = JSON.stringify({ jsonrpc: '2.0', method: 'notifications/message', params: { data: 'p'.repeat(40000) } }) + '\\n';
      let i = 0;
      const step = () => { if (i >= line.length) return; process.stdout.write(line.slice(i, i + 97)); i += 97; setTimeout(step, 0); };
      step();
      ${STAY}`);
    await transport.start();
    await expect.poll(() => messages.length, { timeout: 10_000 }).toBe(1);
    expect((messages[0] as unknown as { params: { data: string } }).params.data).toBe('p'.repeat(40000));
  });

  it('accepts \\r\\n line endings and skips empty lines', async () => {
    const { transport, messages, errors } = server(`
      process.stdout.write('\\r\\n\\n' + JSON.stringify({ jsonrpc: '2.0', method: 'a' }) + '\\r\\n\\r\\n' + JSON.stringify({ jsonrpc: '2.0', method: 'b' }) + '\\r\\n');
      ${STAY}`);
    await transport.start();
    await expect.poll(() => messages.length).toBe(2);
    expect(messages).toEqual([
      { jsonrpc: '2.0', method: 'a' },
      { jsonrpc: '2.0', method: 'b' },
    ]);
    expect(errors).toEqual([]);
  });

  it('reports a line that is not JSON or not JSON-RPC, and goes on reading', async () => {
    const { transport, messages, errors } = server(`
      const lines = ['hello, not json', '[1,2]', JSON.stringify({ jsonrpc: '1.0', method: 'x' }), JSON.stringify({ jsonrpc: '2.0', id: 1.5, result: {} }),
        JSON.stringify({ jsonrpc: '2.0', id: 1, error: { code: 'x', message: 'y' } }), JSON.stringify({ jsonrpc: '2.0', method: 'after' })];
      process.stdout.write(lines.join('\\n') + '\\n');
      ${STAY}`);
    await transport.start();
    await expect.poll(() => messages.length).toBe(1);
    expect(messages).toEqual([{ jsonrpc: '2.0', method: 'after' }]);
    expect(errors.map((e) => e.message)).toEqual([
      expect.stringContaining('not JSON'),
      expect.stringContaining('not a JSON-RPC 2.0 message'),
      expect.stringContaining('not a JSON-RPC 2.0 message'),
      expect.stringContaining('not a JSON-RPC 2.0 message'),
      expect.stringContaining('not a JSON-RPC 2.0 message'),
    ]);
    // The text of a bad line is not repeated in the error.
    expect(errors[0]!.message).not.toContain('hello');
  });

  it('kills a server whose line passes the limit and fails its pending request with the limit, then closes', async () => {
    let cleanups = 0;
    const { transport, messages, errors, events } = server(
      replying(`if (m.id === 1) { process.stdout.write(out({ id: 1, result: {} })); return; }
        process.stdout.write('{"jsonrpc":"2.0","id":' + m.id + ',"result":{"pad":"'); setInterval(() => process.stdout.write('z'.repeat(65536)), 1);`),
      { cleanup: () => cleanups++ },
    );
    await transport.start();
    const pid = transport.pid!;
    await transport.send({ jsonrpc: '2.0', id: 1, method: 'ping' });
    await expect.poll(() => messages.length).toBe(1);
    const started = Date.now();
    await transport.send({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'huge' } });
    await expect.poll(() => events.includes('close'), { timeout: 5_000 }).toBe(true);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(errors.map((e) => e.name)).toContain('UpstreamMessageTooLargeError');
    // Only the request still waiting fails (id 1 was answered), before the close.
    expect(messages[1]).toEqual({
      jsonrpc: '2.0',
      id: 2,
      error: { code: -32603, message: expect.stringContaining(`larger than ${LIMIT} bytes`) },
    });
    expect(events).toEqual(['message', 'message', 'close']);
    expect(cleanups).toBe(1);
    expect(() => process.kill(pid, 0)).toThrow();
    expect(transport.pid).toBeUndefined();
    await expect(transport.send({ jsonrpc: '2.0', id: 3, method: 'ping' })).rejects.toThrow();
    await transport.close();
    expect(cleanups).toBe(1);
    expect(events.filter((e) => e === 'close')).toHaveLength(1);
  });

  it('owes nothing to a request its caller forgot (cancelled, timed out) when the limit cuts the process off', async () => {
    const { transport, messages, events } = server(
      replying(
        `if (m.id === 1) return; process.stdout.write('{"jsonrpc":"2.0","id":' + m.id + ',"result":{"pad":"'); setInterval(() => process.stdout.write('z'.repeat(65536)), 1);`,
      ),
    );
    await transport.start();
    await transport.send({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'slow' } });
    transport.forget(1);
    await transport.send({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'huge' } });
    await expect.poll(() => events.includes('close'), { timeout: 5_000 }).toBe(true);
    expect(messages.map((m) => (m as { id?: unknown }).id)).toEqual([2]);
  });

  it('also refuses a complete line over the limit that came in one piece', async () => {
    const { transport, errors, events, messages } = server(
      `process.stdout.write(JSON.stringify({ jsonrpc: '2.0', method: 'big', params: { pad: 'q'.repeat(2000) } }) + '\\n'); ${STAY}`,
      { maxMessageBytes: 1000 },
    );
    await transport.start();
    await expect.poll(() => events.includes('close'), { timeout: 5_000 }).toBe(true);
    expect(messages).toEqual([]);
    expect(errors.map((e) => e.message)).toContainEqual(expect.stringContaining('larger than 1000 bytes'));
  });

  it('close() ends a server that ignores stdin EOF and SIGTERM (SIGKILL) within ~5 s, calling onclose and cleanup once', async () => {
    let cleanups = 0;
    const { transport, events } = server(
      `process.on('SIGTERM', () => {}); process.stdin.resume(); process.stdin.on('end', () => {}); setInterval(() => {}, 1000);`,
      {
        cleanup: () => cleanups++,
      },
    );
    await transport.start();
    const pid = transport.pid!;
    // Give the script time to install its SIGTERM handler.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const started = Date.now();
    await Promise.all([transport.close(), transport.close()]);
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(3_900);
    expect(took).toBeLessThan(6_000);
    expect(() => process.kill(pid, 0)).toThrow();
    expect(events).toEqual(['close']);
    expect(cleanups).toBe(1);
    await transport.close();
    expect(events).toEqual(['close']);
    expect(cleanups).toBe(1);
    await expect(transport.send({ jsonrpc: '2.0', method: 'x' })).rejects.toThrow('Not connected');
  }, 15_000);

  it('close() of a server that exits on stdin EOF is quick', async () => {
    const { transport, events } = server(
      `process.stdin.resume(); process.stdin.on('end', () => process.exit(0));`,
    );
    await transport.start();
    const started = Date.now();
    await transport.close();
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(events).toEqual(['close']);
  });

  it('calls onclose and cleanup once when the server exits by itself, after its last lines', async () => {
    let cleanups = 0;
    const { transport, messages, events } = server(
      `process.stdout.write(JSON.stringify({ jsonrpc: '2.0', method: 'bye' }) + '\\n'); process.exit(3);`,
      { cleanup: () => cleanups++ },
    );
    await transport.start();
    await expect.poll(() => events.includes('close')).toBe(true);
    expect(messages).toEqual([{ jsonrpc: '2.0', method: 'bye' }]);
    expect(events).toEqual(['message', 'close']);
    expect(cleanups).toBe(1);
    await expect(transport.send({ jsonrpc: '2.0', id: 1, method: 'ping' })).rejects.toThrow('Not connected');
  });

  it('rejects start() when the command does not exist, and still cleans up once', async () => {
    let cleanups = 0;
    const transport = new StdioUpstreamTransport({
      command: '/nonexistent/portcullis-missing',
      args: [],
      env: {},
      stderr: 'ignore',
      maxMessageBytes: LIMIT,
      cleanup: () => cleanups++,
    });
    await expect(transport.start()).rejects.toThrow(/Could not start the stdio upstream .*ENOENT/);
    await transport.close();
    expect(cleanups).toBe(1);
    expect(transport.pid).toBeUndefined();
  });

  it('has a pid while the process runs', async () => {
    const { transport } = server(`${STAY}`);
    expect(transport.pid).toBeUndefined();
    await transport.start();
    expect(typeof transport.pid).toBe('number');
    expect(stdioPid(transport)).toBe(transport.pid);
    expect(() => process.kill(transport.pid!, 0)).not.toThrow();
    expect(stdioPid({})).toBeUndefined();
  });

  it('reports EPIPE on stdin through onerror rather than throwing', async () => {
    const { transport, errors, events } = server(
      `process.stdin.destroy(); setTimeout(() => process.exit(0), 300);`,
    );
    await transport.start();
    await new Promise((resolve) => setTimeout(resolve, 100));
    // Writes after the reader has gone: either refused or reported, never an uncaught error.
    for (let i = 0; i < 20; i++)
      await transport
        .send({ jsonrpc: '2.0', method: 'x', params: { pad: 'a'.repeat(100000) } })
        .catch(() => undefined);
    await expect.poll(() => events.includes('close')).toBe(true);
    expect(errors.every((e) => e instanceof Error)).toBe(true);
  });
});

describe('connectUpstream over stdio', () => {
  const options = {
    allowPrivateNetworks: true,
    stdio: {
      templates: [],
      freeform: { organizationId: 'o', commands: ['*'] },
      sandbox: { ...DEFAULT_SANDBOX, mode: 'off' as const },
    },
    timeoutMs: 10_000,
  };
  const progressServer = replying(`
    if (m.id === undefined) return;
    if (m.method === 'initialize') return process.stdout.write(out({ id: m.id, result: { protocolVersion: m.params.protocolVersion, capabilities: { tools: {} }, serverInfo: { name: 'p', version: '1' } } }));
    if (m.method !== 'tools/call') return process.stdout.write(out({ id: m.id, error: { code: -32601, message: 'no' } }));
    process.stderr.write('calling ' + m.params.name + '\\n');
    const token = m.params._meta.progressToken;
    const lines = [1, 2, 3].map((i) => out({ method: 'notifications/progress', params: { progressToken: token, progress: i, total: 3 } }));
    process.stdout.write(lines.join('') + out({ id: m.id, result: { content: [{ type: 'text', text: 'done' }] } }));`);

  it('still hands every progress notification written with the result to the SDK Client first, and reads stderr lines', async () => {
    const stderr: string[] = [];
    const client = await connectUpstream(
      { transport: 'stdio', organizationId: 'o', command: process.execPath, args: ['-e', progressServer] },
      { ...options, onStderr: (line) => stderr.push(line) },
    );
    try {
      expect(typeof upstreamPid(client)).toBe('number');
      for (let call = 0; call < 20; call++) {
        const seen: number[] = [];
        const result = await client.callTool({ name: 'x', arguments: {} }, undefined, {
          onprogress: (p) => seen.push(p.progress),
        });
        expect((result.content as Array<{ text: string }>)[0]!.text).toBe('done');
        expect(seen, `call ${call}`).toEqual([1, 2, 3]);
      }
      await expect.poll(() => stderr.length).toBe(20);
      expect(stderr[0]).toBe('calling x');
    } finally {
      await client.close();
    }
  });
});
