// A bound on one message from a stdio server. The SDK's stdio transport buffers stdout until a
// newline with no limit (and copies the whole buffer on every chunk), so a server that writes one
// endless line grows the gateway's memory until it dies. This watches the same stdout: once a line
// passes the limit, the process is killed, and when it has exited the requests that were waiting on
// it fail with an error naming the limit (before the connection reports itself closed, so the
// caller sees why, and a new call finds the connection already dead and starts a fresh process).
import type { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { JSONRPCMessage, RequestId } from '@modelcontextprotocol/sdk/types.js';
import { UpstreamMessageTooLargeError } from './node-fetch.ts';

type MessageHandler = ((message: JSONRPCMessage) => void) | undefined;
type CloseHandler = (() => void) | undefined;
interface ChildProcessLike {
  stdout?: NodeJS.ReadableStream | null;
  kill(signal: NodeJS.Signals): boolean;
}

export function limitStdioMessageSize(transport: StdioClientTransport, max: number): void {
  const pending = new Set<RequestId>();
  let tripped: UpstreamMessageTooLargeError | undefined;
  let onMessage: MessageHandler;
  let onClose: CloseHandler;
  // The Protocol assigns onmessage and onclose when it connects; wrap what it assigns.
  Object.defineProperty(transport, 'onmessage', {
    configurable: true,
    get: () => onMessage,
    set: (next: MessageHandler) => {
      onMessage = next
        ? (message) => {
            if ('id' in message && ('result' in message || 'error' in message)) pending.delete(message.id as RequestId);
            next(message);
          }
        : undefined;
    },
  });
  Object.defineProperty(transport, 'onclose', {
    configurable: true,
    get: () => onClose,
    set: (next: CloseHandler) => {
      onClose = next
        ? () => {
            if (tripped) {
              for (const id of pending) onMessage?.({ jsonrpc: '2.0', id, error: { code: -32603, message: tripped.message } });
              pending.clear();
            }
            next();
          }
        : undefined;
    },
  });
  const send = transport.send.bind(transport);
  transport.send = async (message: JSONRPCMessage) => {
    if ('method' in message && 'id' in message && message.id !== undefined) pending.add(message.id);
    return send(message);
  };

  const start = transport.start.bind(transport);
  transport.start = async () => {
    await start();
    // The SDK keeps the child process private; its stdout is the stream its own reader listens to.
    const child = (transport as unknown as { _process?: ChildProcessLike })._process;
    let lineBytes = 0;
    child?.stdout?.on('data', (chunk: Buffer) => {
      if (tripped) return;
      const newline = chunk.lastIndexOf(10);
      lineBytes = newline >= 0 ? chunk.length - newline - 1 : lineBytes + chunk.length;
      if (lineBytes <= max) return;
      tripped = new UpstreamMessageTooLargeError(max);
      transport.onerror?.(tripped);
      // It misbehaved: no grace period (the SDK's close waits up to 2 s for a polite exit).
      child.kill('SIGKILL');
    });
  };
}
