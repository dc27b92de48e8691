// Example: producing with Halfmoon's own Java-style SDK (src/client, published as
// 'halfmoon-broker/client'): configuration, a producer bound to its topic, messages with tag, keys
// and properties, and the typed ClientException on failure. Creates nothing; the topic must exist:
//
//   npx halfmoon topic create Orders --type NORMAL
//
//   npx tsx examples/sdk-producer.ts [Orders] [count=3] [tag=paid]
//
// The broker address comes from $HALFMOON_ENDPOINTS (default 127.0.0.1:8081). Prints
// `sent <messageId> ...` per message. In an application, import from 'halfmoon-broker/client'.
import { ClientConfiguration, ClientException, ClientServiceProvider } from '../src/client/index.js';

const endpoints = process.env.HALFMOON_ENDPOINTS ?? '127.0.0.1:8081';
const [topic = 'Orders', countArg = '3', tag = 'paid'] = process.argv.slice(2);
const count = Number(countArg);

async function main(): Promise<void> {
  const provider = ClientServiceProvider.loadService();
  const config = ClientConfiguration.newBuilder().setEndpoints(endpoints).setRequestTimeout(3000).build();

  // setTopics() resolves the route now: an unknown topic fails here with a NotFoundException.
  const producer = await provider.newProducerBuilder().setClientConfiguration(config).setTopics(topic).setMaxAttempts(3).build();
  try {
    for (let i = 1; i <= count; i++) {
      const message = provider
        .newMessageBuilder()
        .setTopic(topic)
        .setTag(tag)
        .setKeys(`order-${i}`)
        .addProperty('amount', `${i * 10}.00`)
        .setBody(Buffer.from(JSON.stringify({ order: i, status: tag })))
        .build();
      const receipt = await producer.send(message);
      console.log(`sent ${receipt.messageId} tag=${tag} keys=order-${i}`);
    }
  } finally {
    await producer.close();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    // Broker refusals carry the RocketMQ status code; transport failures are a NetworkException.
    if (err instanceof ClientException) console.error(`failed: ${err.message} [${err.codeName} ${err.code}]`);
    else console.error('failed:', err);
    process.exit(1);
  },
);
