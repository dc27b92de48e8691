// LevelDB's own sizing (EngineOptions: memtable, table cache, block cache) as the store passes it
// on: with a table cache far smaller than the tables written (which LevelDB then closes and
// reopens, unmapping them) and no block cache, every message is still read back, across a reopen.
import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, resolveConfig } from '../../../../src/config.js';
import { BLOCK_CACHE_BYTES, MAX_OPEN_FILES, WRITE_BUFFER_BYTES } from '../../../../src/store/level/db.js';
import { HALF_CACHE_BYTES } from '../../../../src/store/level/transactions.js';
import { FakeClock } from '../../../../src/util/clock.js';
import { message, TempStores } from './helpers.js';

const engine = { writeBufferBytes: 1024 * 1024, maxOpenFiles: 20, cacheBytes: 0 };

describe('LevelStore engine options', () => {
  it('defaults in the configuration to the defaults of the store, and is set by env or flag', () => {
    expect(DEFAULT_CONFIG.levelWriteBufferBytes).toBe(WRITE_BUFFER_BYTES);
    expect(DEFAULT_CONFIG.levelMaxOpenFiles).toBe(MAX_OPEN_FILES);
    expect(DEFAULT_CONFIG.levelCacheBytes).toBe(BLOCK_CACHE_BYTES);
    expect(DEFAULT_CONFIG.halfCacheBytes).toBe(HALF_CACHE_BYTES);
    const c = resolveConfig({ env: { HALFMOON_LEVEL_MAX_OPEN_FILES: '64', HALFMOON_LEVEL_CACHE_BYTES: '0' }, overrides: { halfCacheBytes: '1024' } });
    expect([c.levelMaxOpenFiles, c.levelCacheBytes, c.halfCacheBytes]).toEqual([64, 0, 1024]);
    expect(() => resolveConfig({ overrides: { levelMaxOpenFiles: 5 } })).toThrow(/levelMaxOpenFiles/);
  });

  const temp = new TempStores();
  beforeEach(() => temp.setUp());
  afterEach(() => temp.tearDown());

  it('reads every message back through a small table cache and no block cache', async () => {
    const clock = new FakeClock();
    let store = await temp.openStore(clock, { engine });
    await store.createTopic({ name: 'sized', messageType: 'NORMAL', queueCount: 1 });
    const count = 4_000;
    // Incompressible bodies: LevelDB's snappy would shrink repeated bytes into a few tables.
    const bodies = Array.from({ length: count }, () => randomBytes(4096));
    const bodyOf = (i: number): Buffer => bodies[i]!;
    for (let i = 0; i < count; i += 100) {
      await store.append(
        'sized',
        0,
        Array.from({ length: 100 }, (_, j) => message('sized', { body: bodyOf(i + j) })),
      );
    }
    await store.close();
    // More tables than the table cache holds (maxOpenFiles less LevelDB's 10 other files).
    expect((await readdir(temp.dir)).filter((f) => f.endsWith('.ldb')).length).toBeGreaterThan(engine.maxOpenFiles - 10);
    store = await temp.openStore(clock, { engine });
    let seen = 0;
    for (let from = 0; from < count; from += 500) {
      for (const m of await store.read('sized', 0, from, 500)) {
        expect(m.body.equals(bodyOf(m.offset))).toBe(true);
        seen++;
      }
    }
    expect(seen).toBe(count);
  });
});
