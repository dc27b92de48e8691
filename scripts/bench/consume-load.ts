// Load generator for consume-throughput.ts (run in a worker thread): one producer sending NORMAL
// messages with its send time in a user property, and N SimpleConsumers of one consumer group
// receiving and acking them; measures sent/s, delivered-and-acked/s and send→receive latency.
// Then a drain phase: N consumers of a fresh group consume the whole topic as a backlog (acked/s
// with no producer, i.e. consumption capacity).
// Clients are the official rocketmq-client-nodejs Producer/SimpleConsumer, or raw gRPC calls.
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Producer, SimpleConsumer, type MessageView } from 'rocketmq-client-nodejs';
import { Samples, silentClientLogger, sleep, wallMs, type LatencySummary } from './common.js';
import { messageIdFactory, protoMessage, rawMessaging, type Json, type RawMessaging } from './raw-grpc.js';

export type ConsumeClient = 'official' | 'raw';

export interface ConsumeLoadParams {
  endpoint: string;
  topic: string;
  group: string;
  client: ConsumeClient;
  consumers: number;
  /** Closed-loop sends in flight from the one producer. */
  sendConcurrency: number;
  /** Producer rate limit, messages/s (0 = as fast as the closed loop goes). */
  rate: number;
  batch: number;
  invisibleMs: number;
  /** Long-polling wait of an empty receive. */
  awaitMs: number;
  warmupMs: number;
  measureMs: number;
  /** After the window, consumers keep draining what was sent for at most this long. */
  drainMs: number;
  /** Drain phase: a fresh group reads the whole topic for at most this long (0 skips it). */
  drainMaxMs: number;
  bodyBytes: number;
  /** Raw client: ack each message with its own AckMessage ('each', like the official client) or one AckMessage per received batch. */
  rawAck: 'each' | 'batch';
}

export interface ConsumeLoadResult {
  windowMs: number;
  /** Sends completed inside the window. */
  sent: number;
  /** Acks completed inside the window. */
  acked: number;
  /** Send → receive latency of messages sent inside the window. */
  e2e: LatencySummary;
  receiveCalls: number;
  emptyReceives: number;
  /** Sent but not yet acked when the window closed. */
  backlogAtEnd: number;
  totalSent: number;
  totalAcked: number;
  /** Deliveries with deliveryAttempt > 1. */
  redeliveries: number;
  drainedMs: number;
  /** Drain phase: backlog a fresh group found (every message sent), how many it acked, how long it took. */
  drainBacklog: number;
  drainAcked: number;
  drainMs: number;
  errors: number;
  firstError?: string;
}

const SENT_AT = 'benchSentAt';

interface Received {
  sentAt: number;
  attempt: number;
  ack: () => Promise<void>;
}

/** A consumer: receive a batch (long polling), then ack it; returns deliveries. */
interface ConsumerPort {
  receive(): Promise<Received[]>;
  close(): Promise<void>;
}

interface ProducerPort {
  send(slot: number, sentAt: number): Promise<void>;
  close(): Promise<void>;
}

async function officialProducer(p: ConsumeLoadParams, body: Buffer): Promise<ProducerPort> {
  const producer = new Producer({ endpoints: p.endpoint, namespace: '', topic: p.topic, logger: silentClientLogger });
  await producer.startup();
  return {
    send: async (_slot, sentAt) => {
      await producer.send({ topic: p.topic, body, properties: new Map([[SENT_AT, sentAt.toFixed(3)]]) });
    },
    close: () => producer.shutdown(),
  };
}

async function officialConsumers(p: ConsumeLoadParams, group: string): Promise<ConsumerPort[]> {
  const consumers: ConsumerPort[] = [];
  for (let i = 0; i < p.consumers; i++) {
    const c = new SimpleConsumer({
      endpoints: p.endpoint,
      namespace: '',
      consumerGroup: group,
      subscriptions: new Map([[p.topic, '*']]),
      awaitDuration: p.awaitMs,
      logger: silentClientLogger,
    });
    await c.startup();
    consumers.push({
      receive: async () =>
        (await c.receive(p.batch, p.invisibleMs)).map((m: MessageView) => ({
          sentAt: Number(m.properties.get(SENT_AT)),
          attempt: m.deliveryAttempt ?? 1,
          ack: () => c.ack(m),
        })),
      close: () => c.shutdown(),
    });
  }
  return consumers;
}

