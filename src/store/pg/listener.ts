// Owns the PostgreSQL store's wake-ups from other brokers: one dedicated connection that
// LISTENs on the store's channel and emits what other instances committed ('appended',
// 'halfPublished') on the local event bus, reconnecting when the connection drops. Lossy by
// design: a notification missed while disconnected only delays a waiter until its timeout.
import pg from 'pg';
import type { Logger } from '../../logger.js';
import type { EventBus } from '../../runtime/event-bus.js';

const RECONNECT_MIN_MS = 200;
const RECONNECT_MAX_MS = 5_000;

export class PgListener {
  private client: pg.Client | undefined;
  private closed = false;
  private retryMs = RECONNECT_MIN_MS;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly options: {
      connectionString: string;
      channel: string;
      /** Notifications tagged with this are the store's own (already emitted at commit). */
      ownTag: string;
      events: EventBus;
      log: Logger;
    },
  ) {}

  /** Connects once (so that a store that opened listens from the start); later drops reconnect in the background. */
  async start(): Promise<void> {
    await this.connect();
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.options.connectionString, connectionTimeoutMillis: 10_000 });
    client.on('notification', (msg) => this.dispatch(msg.payload ?? ''));
    client.on('error', (err) => {
      this.options.log.warn({ err: err.message }, 'PostgreSQL LISTEN connection lost; reconnecting');
      this.drop(client);
    });
    client.on('end', () => this.drop(client));
    this.client = client;
    try {
      await client.connect();
      await client.query(`LISTEN ${this.options.channel}`);
      this.retryMs = RECONNECT_MIN_MS;
    } catch (err) {
      this.drop(client);
      throw err;
    }
  }

  private dispatch(payload: string): void {
    const first = payload.indexOf('|');
    const second = payload.indexOf('|', first + 1);
    if (first < 0 || second < 0) return;
    if (payload.slice(0, first) === this.options.ownTag) return;
    const event = payload.slice(first + 1, second);
    if (event !== 'appended' && event !== 'halfPublished') return;
    this.options.events.emit(event, payload.slice(second + 1));
  }

  private drop(client: pg.Client): void {
    if (this.client !== client) return;
    this.client = undefined;
    client.end().catch(() => undefined);
    if (this.closed || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.closed) return;
      this.connect().catch((err: Error) => this.options.log.debug({ err: err.message }, 'PostgreSQL LISTEN reconnect failed; retrying'));
    }, this.retryMs);
    this.timer.unref();
    this.retryMs = Math.min(this.retryMs * 2, RECONNECT_MAX_MS);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }
}
