// Broker start and close: a start that fails part-way (here: the HTTP port is taken, after the
// store, the background tasks and the gRPC server started) closes what it started — the data
// directory and the gRPC port are free again for the next start.
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Broker } from '../../src/broker.js';
import { resolveConfig, type ConfigKey } from '../../src/config.js';
import { silentLogger } from '../../src/logger.js';
import { FAST_TIMINGS } from '../helpers/broker.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

async function start(dataDir: string, overrides: Partial<Record<ConfigKey, unknown>>): Promise<Broker> {
  const config = resolveConfig({ env: {}, overrides: { dataDir, grpcPort: 0, httpPort: 0, adminPort: 0, logLevel: 'silent', ...FAST_TIMINGS, ...overrides } });
  return Broker.start({ config, logger: silentLogger() });
}

describe('Broker.start', () => {
  it('closes the gRPC server, the background tasks and the store when a later part fails to start', async () => {
    const other = await mkdtemp(join(tmpdir(), 'halfmoon-start-a-'));
    const dir = await mkdtemp(join(tmpdir(), 'halfmoon-start-b-'));
    cleanups.push(
      () => rm(other, { recursive: true, force: true }),
      () => rm(dir, { recursive: true, force: true }),
    );
    const holder = await start(other, { httpEnabled: true });
    cleanups.push(() => holder.close());
    const grpcPort = await freePort();

    await expect(start(dir, { grpcPort, httpEnabled: true, httpPort: holder.httpPort })).rejects.toThrow(/EADDRINUSE|address is already in use/i);

    // Same data directory (the store was closed) and same gRPC port (the server was closed).
    const again = await start(dir, { grpcPort, httpEnabled: false });
    cleanups.push(() => again.close());
    expect(again.grpcPort).toBe(grpcPort);
  });

  it('closes idempotently, releasing the data directory', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'halfmoon-start-c-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const broker = await start(dir, { httpEnabled: false });
    await broker.close();
    await broker.close();
    const reopened = await start(dir, { httpEnabled: false });
    cleanups.push(() => reopened.close());
    expect(await reopened.store.listTopics()).toEqual([]);
  });
});