function rawProducer(p: ConsumeLoadParams, body: Buffer): ProducerPort {
  const nextId = messageIdFactory();
  // One producer: one client id and connection, sendConcurrency requests in flight on it.
  const sender: RawMessaging = rawMessaging(p.endpoint, `bench-producer-${process.pid}`);
  return {
    send: async (_slot, sentAt) => {
      const res = await sender.unary('SendMessage', { messages: [protoMessage(p.topic, nextId(), body, 'NORMAL', { [SENT_AT]: sentAt.toFixed(3) })] });
      if (res.status.code !== 'OK') throw new Error(`SendMessage: ${res.status.code} ${res.status.message}`);
    },
    close: async () => sender.close(),
  };
}

function rawConsumers(p: ConsumeLoadParams, group: string): ConsumerPort[] {
  const duration = (msValue: number): Json => ({ seconds: String(Math.floor(msValue / 1000)), nanos: (msValue % 1000) * 1e6 });
  return Array.from({ length: p.consumers }, (_, i) => {
    const c = rawMessaging(p.endpoint, `bench-consumer-${group}-${process.pid}-${i}`);
    const ackMany = async (handles: { id: string; handle: string }[]): Promise<void> => {
      const res = await c.unary('AckMessage', {
        group: { name: group, resource_namespace: '' },
        topic: { name: p.topic, resource_namespace: '' },
        entries: handles.map((h) => ({ message_id: h.id, receipt_handle: h.handle })),
      });
      if (res.status.code !== 'OK') throw new Error(`AckMessage: ${res.status.code} ${res.status.message}`);
    };
    return {
      receive: async () => {
        const responses = await c.stream(
          'ReceiveMessage',
          {
            group: { name: group, resource_namespace: '' },
            message_queue: { topic: { name: p.topic, resource_namespace: '' }, id: 0, permission: 'READ_WRITE' },
            filter_expression: { type: 'TAG', expression: '*' },
            batch_size: p.batch,
            invisible_duration: duration(p.invisibleMs),
            auto_renew: false,
            long_polling_timeout: duration(p.awaitMs),
          },
          p.awaitMs + 3000,
        );
        const messages = responses.filter((r) => r.message).map((r) => r.message as Json);
        const status = responses.find((r) => r.status)?.status as { code: string; message: string } | undefined;
        if (messages.length === 0 && status && status.code !== 'MESSAGE_NOT_FOUND' && status.code !== 'OK') {
          throw new Error(`ReceiveMessage: ${status.code} ${status.message}`);
        }
        const out = messages.map((m) => {
          const sp = m.system_properties as { message_id: string; receipt_handle: string; delivery_attempt?: number };
          return { sentAt: Number((m.user_properties as Record<string, string>)[SENT_AT]), attempt: sp.delivery_attempt ?? 1, id: sp.message_id, handle: sp.receipt_handle };
        });
        if (p.rawAck === 'batch' && out.length > 0) {
          const all = ackMany(out);
          return out.map((r) => ({ sentAt: r.sentAt, attempt: r.attempt, ack: () => all }));
        }
        return out.map((r) => ({ sentAt: r.sentAt, attempt: r.attempt, ack: () => ackMany([r]) }));
      },
      close: async () => c.close(),
    };
  });
}

const makeConsumers = (p: ConsumeLoadParams, group: string): Promise<ConsumerPort[]> =>
  p.client === 'official' ? officialConsumers(p, group) : Promise.resolve(rawConsumers(p, group));

/**
 * Drain phase: a fresh consumer group (same number of consumers) reads the whole topic from
 * its first offset — a backlog of every message sent so far — and acks it.
 */
