// Our own client transport for stdio upstreams, in place of the SDK's StdioClientTransport.
//
// The SDK's transport buffers stdout until a newline with no limit (copying the whole buffer on
// every chunk), keeps its child process private, and hands over messages however its reader
// batches them. Bounding it meant reaching into its private fields and wrapping its handlers. This
// one is small enough to own:
//   - stdout is read as newline-delimited JSON with a bounded buffer (chunks are kept as they came
//     and joined once, when their line ends: O(total) work however the line is split);
//   - every valid message goes to onmessage synchronously, in order, from the same 'data' handler
//     that read it, so everything the server wrote before a response is delivered before that
//     response (a relay forwarding progress relies on it);
//   - a line that is not a JSON-RPC 2.0 message is reported through onerror and skipped;
//   - a line over maxMessageBytes kills the process at once (SIGKILL), and once it has exited the
//     requests still waiting on it fail with an error naming the limit, before onclose, so the
//     caller sees why and the next call finds the connection dead and starts a fresh process;
//   - close() ends stdin, then escalates to SIGTERM and SIGKILL, 2 s apart, and resolves once the
//     process is gone; cleanup (the sandbox's scratch directory) runs once, whatever ended it.
import { spawn, type ChildProcess } from 'node:child_process';
import { PassThrough, type Readable } from 'node:stream';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage, MessageExtraInfo, RequestId } from '@modelcontextprotocol/sdk/types.js';
import { isJsonRpcMessage } from './json-rpc-message.ts';
import { UpstreamMessageTooLargeError } from './node-fetch.ts';

export interface StdioUpstreamOptions {
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd?: string | undefined;
  /** 'pipe': the server's stderr is readable through `stderr` (even before start()); 'ignore': discarded. */
  stderr: 'pipe' | 'ignore';
  /** Largest single line (message) accepted from the server. */
  maxMessageBytes: number;
  /** Runs once when the process is gone (or never started), before onclose. */
  cleanup?: () => void;
}

/** How long close() waits after ending stdin, and again after SIGTERM, before the next step. */
const GRACE_MS = 2_000;
/** After the process exits, how long its pipes may stay open (a grandchild holding stdout) before they are closed for it. */
const PIPES_AFTER_EXIT_MS = 1_000;
const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

export class StdioUpstreamTransport implements Transport {
  onmessage?: (<T extends JSONRPCMessage>(message: T, extra?: MessageExtraInfo) => void) | undefined;
  onclose?: (() => void) | undefined;
  onerror?: ((error: Error) => void) | undefined;

  private child: ChildProcess | undefined;
  /** The unterminated line so far, as the chunks came, and its length in bytes. */
  private chunks: Buffer[] = [];
  private lineBytes = 0;
  /** Ids of requests we wrote that have not been answered yet. */
  private readonly pending = new Set<RequestId>();
  /** Set once a line passed the limit: nothing more is read, and the process is being killed. */
  private tripped: UpstreamMessageTooLargeError | undefined;
  /** The process has exited (or never started) and onclose has been called. */
  private finished = false;
  private exited = false;
  private readonly done: Promise<void>;
  private resolveDone!: () => void;
  private closing: Promise<void> | undefined;
  /** Set before start() so callers can attach to it early (connectUpstream does); the child's stderr is piped into it. */
  private readonly stderrStream: PassThrough | null;

  constructor(private readonly options: StdioUpstreamOptions) {
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
    this.stderrStream = options.stderr === 'pipe' ? new PassThrough() : null;
  }

  /** The process id while the process runs. */
  get pid(): number | undefined {
    return this.finished || this.exited ? undefined : this.child?.pid;
  }

  /** The server's stderr when options.stderr is 'pipe' (available before start()). */
  get stderr(): Readable | null {
    return this.stderrStream;
  }

