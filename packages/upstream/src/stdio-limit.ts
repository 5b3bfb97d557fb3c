// Ordered delivery and a bound on one message from a stdio server. The SDK's stdio transport buffers stdout until a
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
  let deliver: MessageHandler;
  let onClose: CloseHandler;
  // The SDK's reader hands over every message of a chunk in one go, and its Protocol handles a
  // progress notification a microtask later but a response at once, dropping the progress handler:
  // the last progress before a result was lost about half the time. Messages are handed over one
  // per event-loop turn, in order, so each is handled before the next arrives.
  const inbox: Array<() => void> = [];
  let scheduled = false;
  const drainOne = () => {
    scheduled = false;
    inbox.shift()?.();
    if (inbox.length > 0) schedule();
  };
  const schedule = () => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(drainOne);
  };
  const enqueue = (task: () => void) => {
    inbox.push(task);
    schedule();
  };
  // The Protocol assigns onmessage and onclose when it connects; wrap what it assigns.
  Object.defineProperty(transport, 'onmessage', {
    configurable: true,
    get: () => onMessage,
    set: (next: MessageHandler) => {
      deliver = next;
      onMessage = next
        ? (message) => {
            if ('id' in message && ('result' in message || 'error' in message)) pending.delete(message.id as RequestId);
            enqueue(() => deliver?.(message));
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
            // After every message the process wrote before it exited.
            enqueue(() => next());
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
