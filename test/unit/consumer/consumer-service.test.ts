// ConsumerService long polling with a fake clock that never moves: a receive must not wait for
// a new append when the store stopped early (a long run of filtered-out messages) or when
// dead-lettering a FIFO head freed the next message of its group.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../../src/config.js';
import { GroupService } from '../../../src/consumer/group-service.js';
import { ConsumerService } from '../../../src/consumer/consumer-service.js';
import { silentLogger } from '../../../src/logger.js';
import { TopicService } from '../../../src/admin/topic-service.js';
import { LevelStore } from '../../../src/store/level/index.js';
import type { Delivery } from '../../../src/domain/consumption.js';
import { FakeClock } from '../../../src/util/clock.js';
import { makeMessage } from '../store/contract/index.js';

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

async function setup(maxScanPerReceive: number) {
  const clock = new FakeClock();
  const dir = await mkdtemp(join(tmpdir(), 'halfmoon-consumer-'));
  const store = new LevelStore({ path: dir, clock, durable: false, maxScanPerReceive });
  await store.open();
  const config = DEFAULT_CONFIG;
  const log = silentLogger();
  const topics = new TopicService({ store, config, log });
  const consumer = new ConsumerService({ store, topics, config, clock, log, brokerId: 'broker-1' });
  const groups = new GroupService({ store, consumer });
  cleanup = async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  };
  return { clock, store, consumer, groups };
}

/** Fails the test instead of hanging when the receive waits for something that never comes. */
function within<T>(p: Promise<T>, ms = 3000): Promise<T> {
  return Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`still waiting after ${ms} ms`)), ms))]);
}

const bodies = (ds: Delivery[]): string[] => ds.map((d) => d.message.body.toString());

describe('ConsumerService.receive', () => {
  it('keeps scanning past more than maxScanPerReceive filtered-out messages instead of waiting for an append', async () => {
    const { store, consumer } = await setup(16);
    await store.createTopic({ name: 'T', messageType: 'NORMAL', queueCount: 1 });
    await store.append('T', 0, [...Array.from({ length: 100 }, () => makeMessage('T', { tag: 'noise' })), makeMessage('T', { tag: 'wanted', body: Buffer.from('found') })]);
    const got = await within(
      consumer.receive({ group: 'g', topic: 'T', filter: { type: 'TAG', expression: 'wanted' }, batchSize: 8, invisibleDurationMs: 30_000, autoRenew: false, holdMs: 20_000 }),
    );
    expect(bodies(got)).toEqual(['found']);
  });

  it('FIFO: dead-lettering a message group head lets the next message through in the same poll', async () => {
    const { store, consumer, clock } = await setup(1024);
    await store.createTopic({ name: 'F', messageType: 'FIFO', queueCount: 1 });
    await store.createGroup({ name: 'g', fifo: true, maxDeliveryAttempts: 1 });
    const m = (body: string) => makeMessage('F', { messageType: 'FIFO', messageGroup: 'A', body: Buffer.from(body) });
    await store.append('F', 0, [m('a1'), m('a2')]);
    const params = { group: 'g', topic: 'F', filter: { type: 'TAG' as const, expression: '*' }, batchSize: 8, invisibleDurationMs: 10_000, autoRenew: false, holdMs: 20_000 };
    expect(bodies(await within(consumer.receive(params)))).toEqual(['a1']);
    clock.advance(10_000); // a1 expires after its one allowed attempt
    expect(bodies(await within(consumer.receive(params)))).toEqual(['a2']);
    expect((await store.read('%DLQ%g', 0, 0, 10)).map((x) => x.body.toString())).toEqual(['a1']);
  });
});

describe('consumer groups created on first use', () => {
  it('a first receive racing "group create --fifo" keeps the group FIFO, whichever comes first', async () => {
    const { store, consumer, groups } = await setup(1024);
    await store.createTopic({ name: 'F', messageType: 'FIFO', queueCount: 1 });
    const defaults = { maxDeliveryAttempts: 17, startFrom: 'earliest' as const };
    for (const [i, order] of (['receive first', 'create first', 'together'] as const).entries()) {
      const name = `g${i}`;
      const receive = () => consumer.group(name);
      const create = () => groups.create(name, { fifo: true }, defaults);
      if (order === 'receive first') {
        await receive();
        await create();
      } else if (order === 'create first') {
        await create();
        await receive();
      } else {
        await Promise.all([receive(), create(), receive()]);
      }
      expect((await store.getGroup(name))?.fifo, order).toBe(true);
      expect((await consumer.group(name)).fifo, order).toBe(true);
    }
  });

  it('an explicitly created group is not changed by a later "group create" with other settings', async () => {
    const { groups } = await setup(1024);
    const defaults = { maxDeliveryAttempts: 17, startFrom: 'earliest' as const };
    await groups.create('g', { fifo: true }, defaults);
    await expect(groups.create('g', { fifo: false }, defaults)).rejects.toThrow(/already exists with fifo=true/);
  });
});
