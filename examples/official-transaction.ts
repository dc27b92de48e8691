// Example: transactional messages with the official RocketMQ 5 Node client
// (`rocketmq-client-nodejs`): one transaction committed, one rolled back, and a checker the broker
// asks about transactions this process leaves undecided (for instance if it crashes between
// send and commit). Creates nothing; the topic must exist as a TRANSACTION topic:
//
//   npx halfmoon topic create Payments --type TRANSACTION
//
//   npx tsx examples/official-transaction.ts [Payments]
//
// The broker address comes from $HALFMOON_ENDPOINTS (default 127.0.0.1:8081). Prints
// `committed <messageId>` and `rolled back <messageId>`; only the committed one is ever delivered.
import { Producer, type MessageView } from 'rocketmq-client-nodejs';
import definition from 'rocketmq-client-nodejs/proto/apache/rocketmq/v2/definition_pb.js';

// google-protobuf modules are CommonJS without detectable named exports: use the default export.
const { TransactionResolution } = definition;

const endpoints = process.env.HALFMOON_ENDPOINTS ?? '127.0.0.1:8081';
const [topic = 'Payments'] = process.argv.slice(2);
const logger = {
  info: () => undefined,
  debug: () => undefined,
  warn: () => undefined,
  error: (...args: unknown[]) => console.error(...args),
};

// Stands in for the application's database: which orders were really saved.
const savedOrders = new Set<string>();

async function main(): Promise<void> {
  const producer = new Producer({
    endpoints,
    namespace: '',
    topic, // a transactional producer declares its topic: the broker sends checks to live producers of it
    logger,
    checker: {
      // Called over the Telemetry stream for an orphaned half message. Answer from durable state;
      // TRANSACTION_RESOLUTION_UNSPECIFIED means "not sure yet, ask again later".
      async check(view: MessageView) {
        const order = view.keys[0] ?? '';
        const answer = savedOrders.has(order) ? TransactionResolution.COMMIT : TransactionResolution.ROLLBACK;
        console.log(`check ${view.messageId} (${order}): ${answer === TransactionResolution.COMMIT ? 'COMMIT' : 'ROLLBACK'}`);
        return answer;
      },
    },
  });
  await producer.startup();
  try {
    // Order 1: the local transaction succeeds, so the message is committed.
    const tx1 = producer.beginTransaction();
    const r1 = await producer.send({ topic, tag: 'paid', keys: ['order-1'], body: Buffer.from('order-1 paid') }, tx1);
    savedOrders.add('order-1'); // "write the order to the database"
    await tx1.commit();
    console.log(`committed ${r1.messageId}`);

    // Order 2: the local transaction fails, so the half message is rolled back and never delivered.
    const tx2 = producer.beginTransaction();
    const r2 = await producer.send({ topic, tag: 'paid', keys: ['order-2'], body: Buffer.from('order-2 paid') }, tx2);
    await tx2.rollback();
    console.log(`rolled back ${r2.messageId}`);
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
