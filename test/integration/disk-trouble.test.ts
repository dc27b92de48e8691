// Disk trouble on LevelDB, for real: the data directory on a small tmpfs the test mounts (so it
// needs root; the permission case runs the CLI as nobody). A disk that fills up while the broker
// runs: sends fail with a status saying the disk is full, stored messages are still received and acked,
// /healthz answers 503 meanwhile, and once space is freed the broker accepts messages again by
// itself, nothing stored lost. At start, a full disk, a read-only directory, a permission error
// and a lock held by another broker each get their own message.
import { execFileSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LevelStore } from '../../src/store/level/index.js';
import { systemClock } from '../../src/util/clock.js';
import { startTestBroker, uniqueName, waitFor, type TestBroker } from '../helpers/broker.js';
import { runCli } from '../helpers/broker-process.js';
import { protoMessage, rawClient, type RawClient } from '../helpers/raw-client.js';

const MiB = 1024 * 1024;
const mounts: string[] = [];

/** A fresh tmpfs of `size` (e.g. '24m') mounted on a new directory; `ro` mounts it read-only. */
async function tmpfs(size: string, ro = false): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'halfmoon-disk-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}${ro ? ',ro' : ''}`, 'tmpfs', dir]);
  mounts.push(dir);
  return dir;
}

/** Writes a file until the filesystem has no space left; returns its path. */
async function fill(dir: string): Promise<string> {
  const path = join(dir, 'filler');
  const f = await open(path, 'w');
  const chunk = Buffer.alloc(256 * 1024, 7);
  try {
    for (;;) await f.write(chunk);
  } catch (err) {
    expect((err as NodeJS.ErrnoException).code).toBe('ENOSPC');
  } finally {
    await f.close().catch(() => undefined);
  }
  return path;
}

afterAll(async () => {
  for (const dir of mounts.splice(0)) {
    execFileSync('umount', ['-l', dir]);
    await rm(dir, { recursive: true, force: true });
  }
});

