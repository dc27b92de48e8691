// Example: a transactional message with the Halfmoon SDK — begin, send the half message, commit —
// with a checker that answers the broker's orphan checks. Creates nothing: the topic must exist
// as a TRANSACTION topic (halfmoon topic create Orders --type TRANSACTION).
//
//   npx tsx examples/sdk-transaction.ts Orders
//   HALFMOON_ENDPOINTS=127.0.0.1:8081 HALFMOON_TOPIC=Orders npx tsx examples/sdk-transaction.ts
//   npx tsx examples/sdk-transaction.ts Orders --leave-open
//
// --leave-open plays a producer that never decides: the transaction stays open, and after the
// broker's transactionTimeoutMs (6 s by default) the broker asks this process's checker, whose
// COMMIT answer delivers the message. Watch it meanwhile with `halfmoon tx list --topic Orders`.
//
// In an application, import from 'halfmoon-broker/client' instead of the relative path.
import { ClientConfiguration, ClientException, ClientServiceProvider, TransactionResolution, type TransactionChecker } from '../src/client/index.js';

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const leaveOpen = args.includes('--leave-open');
  const topic = args.find((a) => !a.startsWith('--')) ?? process.env.HALFMOON_TOPIC;
  const endpoints = process.env.HALFMOON_ENDPOINTS ?? '127.0.0.1:8081';
  if (!topic) {
    console.error('usage: sdk-transaction.ts <topic> [--leave-open]   (or set HALFMOON_TOPIC; HALFMOON_ENDPOINTS defaults to 127.0.0.1:8081)');
    return 2;
  }

  const provider = ClientServiceProvider.loadService();
  const config = ClientConfiguration.newBuilder().setEndpoints(endpoints).setRequestTimeout(3000).build();

  // Asked only about transactions this process left open (e.g. it crashed before commit).
  // Look the order up in your database; UNKNOWN (or throwing) means "ask me again later".
  let asked: () => void = () => undefined;
  const checked = new Promise<void>((resolve) => (asked = resolve));
  const checker: TransactionChecker = {
    async check(view) {
      console.log(`broker asks about message ${view.messageId} (keys ${view.keys.join(',')}): committing`);
      asked();
      return TransactionResolution.COMMIT;
    },
  };

  const producer = await provider.newProducerBuilder().setClientConfiguration(config).setTopics(topic).setTransactionChecker(checker).build();
  try {
    const tx = producer.beginTransaction();
    const message = provider
      .newMessageBuilder()
      .setTopic(topic)
      .setTag('paid')
      .setKeys('order-42')
      .addProperty('amount', '19.99')
      .setBody(Buffer.from(JSON.stringify({ order: 42, status: 'paid' })))
      .build();
    const receipt = await producer.send(message, tx);
    console.log(`sent half message ${receipt.messageId} (transaction ${receipt.transactionId}); invisible until commit`);
    if (leaveOpen) {
      console.log('leaving it open, as a crashed producer would: waiting for the broker to ask the checker');
      await checked;
      await new Promise((r) => setTimeout(r, 1000)); // let the checker's answer reach the broker
      console.log('answered the check with COMMIT: consumers of', topic, 'can now receive it');
      return 0;
    }
    // ... write the order to your database here; roll back instead if that fails ...
    await tx.commit();
    console.log('committed: consumers of', topic, 'can now receive it');
    return 0;
  } finally {
    await producer.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof ClientException) console.error(`failed: ${err.message} [${err.codeName} ${err.code}]`);
    else console.error('failed:', err);
    process.exit(1);
  },
);