  async start(): Promise<void> {
    if (this.child) throw new Error('StdioUpstreamTransport already started');
    if (this.finished) throw new Error('StdioUpstreamTransport is closed');
    const { command, args, env, cwd } = this.options;
    // (ProcessEnv, as Next.js's types declare it, requires NODE_ENV; the sandbox decides the environment.)
    const child: ChildProcess = spawn(command, args, {
      env: env as NodeJS.ProcessEnv,
      cwd,
      stdio: ['pipe', 'pipe', this.options.stderr],
      windowsHide: true,
      shell: false,
    });
    this.child = child;
    child.stdout?.on('data', (chunk: Buffer) => this.read(chunk));
    // EPIPE and the like when the process has gone: reported, never thrown.
    child.stdin?.on('error', (error) =>
      this.onerror?.(new Error(`Writing to the stdio upstream failed: ${error.message}`)),
    );
    child.stdout?.on('error', (error) => this.onerror?.(error));
    if (this.stderrStream && child.stderr) child.stderr.pipe(this.stderrStream);
    child.on('exit', () => {
      this.exited = true;
      // 'close' waits for the pipes too; a grandchild that kept them open must not hold us up.
      setTimeout(() => {
        child.stdout?.destroy();
        child.stderr?.destroy();
        child.stdin?.destroy();
      }, PIPES_AFTER_EXIT_MS).unref();
    });
    // After 'exit' and once every pipe is closed, so every line the process wrote has been read.
    child.on('close', () => {
      this.exited = true;
      this.finish();
    });
    await new Promise<void>((resolve, reject) => {
      const onSpawn = () => {
        child.off('error', onError);
        child.on('error', (error) => this.onerror?.(error));
        resolve();
      };
      const onError = (error: NodeJS.ErrnoException) => {
        child.off('spawn', onSpawn);
        const failure = new Error(
          `Could not start the stdio upstream ${JSON.stringify(command)}: ${error.code ?? error.message}`,
          { cause: error },
        );
        this.onerror?.(failure);
        reject(failure);
        // Node emits 'close' after a failed spawn, which finishes; this covers a version that does not.
        this.exited = true;
        this.finish();
      };
      child.once('spawn', onSpawn);
      child.once('error', onError);
    });
  }

  async send(message: JSONRPCMessage): Promise<void> {
    const stdin = this.child?.stdin;
    if (this.tripped) throw this.tripped;
    if (!stdin || this.finished || this.exited || this.closing || !stdin.writable)
      throw new Error('Not connected');
    const isRequest = 'method' in message && 'id' in message && message.id !== undefined;
    if (isRequest) this.pending.add(message.id);
    await new Promise<void>((resolve, reject) => {
      let settled = false;
      // The callback comes once the line is handed to the pipe, or with the error if it never is
      // (EPIPE, a destroyed stream), so the promise settles whatever happens to the process.
      const written = stdin.write(JSON.stringify(message) + '\n', (error) => {
        if (settled) return;
        settled = true;
        if (error) {
          if (isRequest) this.pending.delete(message.id);
          reject(error);
        } else resolve();
      });
      if (written && !settled) {
        settled = true;
        resolve();
      }
    });
  }

  /** Ends stdin, waits, then SIGTERM, waits, then SIGKILL; resolves once the process is gone. Idempotent. */
  /**
   * The caller gave up on a request it sent (cancelled, timed out): it is no longer waiting, so
   * nothing is owed to it if the process is cut off, and a long-lived process does not collect ids.
   */
  forget(id: RequestId): void {
    this.pending.delete(id);
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    const child = this.child;
    if (!child || this.exited || child.pid === undefined) {
      // Never started, failed to start, or already gone.
      if (!child || child.pid === undefined) this.finish();
      return this.done;
    }
    child.stdin?.end();
    if (await this.exitWithin(GRACE_MS)) return this.done;
    child.kill('SIGTERM');
    if (await this.exitWithin(GRACE_MS)) return this.done;
    child.kill('SIGKILL');
    return this.done;
  }