describe('a disk that fills up while the broker runs', () => {
  let tb: TestBroker | undefined;
  let raw: RawClient | undefined;
  afterEach(async () => {
    raw?.close();
    await tb?.close();
  });

  it('refuses sends with a disk-full status, keeps delivering stored messages, reports 503, and recovers by itself once space is freed', async () => {
    const disk = await tmpfs('40m');
    const dataDir = join(disk, 'data');
    await mkdir(dataDir);
    tb = await startTestBroker({ durable: true, diskReserveBytes: 12 * MiB, diskMinFreeBytes: 2 * MiB, diskRecoveryIntervalMs: 100 }, dataDir);
    const adminPort = tb.broker.adminPort!;
    const healthz = async () => {
      const res = await fetch(`http://127.0.0.1:${adminPort}/healthz`);
      return { code: res.status, body: (await res.json()) as { status: string; reason?: string } };
    };
    expect(await healthz()).toEqual({ code: 200, body: { status: 'ok' } });
    const topic = uniqueName('Disk');
    await tb.broker.services.topics.create(topic, 'NORMAL');
    raw = rawClient(tb.endpoint, 'disk-client');
    const send = (body: string) => raw!.unary('SendMessage', { messages: [protoMessage(topic, body)] });
    const stored: string[] = [];
    for (let i = 0; i < 5; i++) {
      expect((await send(`before-${i}`)).status.code).toBe('OK');
      stored.push(`before-${i}`);
    }

    // Another process fills the filesystem.
    const filler = await fill(disk);
    const big = 'x'.repeat(200 * 1024);
    let refused: { code: string; message: string } | undefined;
    for (let i = 0; i < 200 && !refused; i++) {
      const res = await send(`${big}-${i}`);
      if (res.status.code === 'OK') stored.push(`${big}-${i}`);
      else refused = res.status;
    }
    expect(refused?.code).toBe('INTERNAL_SERVER_ERROR');
    expect(refused?.message).toMatch(/disk is full.*no space left/i);
    const unhealthy = await healthz();
    expect(unhealthy.code).toBe(503);
    expect(unhealthy.body).toMatchObject({ status: 'unhealthy' });
    expect(unhealthy.body.reason).toContain('disk is full');
    // Further sends are refused at once, with the same clear status.
    expect((await send('while full')).status).toMatchObject({ code: 'INTERNAL_SERVER_ERROR', message: expect.stringContaining('disk is full') });

    // Stored messages are still received and acknowledged.
    const group = uniqueName('G');
    const received: string[] = [];
    for (let round = 0; round < 20 && received.length < stored.length; round++) {
      const responses = await raw.stream('ReceiveMessage', {
        group: { name: group },
        message_queue: { topic: { name: topic }, id: -1 },
        filter_expression: { type: 'TAG', expression: '*' },
        batch_size: 32,
        invisible_duration: { seconds: 60 },
        long_polling_timeout: { seconds: 1 },
      });
      expect(responses[0], JSON.stringify(responses[0])).toMatchObject({ status: { code: 'OK' } });
      for (const r of responses) {
        const m = r.message as { body: Buffer; system_properties: { message_id: string; receipt_handle: string } } | undefined;
        if (!m) continue;
        received.push(m.body.toString());
        const ack = await raw.unary('AckMessage', {
          group: { name: group },
          topic: { name: topic },
          entries: [{ message_id: m.system_properties.message_id, receipt_handle: m.system_properties.receipt_handle }],
        });
        expect(ack.status.code).toBe('OK');
      }
    }
    expect(received.sort()).toEqual([...stored].sort());

    // Space comes back: healthy again by itself, sends accepted, nothing stored lost.
    await rm(filler);
    await waitFor(async () => (await healthz()).code === 200, 15_000, 'healthy again');
    expect((await send('after')).status.code).toBe('OK');
    const all = await tb.broker.store.read(topic, 0, 0, 1000);
    expect(all.map((m) => m.body.toString())).toEqual([...stored, 'after']);
    // The sends that failed took no offsets: the log has no gap.
    expect(all.map((m) => m.offset)).toEqual(all.map((_, i) => i));
  });
});

describe('start on a data directory the broker cannot use', () => {
  const start = (dataDir: string, as: { uid?: number; gid?: number } = {}) =>
    runCli(['start', '--data', dataDir, '--grpc-port', '0', '--http-port', '0', '--admin-port', '0'], { HALFMOON_TEST_STORE: '', HALFMOON_STORE: '' }, as);
  let holder: LevelStore | undefined;
  beforeAll(() => {
    expect(process.getuid?.()).toBe(0); // mounting and running as another user need root
  });
  afterEach(async () => {
    await holder?.close();
    holder = undefined;
  });

  it('a full disk', async () => {
    const disk = await tmpfs('1m');
    await fill(disk);
    const r = await start(join(disk, 'data'));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/its filesystem is full \(.*No space left on device.*\); free space there/);
  });

  it('a read-only directory', async () => {
    const disk = await tmpfs('1m', true);
    const r = await start(disk);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/on a read-only filesystem \(.*Read-only file system.*\); remount it read-write/);
  });

  it('a permission error', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'halfmoon-perm-'));
    try {
      await chmod(dir, 0o700); // root's; the broker runs as nobody
      const r = await start(join(dir, 'data'), { uid: 65534, gid: 65534 });
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/permission denied \(.*permission denied.*\); make the directory and its files readable and writable by the broker's user \(uid 65534\)/i);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a lock held by another broker', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'halfmoon-lock-'));
    try {
      holder = new LevelStore({ path: dir, clock: systemClock, durable: false });
      await holder.open();
      await writeFile(join(dir, 'note'), 'held by the test');
      const r = await start(dir);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/another process holds its lock \(.*\); is another broker using this data directory\?/);
    } finally {
      await holder?.close();
      holder = undefined;
      await rm(dir, { recursive: true, force: true });
    }
  });
});
