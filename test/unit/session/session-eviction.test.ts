// Idle session eviction with a fake clock: sessions without a stream not heard from for
// sessionEvictAfterMs go (on the background interval too); a live stream, recent contact or push
// deliveries still tracked by auto-renewal keep a session; and with a real AutoRenewService and
// LevelStore, eviction does not change when a departed client's deliveries are released.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../../src/config.js';
import { AutoRenewService } from '../../../src/consumer/auto-renew.js';
import { silentLogger } from '../../../src/logger.js';
import { InProcessEventBus } from '../../../src/runtime/event-bus.js';
import { SessionEviction } from '../../../src/session/session-eviction.js';
import { SessionRegistry, type CommandSink } from '../../../src/session/session-registry.js';
import { LevelStore } from '../../../src/store/level/index.js';
import { FakeClock } from '../../../src/util/clock.js';
import { makeMessage } from '../store/contract/index.js';

const MINUTE = 60_000;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const sink = (): CommandSink => ({ sendTransactionCheck: () => true });
const config = { ...DEFAULT_CONFIG, sessionEvictAfterMs: 10 * MINUTE, sessionEvictCheckIntervalMs: MINUTE };

function eviction(clock: FakeClock, sessions: SessionRegistry, inUse: () => ReadonlySet<string> = () => new Set()): SessionEviction {
  const e = new SessionEviction({ sessions, inUse, config, clock, log: silentLogger() });
  cleanups.push(() => e.close());
  return e;
}

describe('SessionEviction', () => {
  it('evicts sessions without a stream not heard from for sessionEvictAfterMs, and only those', () => {
    const clock = new FakeClock();
    const sessions = new SessionRegistry(new InProcessEventBus());
    const e = eviction(clock, sessions, () => new Set(['pusher']));
    sessions.touch('quiet', clock.now());
    sessions.touch('chatty', clock.now());
    sessions.attach('streaming', sink(), clock.now());
    sessions.touch('pusher', clock.now());
    const gone = sessions.attach('stream-closed', sink(), clock.now());
    sessions.detach('stream-closed', gone.sink!);

    clock.advance(9 * MINUTE);
    sessions.touch('chatty', clock.now()); // a heartbeat
    expect(e.sweep()).toEqual([]);
    clock.advance(MINUTE - 1);
    expect(e.sweep()).toEqual([]);
    clock.advance(1);
    expect(e.sweep().sort()).toEqual(['quiet', 'stream-closed']);
    expect(
      sessions
        .all()
        .map((s) => s.clientId)
        .sort(),
    ).toEqual(['chatty', 'pusher', 'streaming']);
    clock.advance(60 * MINUTE);
    expect(e.sweep()).toEqual(['chatty']); // the stream and the tracked deliveries still keep theirs
  });

  it('sweeps in the background every sessionEvictCheckIntervalMs', async () => {
    const clock = new FakeClock();
    const sessions = new SessionRegistry(new InProcessEventBus());
    eviction(clock, sessions).start();
    sessions.touch('quiet', clock.now());
    for (let i = 0; i < 9; i++) {
      clock.advance(MINUTE);
      await new Promise((r) => setImmediate(r));
    }
    expect(sessions.get('quiet')).toBeDefined();
    clock.advance(MINUTE);
    await new Promise((r) => setImmediate(r));
    expect(sessions.get('quiet')).toBeUndefined();
    expect(clock.pendingTimers()).toBe(1);
  });

  it('keeps a departed push consumer until auto-renewal released its delivery, which still happens on its last-seen time', async () => {
    const clock = new FakeClock();
    const dir = await mkdtemp(join(tmpdir(), 'halfmoon-evict-'));
    const store = new LevelStore({ path: dir, clock, durable: false });
    await store.open();
    cleanups.push(async () => {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    });
    await store.createTopic({ name: 'Jobs', messageType: 'NORMAL', queueCount: 1 });
    await store.append('Jobs', 0, [makeMessage('Jobs')]);
    const sessions = new SessionRegistry(store.events);
    // Idle clients lose their deliveries after 30 minutes, long after their session would be evicted.
    const renewConfig = { ...config, clientIdleTimeoutMs: 30 * MINUTE, autoRenewInvisibleDurationMs: 120 * MINUTE, autoRenewCheckIntervalMs: 120 * MINUTE };
    const renewals = new AutoRenewService({ store, sessions, config: renewConfig, clock, log: silentLogger(), brokerId: 'broker-1' });
    cleanups.push(() => renewals.close());
    const e = eviction(clock, sessions, () => renewals.trackedClients());
    const request = { group: 'workers', topic: 'Jobs', filter: { kind: 'all' as const }, maxMessages: 1, maxDeliveryAttempts: 16, fifo: false };

    const stream = sessions.attach('push-1', sink(), clock.now());
    const { deliveries } = await store.receive({ ...request, invisibleDurationMs: 120 * MINUTE, autoRenew: { clientId: 'push-1', brokerId: 'broker-1' } });
    renewals.track('workers', 'Jobs', 'push-1', deliveries);
    sessions.detach('push-1', stream.sink!); // the stream broke
    clock.advance(15 * MINUTE);
    sessions.touch('push-1', clock.now()); // heard from once more (a heartbeat)
    sessions.touch('other', clock.now());

    clock.advance(11 * MINUTE); // both idle past sessionEvictAfterMs
    expect(e.sweep()).toEqual(['other']); // push-1's delivery is still tracked
    clock.advance(5 * MINUTE); // 31 min after the receive, 16 after the last heartbeat
    await renewals.tick();
    expect((await store.receive({ ...request, invisibleDurationMs: MINUTE })).deliveries).toEqual([]);

    clock.advance(14 * MINUTE); // 30 min after the last heartbeat: gone
    await renewals.tick();
    const [again] = (await store.receive({ ...request, invisibleDurationMs: MINUTE })).deliveries;
    expect(again!.message.messageId).toBe(deliveries[0]!.message.messageId);
    expect(again!.deliveryAttempt).toBe(2);
    expect(e.sweep()).toEqual(['push-1']); // nothing tracked any more: the session goes too
  });
});
