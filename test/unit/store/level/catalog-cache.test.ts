// The LevelDB backend's cache of topic and group records: updated by create and update, dropped
// by delete, read from disk after a restart, frozen so that no caller can change them.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../../../src/util/clock.js';
import { TempStores } from './helpers.js';

describe('LevelStore catalog cache', () => {
  const temp = new TempStores();
  let clock: FakeClock;

  beforeEach(async () => {
    clock = new FakeClock();
    await temp.setUp();
  });
  afterEach(() => temp.tearDown());

  describe('topic and group records', () => {
    it('a deleted topic is gone at once, and one re-created with another type is read as re-created', async () => {
      const store = await temp.openStore(clock);
      await store.createTopic({ name: 't', messageType: 'NORMAL', queueCount: 1 });
      expect((await store.getTopic('t'))?.messageType).toBe('NORMAL');
      expect(await store.deleteTopic('t')).toBe(true);
      expect(await store.getTopic('t')).toBeUndefined();
      await store.createTopic({ name: 't', messageType: 'FIFO', queueCount: 1 });
      expect((await store.getTopic('t'))?.messageType).toBe('FIFO');
    });

    it('an updated group is read with its new settings, and cached records cannot be changed by a caller', async () => {
      const store = await temp.openStore(clock);
      await store.createGroup({ name: 'g', fifo: false, maxDeliveryAttempts: 16 });
      const before = await store.getGroup('g');
      expect(Object.isFrozen(before)).toBe(true);
      await store.updateGroup('g', { fifo: true, maxDeliveryAttempts: 3 });
      expect(await store.getGroup('g')).toMatchObject({ name: 'g', fifo: true, maxDeliveryAttempts: 3 });
      expect(before).toMatchObject({ fifo: false, maxDeliveryAttempts: 16 });
    });

    it('a store that has not read a record yet reads it from disk (after a restart)', async () => {
      let store = await temp.openStore(clock);
      await store.createTopic({ name: 't', messageType: 'TRANSACTION', queueCount: 1, checkPolicy: 'KEEP' });
      await store.createGroup({ name: 'g', fifo: true, maxDeliveryAttempts: 5, startFrom: 'latest' });
      await store.close();
      store = await temp.openStore(clock);
      expect(await store.getTopic('t')).toMatchObject({ name: 't', messageType: 'TRANSACTION', checkPolicy: 'KEEP' });
      expect(await store.getGroup('g')).toMatchObject({ name: 'g', fifo: true, maxDeliveryAttempts: 5, startFrom: 'latest' });
      expect(await store.getGroup('nope')).toBeUndefined();
    });

    it('a topic created after a lookup found none is found (absent records are not cached)', async () => {
      const store = await temp.openStore(clock);
      expect(await store.getTopic('later')).toBeUndefined();
      await store.createTopic({ name: 'later', messageType: 'NORMAL', queueCount: 1 });
      expect((await store.getTopic('later'))?.name).toBe('later');
    });
  });
});
