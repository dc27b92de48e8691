// SDK against a real broker: every builder — producer (normal, keys, properties, FIFO, delay),
// SimpleConsumer (receive, ack, changeInvisibleDuration, filters, subscribe), PushConsumer.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BadRequestException,
  Code,
  ConsumeResult,
  FilterExpression,
  IllegalArgumentException,
  IllegalStateException,
  type MessageView,
  type Producer,
} from '../../../src/client/index.js';
import { startTestBroker, uniqueName, waitFor, type TestBroker } from '../../helpers/broker.js';
import { Closer, configFor, createTopic, provider, receiveAll, simpleConsumer } from './sdk-helpers.js';

let tb: TestBroker;
const closer = new Closer();

beforeAll(async () => {
  // Short long polls keep PushConsumer.close() (which waits for in-flight polls) quick.
  tb = await startTestBroker({ minInvisibleDurationMs: 500, maxLongPollingTimeoutMs: 2000 });
});
afterAll(async () => {
  await closer.closeAll();
  await tb.close();
});

async function producer(...topics: string[]): Promise<Producer> {
  return closer.track(
    await provider
      .newProducerBuilder()
      .setClientConfiguration(configFor(tb))
      .setTopics(...topics)
      .build(),
  );
}

describe('SDK producer and SimpleConsumer', () => {
  it('sends a NORMAL message with tag, keys and properties and receives it intact', async () => {
    const t = await createTopic(tb, 'NORMAL');
    const p = await producer(t);
    const message = provider
      .newMessageBuilder()
      .setTopic(t)
      .setTag('paid')
      .setKeys('order-42', 'customer-7')
      .addProperty('color', 'blue')
      .addProperty('size', 'L')
      .setBody(Buffer.from('hello from the SDK'))
      .build();
    const receipt = await p.send(message);
    expect(receipt.messageId).toMatch(/^[0-9A-F]+$/i);
    expect(receipt.offset).toBeGreaterThanOrEqual(0);

    const c = await simpleConsumer(tb, closer, t);
    expect(c.getConsumerGroup()).toMatch(/^SdkG-/);
    const [m, ...more] = await receiveAll(c, 1);
    expect(more).toHaveLength(0);
    expect(m!.messageId).toBe(receipt.messageId);
    expect(m!.topic).toBe(t);
    expect(m!.body.toString()).toBe('hello from the SDK');
    expect(m!.tag).toBe('paid');
    expect(m!.keys).toEqual(['order-42', 'customer-7']);
    expect(m!.properties.get('color')).toBe('blue');
    expect(m!.properties.get('size')).toBe('L');
    expect(m!.messageGroup).toBeUndefined();
    expect(m!.deliveryAttempt).toBe(1);
    expect(m!.bornHost).toBeTruthy();
    expect(m!.bornTimestamp!.getTime()).toBeGreaterThan(Date.now() - 60_000);
    await c.ack(m!);
    expect(await c.receive(1, 10_000)).toHaveLength(0);
  });

  it('filters by tag expression', async () => {
    const t = await createTopic(tb, 'NORMAL');
    const p = await producer(t);
    for (const tag of ['TagA', 'TagB', 'TagC']) {
      await p.send(provider.newMessageBuilder().setTopic(t).setTag(tag).setBody(tag).build());
    }
    const c = await simpleConsumer(tb, closer, t, 'TagA||TagB');
    const got = await receiveAll(c, 2);
    expect(got.map((m) => m.tag).sort()).toEqual(['TagA', 'TagB']);
    for (const m of got) await c.ack(m);
    expect(await c.receive(4, 10_000)).toHaveLength(0); // TagC never matches
  });

  it('sends FIFO messages in order with their message group', async () => {
    const t = await createTopic(tb, 'FIFO');
    const p = await producer(t);
    for (let i = 0; i < 5; i++) {
      await p.send(provider.newMessageBuilder().setTopic(t).setMessageGroup('order-42').setBody(`step-${i}`).build());
    }
    const c = await simpleConsumer(tb, closer, t);
    const got = await receiveAll(c, 5);
    expect(got.map((m) => m.body.toString())).toEqual(['step-0', 'step-1', 'step-2', 'step-3', 'step-4']);
    expect(new Set(got.map((m) => m.messageGroup))).toEqual(new Set(['order-42']));
    for (const m of got) await c.ack(m);
  });

  it('delivers DELAY messages no earlier than their delivery time (setDelay and setDeliveryTimestamp)', async () => {
    const t = await createTopic(tb, 'DELAY');
    const p = await producer(t);
    const c = await simpleConsumer(tb, closer, t);
    const sentAt = Date.now();
    await p.send(provider.newMessageBuilder().setTopic(t).setDelay(1200).setBody('relative').build());
    await p.send(
      provider
        .newMessageBuilder()
        .setTopic(t)
        .setDeliveryTimestamp(new Date(sentAt + 1500))
        .setBody('absolute')
        .build(),
    );
    const got = await receiveAll(c, 2);
    const byBody = new Map(got.map((m) => [m.body.toString(), m]));
    expect([...byBody.keys()].sort()).toEqual(['absolute', 'relative']);
    expect(byBody.get('relative')!.deliveryTimestamp!.getTime()).toBeGreaterThanOrEqual(sentAt + 1200);
    expect(byBody.get('absolute')!.deliveryTimestamp!.getTime()).toBe(sentAt + 1500);
    // Not handed out before its time.
    expect(Date.now()).toBeGreaterThanOrEqual(sentAt + 1500);
    for (const m of got) await c.ack(m);
  });

  it('redelivers an unacked message and rejects the stale receipt', async () => {
    const t = await createTopic(tb, 'NORMAL');
    const p = await producer(t);
    await p.send(provider.newMessageBuilder().setTopic(t).setBody('again').build());
    const c = await simpleConsumer(tb, closer, t);
    const [first] = await receiveAll(c, 1, 600);
    expect(first!.deliveryAttempt).toBe(1);
    const [second] = await receiveAll(c, 1, 10_000);
    expect(second!.messageId).toBe(first!.messageId);
    expect(second!.deliveryAttempt).toBe(2);
    const stale = await c.ack(first!).then(
      () => expect.fail('the first receipt handle expired with the redelivery'),
      (err: unknown) => err,
    );
    expect(stale).toBeInstanceOf(BadRequestException);
    expect((stale as BadRequestException).code).toBe(Code.INVALID_RECEIPT_HANDLE);
    await c.ack(second!);
  });

  it('changeInvisibleDuration keeps a message hidden past its first deadline, then acks', async () => {
    const t = await createTopic(tb, 'NORMAL');
    const p = await producer(t);
    await p.send(provider.newMessageBuilder().setTopic(t).setBody('extend').build());
    const c = await simpleConsumer(tb, closer, t);
    const [m] = await receiveAll(c, 1, 600);
    await c.changeInvisibleDuration(m!, 30_000);
    await new Promise((r) => setTimeout(r, 900));
    expect(await c.receive(1, 10_000)).toHaveLength(0);
    await c.ack(m!); // uses the renewed receipt handle
    const late = await c.changeInvisibleDuration(m!, 600).then(
      () => expect.fail('an acked message cannot be renewed'),
      (err: unknown) => err,
    );
    expect(late).toBeInstanceOf(BadRequestException);
    expect((late as BadRequestException).codeName).toBe('INVALID_RECEIPT_HANDLE');
  });

  it('subscribes to another topic at runtime and rejects views it did not hand out', async () => {
    const t1 = await createTopic(tb, 'NORMAL');
    const t2 = await createTopic(tb, 'NORMAL');
    const p = await producer();
    await p.send(provider.newMessageBuilder().setTopic(t2).setBody('second topic').build());
    const c = await simpleConsumer(tb, closer, t1);
    await c.subscribe(t2, FilterExpression.SUB_ALL);
    c.unsubscribe(t1);
    expect([...c.getSubscriptionExpressions().keys()]).toEqual([t2]);
    const [m] = await receiveAll(c, 1);
    expect(m!.body.toString()).toBe('second topic');
    const forged: MessageView = { ...m! };
    await expect(c.ack(forged)).rejects.toThrow(IllegalArgumentException);
    await c.ack(m!);
    await expect(c.receive(0, 1000)).rejects.toThrow(/maxMessageNum/);
  });

  it('a closed producer or consumer refuses work; close() is idempotent', async () => {
    const t = await createTopic(tb, 'NORMAL');
    const p = await provider.newProducerBuilder().setClientConfiguration(configFor(tb)).setTopics(t).build();
    await p.close();
    await p.close();
    await expect(p.send(provider.newMessageBuilder().setTopic(t).setBody('x').build())).rejects.toThrow(IllegalStateException);
    const c = await simpleConsumer(tb, new Closer(), t);
    await c.close();
    await expect(c.receive(1, 1000)).rejects.toThrow(/closed simple consumer/);
  });
});

