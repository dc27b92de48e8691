// Example: Halfmoon SDK SimpleConsumer — long-polling receive with a tag filter,
// changeInvisibleDuration for more processing time, and ack. Creates nothing; the topic must
// exist (e.g. the one sdk-producer.ts writes to):
//
//   npx halfmoon topic create Orders --type NORMAL
//
//   npx tsx examples/sdk-simple-consumer.ts [Orders] [billing] [paid] [count=3] [timeoutMs=30000]
//
// Arguments: topic, consumer group (created on first use; a new group starts at the beginning of
// the topic), tag filter, how many messages to wait for, how long. Prints `received <messageId> ...`
// per message; exits 0 once `count` were acked, 1 if they did not all arrive in time.
import { ClientConfiguration, ClientException, ClientServiceProvider, FilterExpression } from '../src/client/index.js';

const endpoints = process.env.HALFMOON_ENDPOINTS ?? '127.0.0.1:8081';
const [topic = 'Orders', group = 'billing', filter = 'paid', countArg = '3', timeoutArg = '30000'] = process.argv.slice(2);
const count = Number(countArg);
const timeoutMs = Number(timeoutArg);

async function main(): Promise<number> {
  const provider = ClientServiceProvider.loadService();
  const config = ClientConfiguration.newBuilder().setEndpoints(endpoints).setRequestTimeout(3000).build();
  const consumer = await provider
    .newSimpleConsumerBuilder()
    .setClientConfiguration(config)
    .setConsumerGroup(group)
    .setSubscriptionExpressions(new Map([[topic, new FilterExpression(filter)]]))
    .setAwaitDuration(2000) // long polling: a receive waits up to 2 s for messages
    .build();
  let acked = 0;
  try {
    const deadline = Date.now() + timeoutMs;
    while (acked < count && Date.now() < deadline) {
      // Up to 16 messages, each hidden from the rest of the group for 30 s unless acked.
      for (const view of await consumer.receive(Math.min(16, count - acked), 30_000)) {
        const amount = view.properties.get('amount') ?? '-';
        console.log(`received ${view.messageId} tag=${view.tag ?? ''} keys=${view.keys.join(',')} amount=${amount} attempt=${view.deliveryAttempt}`);
        if (acked === 0) {
          // Needs more time: stay invisible for 60 s from now (a small value hands it back early).
          await consumer.changeInvisibleDuration(view, 60_000);
          console.log(`extended ${view.messageId} by 60 s`);
        }
        await consumer.ack(view);
        acked += 1;
      }
    }
  } finally {
    await consumer.close();
  }
  console.log(`acked ${acked} of ${count}`);
  return acked >= count ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof ClientException) console.error(`failed: ${err.message} [${err.codeName} ${err.code}]`);
    else console.error('failed:', err);
    process.exit(1);
  },
);
