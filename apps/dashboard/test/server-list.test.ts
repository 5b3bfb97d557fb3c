// The server list says how a server is reached in words, never a raw enum value with an empty URL.
import { describe, expect, it } from 'vitest';
import { describeTransport } from '../src/modules/servers/describe-transport.ts';

describe('describeTransport', () => {
  it('names the transport and where it goes', () => {
    expect(
      describeTransport({
        transport: 'streamable_http',
        url: 'https://mcp.example.com/mcp',
        stdioTemplate: null,
        command: null,
      }),
    ).toBe('Streamable HTTP · https://mcp.example.com/mcp');
    expect(
      describeTransport({ transport: 'sse', url: 'https://x.test/sse', stdioTemplate: null, command: null }),
    ).toBe('SSE · https://x.test/sse');
    expect(
      describeTransport({ transport: 'stdio', url: null, stdioTemplate: 'twikit', command: null }, [
        { id: 'twikit', name: 'Twikit' },
      ]),
    ).toBe('stdio · Twikit template');
    expect(
      describeTransport({ transport: 'stdio', url: null, stdioTemplate: null, command: '/usr/bin/node' }),
    ).toBe('stdio · /usr/bin/node');
  });

  it('never shows a raw value or a dangling separator', () => {
    const text = describeTransport({
      transport: 'streamable_http',
      url: '',
      stdioTemplate: null,
      command: null,
    });
    expect(text).toBe('Streamable HTTP');
    expect(text).not.toMatch(/streamable_http|:\s*$/);
  });
});
