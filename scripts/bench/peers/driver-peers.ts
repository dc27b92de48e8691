// The peers' drivers for the peers method. RabbitMQ (amqplib): a durable queue, classic or
// quorum, persistent messages published on a confirm channel (the confirm callback ends a
// publish); consumption with basic.qos prefetch and one multiple-ack per ack batch. NATS
// JetStream (nats): a file-storage stream with one replica, js.publish awaiting its PubAck;
// a durable pull consumer with explicit acks (one ack per message: JetStream has no multiple-ack
// under the explicit policy), pulling at most `prefetch` messages at a time.
import amqp from 'amqplib';
import { AckPolicy, connect, RetentionPolicy, StorageType, type NatsConnection } from 'nats';
import { performance } from 'node:perf_hooks';
import type { Driver, DriverTarget } from './method.js';

export async function rabbitDriver(t: DriverTarget): Promise<Driver> {
  const conn = await amqp.connect(`amqp://guest:guest@${t.endpoint}`);
  // A channel error (e.g. a declaration that does not match) fails the task, not the process.
  let failure: Error | undefined;
  conn.on('error', (err: Error) => (failure ??= err));
  const ch = await conn.createConfirmChannel();
  ch.on('error', (err: Error) => (failure ??= err));
  const queue = t.name;
  const queueType = t.config === 'rabbit-quorum' ? 'quorum' : 'classic';
  return {
    async prepare() {
      await ch.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': queueType } });
    },
    publish(bodies) {
      return new Promise<void>((resolve, reject) => {
        let left = bodies.length;
        for (const b of bodies) {
          ch.sendToQueue(queue, b, { persistent: true }, (err: unknown) => {
            if (err) reject(err instanceof Error ? err : (failure ?? new Error('publish not confirmed')));
            else if (--left === 0) resolve();
          });
        }
      });
    },
    async consume(n, onMessage, deadline) {
      const cch = await conn.createChannel();
      await cch.prefetch(t.prefetch);
      let count = 0;
      let unacked = 0;
      let tag = '';
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(resolve, Math.max(0, deadline - performance.now()));
        cch
          .consume(
            queue,
            (m) => {
              if (!m) return;
              onMessage(m.content);
              count++;
              if (++unacked >= t.ackBatch || count >= n) {
                cch.ack(m, true);
                unacked = 0;
              }
              if (count >= n) {
                clearTimeout(timer);
                resolve();
              }
            },
            { noAck: false },
          )
          .then((r) => (tag = r.consumerTag), reject);
      });
      if (tag) await cch.cancel(tag);
      await cch.close();
    },
    async close() {
      await ch.close().catch(() => undefined);
      await conn.close().catch(() => undefined);
    },
  };
}

export async function natsDriver(t: DriverTarget): Promise<Driver> {
  const nc: NatsConnection = await connect({ servers: t.endpoint, maxReconnectAttempts: 0 });
  const js = nc.jetstream();
  const stream = t.name;
  const subject = `${stream}.msgs`;
  const durable = `${stream}_durable`;
  return {
    async prepare() {
      const jsm = await nc.jetstreamManager();
      await jsm.streams.add({ name: stream, subjects: [subject], storage: StorageType.File, num_replicas: 1, retention: RetentionPolicy.Limits });
      await jsm.consumers.add(stream, { durable_name: durable, ack_policy: AckPolicy.Explicit, max_ack_pending: Math.max(1000, t.prefetch * 4) });
    },
    async publish(bodies) {
      await Promise.all(bodies.map((b) => js.publish(subject, b)));
    },
    async consume(n, onMessage, deadline) {
      const consumer = await js.consumers.get(stream, durable);
      // Continuous pull: at most `prefetch` messages requested at a time, refilled as they arrive.
      const msgs = await consumer.consume({ max_messages: t.prefetch });
      const timer = setTimeout(() => void msgs.stop(), Math.max(0, deadline - performance.now()));
      let count = 0;
      for await (const m of msgs) {
        onMessage(Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength));
        m.ack();
        if (++count >= n) break;
      }
      clearTimeout(timer);
      msgs.stop();
      // Acks are fire-and-forget publishes: flush them before reporting the last one.
      await nc.flush();
    },
    async close() {
      await nc.drain().catch(() => undefined);
    },
  };
}
