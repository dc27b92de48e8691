// The `store` setting: empty = LevelDB in dataDir, a postgres:// or postgresql:// URL = PgStore
// (with ?schema=), anything else refused with a message saying what to write.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, InvalidConfigError, resolveConfig } from '../../../src/config.js';
import { LevelStore } from '../../../src/store/level/index.js';
import { createStore, parseStoreUrl } from '../../../src/store/open-store.js';
import { PgStore } from '../../../src/store/pg/index.js';
import { FakeClock } from '../../../src/util/clock.js';

describe('the store setting', () => {
  it('is empty by default: LevelDB in dataDir', async () => {
    expect(DEFAULT_CONFIG.store).toBe('');
    const dir = await mkdtemp(join(tmpdir(), 'halfmoon-open-store-'));
    try {
      const store = await createStore({ ...DEFAULT_CONFIG, dataDir: dir }, new FakeClock());
      expect(store).toBeInstanceOf(LevelStore);
      expect(store.capabilities).toEqual({ sharedAcrossProcesses: false, persistent: true });
      // LevelDB opens its directory in the background on its own: close before the directory goes.
      await store.open();
      await store.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('opens PgStore for postgres:// and postgresql:// URLs, taking ?schema= out of the driver URL', async () => {
    expect(parseStoreUrl('postgres://u:p@db.example:5433/broker')).toEqual({ connectionString: 'postgres://u:p@db.example:5433/broker', schema: 'halfmoon' });
    expect(parseStoreUrl('postgresql://u@127.0.0.1/broker?schema=team_a&sslmode=disable')).toEqual({
      connectionString: 'postgresql://u@127.0.0.1/broker?sslmode=disable',
      schema: 'team_a',
    });
    const store = await createStore({ ...DEFAULT_CONFIG, store: 'postgres://u@127.0.0.1:1/broker' }, new FakeClock());
    expect(store).toBeInstanceOf(PgStore);
    expect(store.capabilities).toEqual({ sharedAcrossProcesses: true, persistent: true });
  });

  it('refuses anything else with a message saying what to write', () => {
    for (const [value, why] of [
      ['localhost:5432', /unsupported scheme localhost/],
      ['not a url', /must be a PostgreSQL URL/],
      ['mysql://u@h/db', /unsupported scheme mysql/],
      ['postgres://u@h', /names no database/],
      ['postgres://u@h/db?schema=Bad-Name', /invalid schema "Bad-Name"/],
    ] as const) {
      const call = (): unknown => parseStoreUrl(value);
      expect(call, value).toThrow(InvalidConfigError);
      expect(call, value).toThrow(why);
      expect(call, value).toThrow(/postgres:\/\/user:password@host:port\/database|lower-case letters/);
    }
  });

  it('is read from the environment (HALFMOON_STORE) like every setting', () => {
    const config = resolveConfig({ env: { HALFMOON_STORE: 'postgres://u@h/db' } });
    expect(config.store).toBe('postgres://u@h/db');
  });
});
