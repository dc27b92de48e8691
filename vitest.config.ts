// Test runner configuration: unit tests and integration tests (real clients against a real broker
// started in-process on ephemeral ports). Integration files run in separate forks.
// Three projects, each with its own script: unit (test/unit), integration (test/integration
// without the slow files) and slow (the files that each take ~20 s or more: CLI and example
// processes, the official client, consumption end to end). `vitest run` runs all three, plus a
// fourth, postgres: the integration suites that matter once more with the test brokers on
// PostgreSQL (HALFMOON_TEST_STORE=postgres, a throwaway server per file, test/helpers/test-store.ts).
import { configDefaults, defineConfig } from 'vitest/config';

const SLOW = [
  'test/integration/bench-smoke.test.ts',
  'test/integration/bench-peers.test.ts',
  'test/integration/auth/cli-auth.test.ts',
  'test/integration/bench-cluster.test.ts',
  'test/integration/cli.test.ts',
  'test/integration/cli-send-consume.test.ts',
  'test/integration/consumption.test.ts',
  'test/integration/crash-soak.test.ts',
  'test/integration/consumption-cli.test.ts',
  'test/integration/examples.test.ts',
  'test/integration/official-client.test.ts',
  'test/integration/ops/console.test.ts',
  'test/integration/fuzz.test.ts',
];

/** Run on both backends: official-client conformance (NORMAL/FIFO/DELAY, Simple and Push), transactions, the HTTP seed flow, crash. */
const BOTH_BACKENDS = [
  'test/integration/official-client.test.ts',
  'test/integration/transactions.test.ts',
  'test/integration/multi-producer.test.ts',
  'test/integration/http/transactions.test.ts',
  'test/integration/http/messaging.test.ts',
  'test/integration/crash.test.ts',
  'test/integration/consumption-fifo.test.ts',
  'test/integration/consumption-durability.test.ts',
  'test/integration/ops/metrics.test.ts',
  'test/integration/ops/message-trace.test.ts',
  'test/integration/auth/grpc-auth.test.ts',
];

export default defineConfig({
  test: {
    environment: 'node',
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    teardownTimeout: 20_000,
    maxWorkers: 2,
    reporters: ['default'],
    // Brokers that tests start (in-process or as CLI children, which inherit it) bind their admin listener to a free port.
    // No disk reserve per test broker's data directory (the disk tests set one).
    env: { HALFMOON_ADMIN_PORT: '0', HALFMOON_DISK_RESERVE_BYTES: '0' },
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      { extends: true, test: { name: 'integration', include: ['test/integration/**/*.test.ts'], exclude: [...configDefaults.exclude, ...SLOW] } },
      { extends: true, test: { name: 'slow', include: SLOW } },
      {
        extends: true,
        test: { name: 'postgres', include: BOTH_BACKENDS, env: { HALFMOON_ADMIN_PORT: '0', HALFMOON_TEST_STORE: 'postgres' }, setupFiles: ['test/helpers/postgres-setup.ts'] },
      },
    ],
  },
});
