// Server-side renewal of push consumer deliveries with a fake clock: renewed shortly before
// expiry while the client is alive (same receipt handle), released when it leaves or goes quiet,
// given up after autoRenewMaxMs, and resumed after a restart.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type BrokerConfig } from '../../../src/config.js';
import { AutoRenewService } from '../../../src/consumer/auto-renew.js';
import { silentLogger } from '../../../src/logger.js';
import { SessionRegistry } from '../../../src/session/session-registry.js';
import { LevelStore } from '../../../src/store/level/index.js';
import type { ReceiveRequest } from '../../../src/domain/consumption.js';
import { FakeClock } from '../../../src/util/clock.js';
import { makeMessage } from '../store/contract/index.js';

const SECOND = 1000;
const T = 'Orders';
const G = 'workers';
let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

const BROKER = 'broker-1';

async function setup(overrides: Partial<BrokerConfig> = {}) {
  const clock = new FakeClock();
  const dir = await mkdtemp(join(tmpdir(), 'halfmoon-renew-'));
  let store = new LevelStore({ path: dir, clock, durable: false });
  await store.open();
  // The timer never fires in these tests (huge interval): each test drives tick() itself.
  const config = { ...DEFAULT_CONFIG, autoRenewCheckIntervalMs: 3_600_000, ...overrides };
  const sessions = new SessionRegistry(store.events);
  const make = (): AutoRenewService => new AutoRenewService({ store, sessions, config, clock, log: silentLogger(), brokerId: BROKER });
  let renewals = make();
  await store.createTopic({ name: T, messageType: 'NORMAL', queueCount: 1 });
  await store.append(T, 0, [makeMessage(T, { body: Buffer.from('job') })]);
  cleanup = async () => {
    await renewals.close();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  };
  const request = (over: Partial<ReceiveRequest> = {}): ReceiveRequest => ({
    group: G,
    topic: T,
    filter: { kind: 'all' },
    maxMessages: 10,
    invisibleDurationMs: config.autoRenewInvisibleDurationMs,
    maxDeliveryAttempts: 16,
    fifo: false,
    ...over,
  });
  /** A push consumer takes the message; the service tracks it. */
  const pushReceive = async (clientId: string) => {
    const { deliveries } = await store.receive(request({ autoRenew: { clientId, brokerId: BROKER } }));
    renewals.track(G, T, clientId, deliveries);
    return deliveries;
  };
  /** What another consumer of the group would get right now. */
  const others = async () => (await store.receive(request({ invisibleDurationMs: 10 * SECOND }))).deliveries;
  const liveClient = (clientId: string) => sessions.attach(clientId, { sendTransactionCheck: () => true }, clock.now());
  /** When the next in-flight message becomes visible again. */
  const redeliveryAt = async () => {
    const inMs = await store.nextRedeliveryInMs(G, T);
    return inMs === undefined ? undefined : clock.now() + inMs;
  };
  return {
    clock,
    config,
    sessions,
    redeliveryAt,
    get store() {
      return store;
    },
    get renewals() {
      return renewals;
    },
    pushReceive,
    others,
    liveClient,
    async restart() {
      await renewals.close();
      await store.close();
      store = new LevelStore({ path: dir, clock, durable: false });
      await store.open();
      renewals = make();
      await renewals.start();
    },
  };
}

