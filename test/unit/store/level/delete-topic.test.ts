// deleteTopic writes through the group-commit writer, after what was queued before it: an append
// that started just before the deletion (its queue head cached, or still being loaded) cannot
// leave messages behind that a re-created topic of the same name would see, not even after a
// restart; the deleted topic's consumer state goes with it.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../../../src/util/clock.js';
import { message, TempStores } from './helpers.js';

describe('LevelStore deleteTopic', () => {
  const temp = new TempStores();
  let clock: FakeClock;

  beforeEach(async () => {
    clock = new FakeClock();
    await temp.setUp();
  });
  afterEach(() => temp.tearDown());

  for (const head of ['cached', 'still loading'] as const) {
    it(`an append queued just before deleteTopic does not resurrect messages after it (queue head ${head})`, async () => {
      let store = await temp.openStore(clock, { durable: true });
      await store.createTopic({ name: 't', messageType: 'NORMAL', queueCount: 1 });
      await store.append('t', 0, [message('t'), message('t')]);
      const receive = { group: 'g', topic: 't', filter: { kind: 'all' } as const, maxMessages: 1, invisibleDurationMs: 30_000, maxDeliveryAttempts: 16, fifo: false };
      expect((await store.receive(receive)).deliveries).toHaveLength(1);
      if (head === 'still loading') {
        await store.close();
        store = await temp.openStore(clock, { durable: true }); // nothing cached: the append loads its head first
      }

      const appended = store.append('t', 0, [message('t', { body: Buffer.from('late') })]);
      const deleted = store.deleteTopic('t');
      const [stored] = await appended;
      expect(stored!.offset).toBe(2); // it was appended, before the deletion
      expect(await deleted).toBe(true);
      expect(await store.read('t', 0, 0, 100)).toEqual([]);

      await store.createTopic({ name: 't', messageType: 'NORMAL', queueCount: 1 });
      expect(await store.read('t', 0, 0, 100)).toEqual([]);
      expect((await store.receive(receive)).deliveries).toEqual([]);
      const [fresh] = await store.append('t', 0, [message('t', { body: Buffer.from('fresh') })]);

      await store.close();
      store = await temp.openStore(clock, { durable: true });
      expect((await store.read('t', 0, 0, 100)).map((m) => [m.offset, m.body.toString()])).toEqual([[fresh!.offset, 'fresh']]);
      expect((await store.receive(receive)).deliveries.map((d) => d.message.body.toString())).toEqual(['fresh']);
    });
  }
});
