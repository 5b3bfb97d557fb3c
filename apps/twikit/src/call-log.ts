// Record of every tools/call that reached this server: kept in memory (GET /calls) and, when a
// file is configured, appended as JSONL synchronously before the result is returned.
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

export interface CallLogEntry {
  time: string;
  tool: string;
  arguments: Record<string, unknown>;
  ok: boolean;
}

export interface CallLogOptions {
  file?: string | undefined;
  now?: () => Date;
  /** Entries kept in memory; the file keeps everything. */
  maxEntries?: number;
}

export class CallLog {
  readonly file: string | undefined;
  private readonly now: () => Date;
  private readonly maxEntries: number;
  private readonly items: CallLogEntry[] = [];

  constructor(options: CallLogOptions = {}) {
    this.file = options.file;
    this.now = options.now ?? (() => new Date());
    this.maxEntries = options.maxEntries ?? 10_000;
    if (this.file) mkdirSync(dirname(this.file), { recursive: true });
  }

  record(tool: string, args: Record<string, unknown>, ok: boolean): CallLogEntry {
    const entry: CallLogEntry = { time: this.now().toISOString(), tool, arguments: args, ok };
    this.items.push(entry);
    if (this.items.length > this.maxEntries) this.items.shift();
    if (this.file) appendFileSync(this.file, `${JSON.stringify(entry)}\n`);
    return entry;
  }

  entries(): CallLogEntry[] {
    return [...this.items];
  }
}