describe('AutoRenewService', () => {
  it('renews a live client’s delivery shortly before it expires and the original handle still acks', async () => {
    const h = await setup();
    const sink = { sendTransactionCheck: () => true };
    h.sessions.attach('push-1', sink, h.clock.now());
    const [d] = await h.pushReceive('push-1');
    expect(d!.invisibleUntilMs).toBe(h.clock.now() + 60 * SECOND);

    h.clock.advance(45 * SECOND);
    await h.renewals.tick(); // 15 s left: not yet
    expect(await h.redeliveryAt()).toBe(d!.invisibleUntilMs);
    h.clock.advance(6 * SECOND);
    await h.renewals.tick(); // 9 s left (< 10 s threshold): renewed for another 60 s
    expect(await h.redeliveryAt()).toBe(h.clock.now() + 60 * SECOND);

    // Hours later, still renewed, never handed to anyone else.
    for (let i = 0; i < 200; i++) {
      h.clock.advance(5 * SECOND);
      await h.renewals.tick();
      expect(await h.others()).toEqual([]);
    }
    expect(await h.store.ack(G, T, d!.receiptHandle)).toBe('ok');
    // (ConsumerService forgets acked handles at once; without that, the next renewal finds it stale.)
    h.clock.advance(60 * SECOND);
    await h.renewals.tick();
    expect(h.renewals.size).toBe(0);
  });

  it('releases the messages of a client whose stream closed and who stayed silent past clientIdleTimeoutMs', async () => {
    const h = await setup({ clientIdleTimeoutMs: 30 * SECOND });
    const sink = { sendTransactionCheck: () => true };
    h.sessions.attach('push-1', sink, h.clock.now());
    const [d] = await h.pushReceive('push-1');
    h.clock.advance(5 * SECOND);
    h.sessions.detach('push-1', sink); // the stream broke (e.g. the process died)
    h.clock.advance(20 * SECOND);
    await h.renewals.tick();
    expect(await h.others()).toEqual([]); // only 25 s since last seen
    h.sessions.touch('push-1', h.clock.now()); // a heartbeat keeps it alive
    h.clock.advance(29 * SECOND);
    await h.renewals.tick();
    expect(await h.others()).toEqual([]);
    h.clock.advance(1 * SECOND);
    await h.renewals.tick();
    const [again] = await h.others();
    expect(again!.message.messageId).toBe(d!.message.messageId);
    expect(again!.deliveryAttempt).toBe(2);
    expect(await h.store.ack(G, T, d!.receiptHandle)).toBe('stale');
    expect(h.renewals.size).toBe(0);
  });

  it('releases at once when the client terminates', async () => {
    const h = await setup();
    h.liveClient('push-1');
    const [d] = await h.pushReceive('push-1');
    h.sessions.remove('push-1');
    await h.renewals.clientGone('push-1');
    const [again] = await h.others();
    expect(again!.message.messageId).toBe(d!.message.messageId);
    expect(h.renewals.size).toBe(0);
  });

  it('stops renewing after autoRenewMaxMs: the delivery then expires normally', async () => {
    const h = await setup({ autoRenewMaxMs: 100 * SECOND });
    h.liveClient('push-1');
    await h.pushReceive('push-1');
    for (let i = 0; i < 20; i++) {
      h.clock.advance(5 * SECOND);
      await h.renewals.tick();
    }
    expect(h.renewals.size).toBe(0);
    const until = await h.redeliveryAt();
    expect(until).toBeGreaterThan(h.clock.now());
    h.clock.advance(until! - h.clock.now());
    expect((await h.others())[0]!.deliveryAttempt).toBe(2);
  });

  it('resumes after a restart: a client that reconnects keeps its messages, one that does not loses them', async () => {
    const h = await setup({ clientIdleTimeoutMs: 30 * SECOND });
    await h.store.append(T, 0, [makeMessage(T, { body: Buffer.from('second') })]);
    h.liveClient('stays');
    h.liveClient('leaves');
    const [kept] = await h.store
      .receive({
        group: G,
        topic: T,
        filter: { kind: 'all' },
        maxMessages: 1,
        invisibleDurationMs: 60 * SECOND,
        maxDeliveryAttempts: 16,
        fifo: false,
        autoRenew: { clientId: 'stays', brokerId: BROKER },
      })
      .then((r) => r.deliveries);
    const [lost] = await h.store
      .receive({
        group: G,
        topic: T,
        filter: { kind: 'all' },
        maxMessages: 1,
        invisibleDurationMs: 60 * SECOND,
        maxDeliveryAttempts: 16,
        fifo: false,
        autoRenew: { clientId: 'leaves', brokerId: BROKER },
      })
      .then((r) => r.deliveries);

    const sessionsBefore = h.sessions.all().length;
    await h.restart();
    expect(h.renewals.size).toBe(2);
    // A restarted broker has no sessions; simulate that, then let one client reconnect.
    for (const s of h.sessions.all()) h.sessions.remove(s.clientId);
    expect(sessionsBefore).toBe(2);
    h.clock.advance(10 * SECOND);
    h.liveClient('stays');
    for (let i = 0; i < 5; i++) {
      h.clock.advance(5 * SECOND);
      await h.renewals.tick();
    }
    const got = await h.others();
    expect(got.map((d) => d.message.messageId)).toEqual([lost!.message.messageId]);
    expect(await h.store.ack(G, T, kept!.receiptHandle)).toBe('ok');
  });
});