async function drainBacklog(p: ConsumeLoadParams, backlog: number): Promise<{ acked: number; ms: number }> {
  const consumers = await makeConsumers(p, `${p.group}-drain`);
  let acked = 0;
  let stop = false;
  const t0 = performance.now();
  const loops = consumers.map(async (c) => {
    while (!stop && acked < backlog) {
      try {
        const got = await c.receive();
        await Promise.all(
          got.map(async (m) => {
            await m.ack();
            acked++;
          }),
        );
      } catch {
        await sleep(10);
      }
    }
  });
  while (acked < backlog && performance.now() - t0 < p.drainMaxMs) await sleep(5);
  const elapsed = performance.now() - t0;
  stop = true;
  await Promise.all(loops);
  for (const c of consumers) await c.close().catch(() => undefined);
  return { acked, ms: elapsed };
}

export async function consumeLoad(p: ConsumeLoadParams, mark: (event: string) => void): Promise<ConsumeLoadResult> {
  const body = randomBytes(p.bodyBytes);
  const producer = p.client === 'official' ? await officialProducer(p, body) : rawProducer(p, body);
  const consumers = await makeConsumers(p, p.group);
  const e2e = new Samples();
  let windowStart = Infinity; // wall ms
  let windowEnd = Infinity;
  let sent = 0;
  let acked = 0;
  let totalSent = 0;
  let totalAcked = 0;
  let receiveCalls = 0;
  let emptyReceives = 0;
  let redeliveries = 0;
  let errors = 0;
  let firstError: string | undefined;
  let stopSending = false;
  let stopConsuming = false;
  const fail = (err: unknown): void => {
    errors++;
    firstError ??= (err as Error).message;
  };
  const inWindow = (t: number): boolean => t >= windowStart && t < windowEnd;

  const start = performance.now();
  let issued = 0;
  const sendLoops = Array.from({ length: p.sendConcurrency }, async (_, slot) => {
    while (!stopSending) {
      if (p.rate > 0) {
        const due = start + (issued++ / p.rate) * 1000;
        const wait = due - performance.now();
        if (wait > 0) await sleep(wait);
        if (stopSending) break;
      }
      const sentAt = wallMs();
      try {
        await producer.send(slot, sentAt);
        totalSent++;
        if (inWindow(sentAt)) sent++;
      } catch (err) {
        fail(err);
        await sleep(10);
      }
    }
  });
  const consumeLoops = consumers.map(async (c) => {
    while (!stopConsuming) {
      try {
        receiveCalls++;
        const got = await c.receive();
        const receivedAt = wallMs();
        if (got.length === 0) emptyReceives++;
        for (const m of got) {
          if (m.attempt > 1) redeliveries++;
          if (inWindow(m.sentAt)) e2e.push(receivedAt - m.sentAt);
        }
        await Promise.all(
          got.map(async (m) => {
            await m.ack();
            totalAcked++;
            if (inWindow(wallMs())) acked++;
          }),
        );
      } catch (err) {
        fail(err);
        await sleep(10);
      }
    }
  });

  await sleep(p.warmupMs);
  mark('measure-start');
  windowStart = wallMs();
  await sleep(p.measureMs);
  windowEnd = wallMs();
  mark('measure-end');
  const backlogAtEnd = totalSent - totalAcked;
  stopSending = true;
  await Promise.all(sendLoops);
  const drainStart = performance.now();
  while (totalAcked < totalSent && performance.now() - drainStart < p.drainMs) await sleep(20);
  const drainedMs = performance.now() - drainStart;
  stopConsuming = true;
  await Promise.all(consumeLoops);
  await producer.close().catch(() => undefined);
  for (const c of consumers) await c.close().catch(() => undefined);
  const drain = p.drainMaxMs > 0 && totalSent > 0 ? await drainBacklog(p, totalSent) : { acked: 0, ms: 0 };

  const result: ConsumeLoadResult = {
    windowMs: windowEnd - windowStart,
    sent,
    acked,
    e2e: e2e.summary(),
    receiveCalls,
    emptyReceives,
    backlogAtEnd,
    totalSent,
    totalAcked,
    redeliveries,
    drainedMs,
    drainBacklog: totalSent,
    drainAcked: drain.acked,
    drainMs: drain.ms,
    errors,
  };
  if (firstError !== undefined) result.firstError = firstError;
  return result;
}
