// Test helper: the official Node client's SimpleConsumer and Producer started against a test
// broker with quiet logging (the operations tests need several of them).
import { Producer, SimpleConsumer } from 'rocketmq-client-nodejs';
import { quietClientLogger } from './broker.js';

export async function startSimpleConsumer(endpoint: string, group: string, topic: string): Promise<SimpleConsumer> {
  const c = new SimpleConsumer({
    endpoints: endpoint,
    namespace: '',
    consumerGroup: group,
    subscriptions: new Map([[topic, '*']]),
    awaitDuration: 1000,
    logger: quietClientLogger,
  });
  await c.startup();
  return c;
}

export async function startProducer(endpoint: string, topic: string, checker?: ConstructorParameters<typeof Producer>[0]['checker']): Promise<Producer> {
  const p = new Producer({ endpoints: endpoint, namespace: '', topic, logger: quietClientLogger, ...(checker ? { checker } : {}) });
  await p.startup();
  return p;
}
