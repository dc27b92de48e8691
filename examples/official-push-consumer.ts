// Example: the official RocketMQ 5 Node client's PushConsumer against Halfmoon — the client
// receives in the background and calls a listener per message; returning SUCCESS acks it,
// FAILURE (or throwing) has it redelivered later. On a FIFO topic the listener sees each message
// group in send order. Creates nothing; the topic must exist, e.g.:
//
//   npx halfmoon topic create OrdersFifo --type FIFO
//
//   npx tsx examples/official-push-consumer.ts [OrdersFifo] [shipping] [count=3] [timeoutMs=30000]
//
// Arguments: topic, consumer group, how many messages to consume before stopping, how long to
// wait for them. Prints `consumed <messageId> ...` per message, exactly `count` of them; exits 0
// after `count` messages (messages received beyond them go back to the group, unprocessed).
import { ConsumeResult, PushConsumer, type MessageView } from 'rocketmq-client-nodejs';

const endpoints = process.env.HALFMOON_ENDPOINTS ?? '127.0.0.1:8081';
const [topic = 'OrdersFifo', group = 'shipping', countArg = '3', timeoutArg = '30000'] = process.argv.slice(2);
const count = Number(countArg);
const timeoutMs = Number(timeoutArg);
const logger = {
  info: () => undefined,
  debug: () => undefined,
  warn: () => undefined,
  error: (...args: unknown[]) => console.error(...args),
};

async function main(): Promise<number> {
  let consumed = 0;
  // Listener calls can overlap and the client holds more messages than `count`: a call past the
  // count hands its message back (FAILURE: redelivered later) instead of processing it.
  let taken = 0;
  let done!: () => void;
  const enough = new Promise<void>((resolve) => (done = resolve));

  const consumer = new PushConsumer({
    endpoints,
    namespace: '',
    consumerGroup: group,
    subscriptions: new Map([[topic, '*']]),
    logger,
    messageListener: {
      async consume(m: MessageView) {
        if (taken >= count) return ConsumeResult.FAILURE;
        taken += 1;
        console.log(`consumed ${m.messageId} group=${m.messageGroup ?? ''} tag=${m.tag ?? ''} attempt=${m.deliveryAttempt} body=${m.body.toString()}`);
        consumed += 1;
        if (consumed >= count) done();
        return ConsumeResult.SUCCESS;
      },
    },
  });
  await consumer.startup();

  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
  await Promise.race([enough, timedOut]);
  clearTimeout(timer);
  // shutdown() stops receiving and waits for the in-flight long poll and listener calls.
  await consumer.shutdown();
  console.log(`done: consumed ${consumed} of ${count}`);
  return consumed >= count ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error('failed:', err);
    process.exit(1);
  },
);
