// Example: Halfmoon SDK PushConsumer — a listener called per message with bounded concurrency;
// ConsumeResult.SUCCESS acks, FAILURE (or a thrown error) has the message redelivered with back-off.
// Creates nothing; the topic must exist:
//
//   npx halfmoon topic create Orders --type NORMAL
//
//   npx tsx examples/sdk-push-consumer.ts [Orders] [shipping] [count=3] [timeoutMs=30000]
//
// Arguments: topic, consumer group, how many messages to consume before closing, how long to wait.
// Prints `consumed <messageId> ...` per message, exactly `count` of them; exits 0 after `count`
// messages (messages received beyond them go back to the group, unprocessed).
import { ClientConfiguration, ClientException, ClientServiceProvider, ConsumeResult, FilterExpression } from '../src/client/index.js';

const endpoints = process.env.HALFMOON_ENDPOINTS ?? '127.0.0.1:8081';
const [topic = 'Orders', group = 'shipping', countArg = '3', timeoutArg = '30000'] = process.argv.slice(2);
const count = Number(countArg);
const timeoutMs = Number(timeoutArg);

async function main(): Promise<number> {
  const provider = ClientServiceProvider.loadService();
  const config = ClientConfiguration.newBuilder().setEndpoints(endpoints).setRequestTimeout(3000).build();

  let consumed = 0;
  // Listener calls run concurrently and the consumer has more messages in hand than `count`: a
  // call takes its turn before processing, and a call past the count hands its message back
  // (FAILURE: redelivered to the group later) instead of processing more than was asked.
  let taken = 0;
  let done!: () => void;
  const enough = new Promise<void>((resolve) => (done = resolve));

  const consumer = await provider
    .newPushConsumerBuilder()
    .setClientConfiguration(config)
    .setConsumerGroup(group)
    .setSubscriptionExpressions(new Map([[topic, FilterExpression.SUB_ALL]]))
    .setConsumptionThreadCount(4) // at most 4 listener calls at once
    .setMessageListener(async (view) => {
      if (taken >= count) return ConsumeResult.FAILURE;
      taken += 1;
      console.log(`consumed ${view.messageId} tag=${view.tag ?? ''} keys=${view.keys.join(',')} attempt=${view.deliveryAttempt}`);
      consumed += 1;
      if (consumed >= count) done();
      return ConsumeResult.SUCCESS;
    })
    .build(); // build() starts receiving

  let timer: NodeJS.Timeout | undefined;
  await Promise.race([enough, new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
  clearTimeout(timer);
  // close() stops receiving, lets running listener calls finish and settle, then disconnects.
  await consumer.close();
  console.log(`done: consumed ${consumed} of ${count}`);
  return consumed >= count ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof ClientException) console.error(`failed: ${err.message} [${err.codeName} ${err.code}]`);
    else console.error('failed:', err);
    process.exit(1);
  },
);
