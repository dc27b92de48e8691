// Shared pieces of the LevelDB-specific store tests: temporary data directories, messages, raw
// LevelDB access (to write records as an older Halfmoon did, or read what the store wrote).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Level } from 'level';
import type { MessageInput } from '../../../../src/domain/messages.js';
import type { Sub as RawSub } from '../../../../src/store/level/db.js';
import { LevelStore } from '../../../../src/store/level/index.js';
import type { LevelStoreOptions } from '../../../../src/store/level/store.js';
import type { Clock } from '../../../../src/util/clock.js';

let seq = 0;

/** A message record as formats up to 4 wrote it: 4-byte big-endian header length, JSON header, body. */
export function jsonRecord<T extends { body: Buffer }>(record: T): Buffer {
  const { body, ...header } = record;
  const head = Buffer.from(JSON.stringify(header), 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(head.length, 0);
  return Buffer.concat([length, head, body]);
}

export function message(topic: string, over: Partial<MessageInput> = {}): MessageInput {
  seq++;
  return {
    topic,
    messageId: `MSG${String(seq).padStart(8, '0')}`,
    messageType: 'NORMAL',
    body: Buffer.from(`body-${seq}`),
    keys: [],
    userProperties: {},
    bornTimestampMs: 1_600_000_000_000,
    bornHost: '127.0.0.1',
    ...over,
  };
}

/** A temporary directory per test, and the stores opened on it (closed and removed afterwards). */
export class TempStores {
  dir = '';
  private readonly open: LevelStore[] = [];

  async setUp(): Promise<void> {
    this.dir = await mkdtemp(join(tmpdir(), 'halfmoon-level-'));
  }

  async openStore(clock: Clock, options: Pick<LevelStoreOptions, 'durable' | 'halfCacheBytes' | 'engine'> = {}): Promise<LevelStore> {
    const store = new LevelStore({ path: this.dir, clock, ...options, durable: options.durable ?? false });
    await store.open();
    this.open.push(store);
    return store;
  }

  async tearDown(): Promise<void> {
    for (const s of this.open.splice(0)) await s.close();
    await rm(this.dir, { recursive: true, force: true });
  }
}

export type RawDb = Level<string, Buffer>;
export type { RawSub };

/** Opens the directory as plain LevelDB (the store must be closed), runs fn, closes it. */
export async function withRaw<T>(dir: string, fn: (sub: (name: string) => RawSub, db: RawDb) => Promise<T>): Promise<T> {
  const db = new Level<string, Buffer>(dir, { keyEncoding: 'utf8', valueEncoding: 'buffer' });
  await db.open();
  try {
    return await fn((name) => db.sublevel<string, Buffer>(name, { keyEncoding: 'utf8', valueEncoding: 'buffer' }), db);
  } finally {
    await db.close();
  }
}

export const jsonValue = (v: unknown): Buffer => Buffer.from(JSON.stringify(v), 'utf8');