describe('SDK PushConsumer', () => {
  it('calls the listener for each message, acks SUCCESS and redelivers FAILURE', async () => {
    const t = await createTopic(tb, 'NORMAL');
    const p = await producer(t);
    const seen: { body: string; attempt: number }[] = [];
    let active = 0;
    let maxActive = 0;
    const consumer = closer.track(
      await provider
        .newPushConsumerBuilder()
        .setClientConfiguration(configFor(tb))
        .setConsumerGroup(uniqueName('SdkPush'))
        .setSubscriptionExpressions(new Map([[t, new FilterExpression('keep||retry')]]))
        .setConsumptionThreadCount(2)
        .setMessageListener(async (view) => {
          active += 1;
          maxActive = Math.max(maxActive, active);
          await new Promise((r) => setTimeout(r, 50));
          active -= 1;
          seen.push({ body: view.body.toString(), attempt: view.deliveryAttempt });
          // "retry-me" fails on its first delivery only.
          return view.tag === 'retry' && view.deliveryAttempt === 1 ? ConsumeResult.FAILURE : ConsumeResult.SUCCESS;
        })
        .build(),
    );
    expect(consumer.getConsumerGroup()).toMatch(/^SdkPush-/);
    for (let i = 0; i < 4; i++) await p.send(provider.newMessageBuilder().setTopic(t).setTag('keep').setBody(`m${i}`).build());
    await p.send(provider.newMessageBuilder().setTopic(t).setTag('skip').setBody('filtered out').build());
    await p.send(provider.newMessageBuilder().setTopic(t).setTag('retry').setBody('retry-me').build());

    await waitFor(() => seen.filter((s) => s.body === 'retry-me').length >= 2 && seen.length >= 6, 20_000, 'push deliveries');
    expect(
      seen
        .filter((s) => s.body.startsWith('m'))
        .map((s) => s.body)
        .sort(),
    ).toEqual(['m0', 'm1', 'm2', 'm3']);
    expect(seen.filter((s) => s.body === 'retry-me').map((s) => s.attempt)).toEqual([1, 2]);
    expect(seen.some((s) => s.body === 'filtered out')).toBe(false);
    expect(maxActive).toBeLessThanOrEqual(2);
    await consumer.close();

    // Everything was acked: a fresh consumer of the same group finds nothing.
    const check = await simpleConsumer(tb, closer, t, 'keep||retry', consumer.getConsumerGroup());
    expect(await check.receive(8, 10_000)).toHaveLength(0);
  });

  it('FIFO group: the listener sees one message group in order, a failed message retried before the next', async () => {
    const t = await createTopic(tb, 'FIFO');
    const group = uniqueName('SdkFifoPush');
    await tb.broker.services.groups.update(group, { fifo: true });
    const p = await producer(t);
    for (let i = 0; i < 4; i++) {
      await p.send(provider.newMessageBuilder().setTopic(t).setMessageGroup('order-7').setBody(`step-${i}`).build());
    }
    const seen: string[] = [];
    const consumer = closer.track(
      await provider
        .newPushConsumerBuilder()
        .setClientConfiguration(configFor(tb))
        .setConsumerGroup(group)
        .setSubscriptionExpressions(new Map([[t, FilterExpression.SUB_ALL]]))
        .setMessageListener({
          consume(view: MessageView) {
            const body = view.body.toString();
            seen.push(`${body}#${view.deliveryAttempt}`);
            return body === 'step-1' && view.deliveryAttempt === 1 ? ConsumeResult.FAILURE : ConsumeResult.SUCCESS;
          },
        })
        .build(),
    );
    await waitFor(() => seen.length >= 5, 20_000, 'FIFO push deliveries');
    await consumer.close();
    expect(seen).toEqual(['step-0#1', 'step-1#1', 'step-1#2', 'step-2#1', 'step-3#1']);
  });
});