  /** Whether the process is gone (and onclose called) within ms. */
  private async exitWithin(ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
    try {
      return await Promise.race([this.done.then(() => true), timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** One chunk of stdout: every line it completes is parsed and delivered, in order, now. */
  private read(chunk: Buffer): void {
    let start = 0;
    while (!this.tripped && !this.finished) {
      const newline = chunk.indexOf(NEWLINE, start);
      if (newline < 0) break;
      const piece = chunk.subarray(start, newline);
      start = newline + 1;
      const length = this.lineBytes + piece.length;
      if (length > this.options.maxMessageBytes) return this.trip();
      let line = piece;
      if (this.chunks.length > 0) {
        this.chunks.push(piece);
        line = Buffer.concat(this.chunks, length);
        this.chunks = [];
        this.lineBytes = 0;
      }
      this.handleLine(line);
    }
    if (this.tripped || this.finished || start >= chunk.length) return;
    const rest = chunk.subarray(start);
    this.chunks.push(rest);
    this.lineBytes += rest.length;
    if (this.lineBytes > this.options.maxMessageBytes) this.trip();
  }

  private handleLine(line: Buffer): void {
    const end = line.length > 0 && line[line.length - 1] === CARRIAGE_RETURN ? line.length - 1 : line.length;
    if (end === 0) return;
    let value: unknown;
    try {
      value = JSON.parse(line.toString('utf8', 0, end));
    } catch {
      // The line itself is not repeated: it may hold anything, and the caller logs errors.
      this.onerror?.(
        new Error(`The stdio upstream wrote a line that is not JSON (${end} bytes); it was skipped`),
      );
      return;
    }
    if (!isJsonRpcMessage(value)) {
      this.onerror?.(
        new Error(
          `The stdio upstream wrote a line that is not a JSON-RPC 2.0 message (${end} bytes); it was skipped`,
        ),
      );
      return;
    }
    if (!('method' in value)) this.pending.delete(value.id as RequestId);
    try {
      this.onmessage?.(value);
    } catch (error) {
      // A handler that throws must not take the reader (and the process) down with it.
      this.onerror?.(error instanceof Error ? error : new Error(String(error)));
    }
  }

  /** A line passed the limit: stop reading, say why, and kill the process without a grace period. */
  private trip(): void {
    this.tripped = new UpstreamMessageTooLargeError(this.options.maxMessageBytes);
    this.chunks = [];
    this.lineBytes = 0;
    this.onerror?.(this.tripped);
    this.child?.kill('SIGKILL');
  }

  /** The process is gone: fail what waited on an over-limit line, clean up, then onclose, each once. */
  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.chunks = [];
    this.lineBytes = 0;
    if (this.tripped) {
      const message = this.tripped.message;
      for (const id of this.pending)
        this.onmessage?.({ jsonrpc: '2.0', id, error: { code: -32603, message } });
    }
    this.pending.clear();
    this.stderrStream?.end();
    try {
      this.options.cleanup?.();
    } catch (error) {
      this.onerror?.(error as Error);
    }
    this.resolveDone();
    this.onclose?.();
  }
}

/** The pid of a stdio upstream's process, if the transport is one (or wraps one) and it runs. */
export function stdioPid(transport: unknown): number | undefined {
  if (transport instanceof StdioUpstreamTransport) return transport.pid;
  if (transport instanceof PacedTransport) return stdioPid(transport.inner);
  return undefined;
}

/**
 * For the SDK's Client only: hands it the inner transport's messages one per event-loop turn, in
 * order, and the close after them. The SDK's Protocol handles a notification a microtask after it
 * arrives but a response at once, dropping the request's progress handler; given a progress
 * notification and its result in one go, it lost the progress about half the time. Callers that
 * relay messages themselves use the inner transport directly and get them synchronously.
 */
export class PacedTransport implements Transport {
  onmessage?: (<T extends JSONRPCMessage>(message: T, extra?: MessageExtraInfo) => void) | undefined;
  onclose?: (() => void) | undefined;
  onerror?: ((error: Error) => void) | undefined;
  private readonly inbox: Array<() => void> = [];
  private scheduled = false;

  constructor(readonly inner: Transport) {
    inner.onmessage = (message, extra) => this.enqueue(() => this.onmessage?.(message, extra));
    inner.onclose = () => this.enqueue(() => this.onclose?.());
    inner.onerror = (error) => this.onerror?.(error);
  }

  start(): Promise<void> {
    return this.inner.start();
  }

  send(message: JSONRPCMessage, options?: Parameters<Transport['send']>[1]): Promise<void> {
    return this.inner.send(message, options);
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  private enqueue(task: () => void): void {
    this.inbox.push(task);
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.inbox.shift()?.();
      if (this.inbox.length > 0) this.schedule();
    });
  }
}
