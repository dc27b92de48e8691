// Setup file of the `postgres` vitest project (HALFMOON_TEST_STORE=postgres): stops the test
// file's throwaway PostgreSQL, if one was started, after everything else in the file has run
// (the file's own afterAll hooks close its brokers first).
import { afterAll } from 'vitest';
import { onPostgres, stopTestStore } from './test-store.js';

if (!onPostgres) throw new Error('test/helpers/postgres-setup.ts is for the postgres project: run it with HALFMOON_TEST_STORE=postgres');

afterAll(async () => {
  await stopTestStore();
});
