// Example: the official RocketMQ 5 Node client's SimpleConsumer against Halfmoon — long-polling
// receive with a tag filter, changeInvisibleDuration to get more processing time, and ack.
// Creates nothing; the topic must exist (any type, e.g. the one official-producer.ts writes to):
//
//   npx halfmoon topic create Orders --type NORMAL
//
//   npx tsx examples/official-simple-consumer.ts [Orders] [billing] [paid] [count=1] [timeoutMs=30000]
//
// Arguments: topic, consumer group (created on first use), tag filter (`*`, `paid`, `paid||refunded`),
// how many messages to wait for, and how long to wait. A new group starts at the beginning of the
// topic. Prints `received <messageId> ...` per message and exits 0 once `count` were acked,
// 1 if they did not all arrive in time.
import { SimpleConsumer } from 'rocketmq-client-nodejs';

const endpoints = process.env.HALFMOON_ENDPOINTS ?? '127.0.0.1:8081';
const [topic = 'Orders', group = 'billing', filter = 'paid', countArg = '1', timeoutArg = '30000'] = process.argv.slice(2);
const count = Number(countArg);
const timeoutMs = Number(timeoutArg);
const logger = {
  info: () => undefined,
  debug: () => undefined,
  warn: () => undefined,
  error: (...args: unknown[]) => console.error(...args),
};

async function main(): Promise<number> {
  const consumer = new SimpleConsumer({
    endpoints,
    namespace: '',
    consumerGroup: group,
    subscriptions: new Map([[topic, filter]]), // the broker filters by tag: non-matching messages never arrive
    awaitDuration: 2000, // long polling: a receive waits up to 2 s for a message
    logger,
  });
  await consumer.startup();
  let acked = 0;
  try {
    const deadline = Date.now() + timeoutMs;
    while (acked < count && Date.now() < deadline) {
      // Up to 16 messages, each invisible to other consumers of the group for 30 s unless acked.
      for (const m of await consumer.receive(Math.min(16, count - acked), 30_000)) {
        console.log(`received ${m.messageId} tag=${m.tag ?? ''} attempt=${m.deliveryAttempt} body=${m.body.toString()}`);
        if (acked === 0) {
          // Processing takes longer than planned: keep the message hidden for 60 s from now.
          await consumer.changeInvisibleDuration(m, 60_000);
          console.log(`extended ${m.messageId} by 60 s`);
        }
        await consumer.ack(m); // done: the message is never delivered to this group again
        acked += 1;
      }
    }
  } finally {
    await consumer.shutdown();
  }
  console.log(`acked ${acked} of ${count}`);
  return acked >= count ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error('failed:', err);
    process.exit(1);
  },
);
