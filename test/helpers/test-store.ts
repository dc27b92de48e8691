// Chooses the store backend the integration test brokers run on: LevelDB in the broker's data
// directory (the default), or PostgreSQL when HALFMOON_TEST_STORE=postgres (the `postgres`
// vitest project). On PostgreSQL one throwaway server is started lazily, the first time a test
// file asks for a store, and stopped at the end of that file (test/helpers/postgres-setup.ts);
// each broker gets its own fresh schema on it, so brokers never see each other's data, and a
// restarted broker (same data directory) reopens the same schema. A missing PostgreSQL fails the
// test with the message of startPostgres, it is never a skip.
import { startPostgres, type TestPostgres } from './postgres.js';

const VALUE = process.env.HALFMOON_TEST_STORE ?? '';
if (VALUE !== '' && VALUE !== 'level' && VALUE !== 'postgres') {
  throw new Error(`HALFMOON_TEST_STORE must be empty, "level" or "postgres", got ${JSON.stringify(VALUE)}`);
}

/** True when the test brokers run on PostgreSQL. */
export const onPostgres = VALUE === 'postgres';

let server: Promise<TestPostgres> | undefined;
let schemas = 0;
/** Store URL by data directory: a broker restarted on the same directory reopens the same schema. */
const byDataDir = new Map<string, string>();

function sharedServer(): Promise<TestPostgres> {
  server ??= startPostgres().catch((err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    throw new Error(`HALFMOON_TEST_STORE=postgres, but the test PostgreSQL could not be started: ${message}`, { cause: err });
  });
  return server;
}

/**
 * The `store` setting for a broker whose data lives in `dataDir`: '' on LevelDB; on PostgreSQL the
 * URL of a schema of its own, the same one every time it is asked for the same directory.
 */
export async function storeFor(dataDir: string): Promise<string> {
  if (!onPostgres) return '';
  const known = byDataDir.get(dataDir);
  if (known !== undefined) return known;
  const pg = await sharedServer();
  schemas += 1;
  const url = `${pg.url()}?schema=b${process.pid}_${schemas}`;
  byDataDir.set(dataDir, url);
  return url;
}

/** Drops the schema of a broker that is gone for good (its data directory is being removed). */
export async function releaseStore(dataDir: string): Promise<void> {
  const url = byDataDir.get(dataDir);
  if (url === undefined || server === undefined) return;
  byDataDir.delete(dataDir);
  const schema = new URL(url).searchParams.get('schema');
  if (schema) await (await server).query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
}

/** Stops the shared server, if this test file started one. */
export async function stopTestStore(): Promise<void> {
  const running = server;
  server = undefined;
  byDataDir.clear();
  if (running) await (await running).stop();
}
