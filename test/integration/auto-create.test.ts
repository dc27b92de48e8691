// --auto-create-topics (development only): an unknown topic is created as NORMAL on first use;
// without the flag the same send is refused with TOPIC_NOT_FOUND.
import { Producer } from 'rocketmq-client-nodejs';
import { afterEach, expect, it } from 'vitest';
import { quietClientLogger, startTestBroker, uniqueName, type TestBroker } from '../helpers/broker.js';

let tb: TestBroker | undefined;
afterEach(async () => {
  await tb?.close();
  tb = undefined;
});

it('creates an unknown topic as NORMAL on first use when enabled', async () => {
  tb = await startTestBroker({ autoCreateTopics: true });
  const topic = uniqueName('Auto');
  const p = new Producer({ endpoints: tb.endpoint, namespace: '', logger: quietClientLogger });
  await p.startup();
  const receipt = await p.send({ topic, body: Buffer.from('first') });
  await p.shutdown();
  expect(receipt.offset).toBe(0);
  expect(await tb.broker.store.getTopic(topic)).toMatchObject({ name: topic, messageType: 'NORMAL' });
});

it('refuses an unknown topic by default', async () => {
  tb = await startTestBroker();
  const p = new Producer({ endpoints: tb.endpoint, namespace: '', logger: quietClientLogger });
  await p.startup();
  await expect(p.send({ topic: uniqueName('Missing'), body: Buffer.from('x') })).rejects.toThrow(/does not exist: create it with "halfmoon topic create/);
  await p.shutdown();
}, 20_000);
