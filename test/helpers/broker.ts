// Test harness: a real broker in this process on an ephemeral port with its own temp data dir and
// fast timings, plus quiet official-client options. With HALFMOON_TEST_STORE=postgres the broker's
// store is a fresh schema on a throwaway PostgreSQL (test/helpers/test-store.ts), reopened by
// restart(); an explicit `store` override wins.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Broker } from '../../src/broker.js';
import { resolveConfig, type BrokerConfig, type ConfigKey } from '../../src/config.js';
import { silentLogger } from '../../src/logger.js';
import { releaseStore, storeFor } from './test-store.js';

export interface TestBroker {
  broker: Broker;
  endpoint: string;
  dataDir: string;
  config: BrokerConfig;
  /** Stops the broker and starts a new one on the same data dir and port. */
  restart(overrides?: Partial<Record<ConfigKey, unknown>>): Promise<TestBroker>;
  close(): Promise<void>;
}

export const FAST_TIMINGS: Partial<Record<ConfigKey, unknown>> = {
  durable: false,
  diskReserveBytes: 0, // no disk reserve per test broker (the disk tests set one)
  transactionTimeoutMs: 1000,
  transactionCheckIntervalMs: 1000,
  transactionCheckTickMs: 50,
  transactionRestartJitterMs: 0,
  minLongPollingTimeoutMs: 0,
  delayPollMs: 50,
};

export async function startTestBroker(overrides: Partial<Record<ConfigKey, unknown>> = {}, dataDir?: string): Promise<TestBroker> {
  const dir = dataDir ?? (await mkdtemp(join(tmpdir(), 'halfmoon-test-')));
  const store = overrides.store ?? (await storeFor(dir));
  const config = resolveConfig({
    env: {},
    overrides: { dataDir: dir, store, grpcPort: 0, httpPort: 0, httpEnabled: false, adminPort: 0, logLevel: 'silent', ...FAST_TIMINGS, ...overrides },
  });
  const broker = await Broker.start({ config, logger: process.env.HALFMOON_TEST_LOG ? undefined : silentLogger() });
  const self: TestBroker = {
    broker,
    endpoint: `127.0.0.1:${broker.grpcPort}`,
    dataDir: dir,
    config,
    async restart(more = {}) {
      await broker.close();
      return startTestBroker({ ...overrides, grpcPort: broker.grpcPort, ...more }, dir);
    },
    async close() {
      await broker.close();
      await releaseStore(dir);
      await rm(dir, { recursive: true, force: true });
    },
  };
  return self;
}

/** A logger for the official client that keeps test output clean (errors still shown). */
export const quietClientLogger = {
  info: () => undefined,
  warn: () => undefined,
  debug: () => undefined,
  error: (...args: unknown[]) => {
    if (process.env.HALFMOON_TEST_LOG) console.error(...args);
  },
};

let counter = 0;
/** A unique resource name for one test. */
export function uniqueName(prefix: string): string {
  counter += 1;
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${counter}`;
}

export async function waitFor<T>(fn: () => T | undefined | Promise<T | undefined>, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
