// LISTEN on the change channel so grant revocations, policy edits, catalog changes and approval
// decisions reach this replica at once. Reconnects on its own; caches also expire within a second,
// so a dropped connection only delays a change, it never loses it.
import pg from 'pg';
import { CHANGE_CHANNEL, parseChangeEvent, type ChangeEvent } from '@portcullis/db/events';
import type { Logger } from '../log.ts';

export class ChangeListener {
  private client: pg.Client | undefined;
  private closed = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly handlers: Array<(event: ChangeEvent) => void> = [];

  constructor(
    private readonly databaseUrl: string,
    private readonly log: Logger,
  ) {}

  onChange(handler: (event: ChangeEvent) => void): void {
    this.handlers.push(handler);
  }

  async start(): Promise<void> {
    await this.connect().catch((error: unknown) => {
      this.log.warn({ err: error }, 'change listener could not connect; retrying');
      this.scheduleReconnect();
    });
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.databaseUrl,
      connectionTimeoutMillis: 5_000,
      keepAlive: true,
    });
    client.on('notification', (message) => {
      if (message.channel !== CHANGE_CHANNEL) return;
      const event = parseChangeEvent(message.payload);
      if (!event) return;
      for (const handler of this.handlers) {
        try {
          handler(event);
        } catch (error) {
          this.log.error({ err: error, type: event.type }, 'change handler failed');
        }
      }
    });
    client.on('error', (error) => {
      this.log.warn({ err: error }, 'change listener connection lost');
      if (this.client === client) this.client = undefined;
      client.end().catch(() => undefined);
      this.scheduleReconnect();
    });
    await client.connect();
    await client.query(`LISTEN ${CHANGE_CHANNEL}`);
    if (this.closed) {
      await client.end();
      return;
    }
    this.client = client;
  }

  private scheduleReconnect(): void {
    if (this.closed || this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.connect().catch(() => this.scheduleReconnect());
    }, 1_000);
    this.retryTimer.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    await this.client?.end().catch(() => undefined);
    this.client = undefined;
  }
}
