// Example: the unmodified official RocketMQ 5 Node client (`rocketmq-client-nodejs`) producing to
// Halfmoon — a NORMAL message (tag + keys + a user property), FIFO messages sharing a message
// group, and a DELAY message with a delivery timestamp. Creates nothing; the topics must exist:
//
//   npx halfmoon topic create Orders      --type NORMAL
//   npx halfmoon topic create OrdersFifo  --type FIFO
//   npx halfmoon topic create OrdersDelay --type DELAY
//
// Run (arguments are optional; the defaults are shown):
//
//   npx tsx examples/official-producer.ts [Orders] [OrdersFifo] [OrdersDelay] [delayMs=3000]
//
// The broker address comes from $HALFMOON_ENDPOINTS (default 127.0.0.1:8081). Every message sent
// is printed as `sent <TYPE> <tag> <messageId>`; the consumer examples print the same ids.
import { Producer } from 'rocketmq-client-nodejs';

const endpoints = process.env.HALFMOON_ENDPOINTS ?? '127.0.0.1:8081';
const [normalTopic = 'Orders', fifoTopic = 'OrdersFifo', delayTopic = 'OrdersDelay', delayArg = '3000'] = process.argv.slice(2);
const delayMs = Number(delayArg);

// The official client logs a lot at info level (and to ~/logs/rocketmq by default): keep errors only.
const logger = {
  info: () => undefined,
  debug: () => undefined,
  warn: () => undefined,
  error: (...args: unknown[]) => console.error(...args),
};

async function main(): Promise<void> {
  if (!Number.isSafeInteger(delayMs) || delayMs < 0) throw new Error(`delayMs must be a non-negative integer, got ${delayArg}`);

  // One producer can send to several topics. Declaring them up front makes startup() fetch their
  // routes now, so a missing topic fails here (TOPIC_NOT_FOUND) rather than at the first send.
  // (With several topics the 1.0.8 client can miss the broker's first settings reply; Halfmoon
  // pushes the settings again after each route lookup, so startup() still returns at once.)
  const producer = new Producer({ endpoints, namespace: '', topics: [normalTopic, fifoTopic, delayTopic], logger });
  await producer.startup();
  try {
    // 1. NORMAL: tag for server-side filtering, keys for lookup, user properties travel along.
    for (const tag of ['created', 'paid']) {
      const receipt = await producer.send({
        topic: normalTopic,
        tag,
        keys: ['order-42'],
        properties: new Map([['region', 'eu']]),
        body: Buffer.from(JSON.stringify({ order: 42, event: tag })),
      });
      console.log(`sent NORMAL ${tag} ${receipt.messageId}`);
    }

    // 2. FIFO: messages of one message group are delivered in send order, one at a time.
    for (const step of ['created', 'paid', 'shipped']) {
      const receipt = await producer.send({
        topic: fifoTopic,
        tag: step,
        messageGroup: 'customer-7',
        body: Buffer.from(`order 42 ${step}`),
      });
      console.log(`sent FIFO ${step} ${receipt.messageId}`);
    }

    // 3. DELAY: invisible to consumers until the delivery timestamp (at most 24 h ahead).
    const deliverAt = new Date(Date.now() + delayMs);
    const receipt = await producer.send({
      topic: delayTopic,
      tag: 'reminder',
      deliveryTimestamp: deliverAt,
      body: Buffer.from('order 42: ask for a review'),
    });
    console.log(`sent DELAY reminder ${receipt.messageId} deliverAt=${deliverAt.toISOString()}`);
  } finally {
    await producer.shutdown();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error('failed:', err);
    process.exit(1);
  },
);
