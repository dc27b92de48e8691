// Helpers for the consumption tests with the official client: short broker timings (long polls,
// auto-renewal, back-off, client idle timeout), started PushConsumers / producers that are shut
// down together, and a recorder of what each listener saw and when.
import { ConsumeResult, Producer, PushConsumer, SimpleConsumer, type MessageView } from 'rocketmq-client-nodejs';
import type { ConfigKey } from '../../src/config.js';
import { quietClientLogger, type TestBroker } from './broker.js';

/**
 * Broker settings for consumption tests. The advertised long-polling time bounds how long a
 * PushConsumer's shutdown waits for its in-flight receive; auto-renewal, back-off and the idle
 * timeout are scaled down so renewals, retries and releases happen within a second or two.
 */
export const CONSUMPTION_TIMINGS: Partial<Record<ConfigKey, unknown>> = {
  maxLongPollingTimeoutMs: 1500,
  minInvisibleDurationMs: 300,
  autoRenewInvisibleDurationMs: 1500,
  autoRenewThresholdMs: 700,
  autoRenewCheckIntervalMs: 100,
  clientIdleTimeoutMs: 1500,
  consumerBackoffInitialMs: 300,
  consumerBackoffMaxMs: 1200,
};

export interface Seen {
  body: string;
  messageId: string;
  attempt: number;
  at: number;
  messageGroup?: string;
  consumer: string;
}

export type Listener = (m: MessageView, consumer: string) => ConsumeResult | Promise<ConsumeResult>;

export class Clients {
  private readonly started: { shutdown(): Promise<void> }[] = [];

  constructor(private readonly tb: () => TestBroker) {}

  async producer(topic: string): Promise<Producer> {
    const p = new Producer({ endpoints: this.tb().endpoint, namespace: '', topic, logger: quietClientLogger });
    await p.startup();
    this.started.push(p);
    return p;
  }

  /** A started PushConsumer; every message it sees is recorded in `seen` before the listener runs. */
  async push(options: { group: string; topic: string; filter?: string; name?: string; seen?: Seen[]; listener?: Listener }): Promise<PushConsumer> {
    const name = options.name ?? options.group;
    const listener = options.listener ?? (() => ConsumeResult.SUCCESS);
    const c = new PushConsumer({
      endpoints: this.tb().endpoint,
      namespace: '',
      consumerGroup: options.group,
      subscriptions: new Map([[options.topic, options.filter ?? '*']]),
      logger: quietClientLogger,
      messageListener: {
        consume: async (m: MessageView) => {
          options.seen?.push({
            body: m.body.toString(),
            messageId: m.messageId,
            attempt: m.deliveryAttempt ?? 0,
            at: Date.now(),
            ...(m.messageGroup ? { messageGroup: m.messageGroup } : {}),
            consumer: name,
          });
          return listener(m, name);
        },
      },
    });
    await c.startup();
    this.started.push(c);
    return c;
  }

  async simple(group: string, topic: string, awaitDuration = 1000): Promise<SimpleConsumer> {
    const c = new SimpleConsumer({
      endpoints: this.tb().endpoint,
      namespace: '',
      consumerGroup: group,
      subscriptions: new Map([[topic, '*']]),
      awaitDuration,
      logger: quietClientLogger,
    });
    await c.startup();
    this.started.push(c);
    return c;
  }

  /** Shuts the given clients (default: all) down in parallel. */
  async shutdown(...clients: { shutdown(): Promise<void> }[]): Promise<void> {
    const which = clients.length > 0 ? clients : this.started.splice(0);
    for (const c of which) {
      const i = this.started.indexOf(c);
      if (i >= 0) this.started.splice(i, 1);
    }
    await Promise.all(which.map((c) => c.shutdown().catch(() => undefined)));
  }
}

/** Receives with a SimpleConsumer until `count` messages arrived or `timeoutMs` passed. */
export async function drain(c: SimpleConsumer, count: number, timeoutMs = 10_000, ack = true): Promise<MessageView[]> {
  const got: MessageView[] = [];
  const end = Date.now() + timeoutMs;
  while (got.length < count && Date.now() < end) {
    const batch = await c.receive(Math.min(32, count - got.length), 10_000);
    for (const m of batch) {
      got.push(m);
      if (ack) await c.ack(m);
    }
  }
  return got;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
