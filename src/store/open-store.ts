// Owns choosing the broker's store from its configuration: `store` empty = LevelDB in dataDir;
// a postgres:// or postgresql:// URL = PgStore on that database (optional ?schema=name, default
// halfmoon). Anything else is refused at start with a message saying what to write.
import { InvalidConfigError, type BrokerConfig } from '../config.js';
import type { Logger } from '../logger.js';
import type { EventBus } from '../runtime/event-bus.js';
import type { Clock } from '../util/clock.js';
import type { BrokerStore } from './broker-store.js';
import { LevelStore } from './level/index.js';

const USAGE = 'use postgres://user:password@host:port/database (optionally ?schema=name), or leave it empty for LevelDB in dataDir';

export interface PgTarget {
  /** The URL without the schema parameter (handed to the driver). */
  connectionString: string;
  schema: string;
}

/** Parses a PostgreSQL store URL; undefined when `store` is empty (LevelDB). */
export function parseStoreUrl(store: string): PgTarget | undefined {
  const value = store.trim();
  if (value === '') return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidConfigError(`'store' must be a PostgreSQL URL, got ${JSON.stringify(value)}: ${USAGE}`);
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new InvalidConfigError(`'store' has the unsupported scheme ${url.protocol.replace(/:$/, '')}: ${USAGE}`);
  }
  if (!url.hostname && !url.searchParams.get('host')) throw new InvalidConfigError(`'store' names no database host: ${USAGE}`);
  if (url.pathname.replace(/^\//, '') === '') throw new InvalidConfigError(`'store' names no database: ${USAGE}`);
  const schema = url.searchParams.get('schema') ?? 'halfmoon';
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new InvalidConfigError(`'store' has an invalid schema "${schema}": use lower-case letters, digits and _ (at most 63), starting with a letter or _`);
  }
  url.searchParams.delete('schema');
  return { connectionString: url.toString(), schema };
}

/**
 * The store the configuration names (not opened yet). The PostgreSQL backend is loaded only when
 * named: its driver alone takes ~18 MB of a LevelDB broker's memory otherwise.
 */
export async function createStore(
  config: Pick<
    BrokerConfig,
    | 'store'
    | 'dataDir'
    | 'durable'
    | 'diskReserveBytes'
    | 'diskMinFreeBytes'
    | 'diskRecoveryIntervalMs'
    | 'levelWriteBufferBytes'
    | 'levelMaxOpenFiles'
    | 'levelCacheBytes'
    | 'halfCacheBytes'
  >,
  clock: Clock,
  events?: EventBus,
  log?: Logger,
): Promise<BrokerStore> {
  const pg = parseStoreUrl(config.store);
  if (pg) {
    const { PgStore } = await import('./pg/index.js');
    return new PgStore({ ...pg, clock, ...(events ? { events } : {}), ...(log ? { log } : {}) });
  }
  const disk = {
    reserveBytes: config.diskReserveBytes,
    minFreeBytes: config.diskMinFreeBytes,
    recoveryIntervalMs: config.diskRecoveryIntervalMs,
    ...(log ? { log } : {}),
  };
  const engine = { writeBufferBytes: config.levelWriteBufferBytes, maxOpenFiles: config.levelMaxOpenFiles, cacheBytes: config.levelCacheBytes };
  return new LevelStore({ path: config.dataDir, clock, durable: config.durable, disk, engine, halfCacheBytes: config.halfCacheBytes, ...(events ? { events } : {}) });
}
