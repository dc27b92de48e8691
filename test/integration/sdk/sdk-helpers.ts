// Shared setup for the SDK integration tests: configurations for a test broker, topic creation,
// and tracking of SDK clients so each file closes them before its broker.
import { ClientConfiguration, ClientServiceProvider, FilterExpression, type MessageView, type SimpleConsumer } from '../../../src/client/index.js';
import { uniqueName, type TestBroker } from '../../helpers/broker.js';

export const provider = ClientServiceProvider.loadService();

export type TopicType = 'NORMAL' | 'FIFO' | 'DELAY' | 'TRANSACTION';

export function configFor(tb: TestBroker): ClientConfiguration {
  return ClientConfiguration.newBuilder().setEndpoints(tb.endpoint).setRequestTimeout(3000).build();
}

export async function createTopic(tb: TestBroker, type: TopicType): Promise<string> {
  const name = uniqueName(`Sdk${type}`);
  await tb.broker.services.topics.create(name, type);
  return name;
}

/** Closes SDK clients in reverse creation order (before the broker stops). */
export class Closer {
  readonly #clients: { close(): Promise<void> }[] = [];

  track<T extends { close(): Promise<void> }>(client: T): T {
    this.#clients.push(client);
    return client;
  }

  async closeAll(): Promise<void> {
    for (const c of this.#clients.reverse()) await c.close().catch(() => undefined);
    this.#clients.length = 0;
  }
}

export async function simpleConsumer(tb: TestBroker, closer: Closer, topic: string, filter = '*', group = uniqueName('SdkG')): Promise<SimpleConsumer> {
  return closer.track(
    await provider
      .newSimpleConsumerBuilder()
      .setClientConfiguration(configFor(tb))
      .setConsumerGroup(group)
      .setSubscriptionExpressions(new Map([[topic, new FilterExpression(filter)]]))
      .setAwaitDuration(1000)
      .build(),
  );
}

/** Receives until `count` messages arrived or three polls in a row came back empty. */
export async function receiveAll(c: SimpleConsumer, count: number, invisibleMs = 10_000): Promise<MessageView[]> {
  const got: MessageView[] = [];
  let empty = 0;
  while (got.length < count && empty < 3) {
    const batch = await c.receive(Math.min(32, count - got.length), invisibleMs);
    empty = batch.length === 0 ? empty + 1 : 0;
    got.push(...batch);
  }
  return got;
}
