// Live client sessions: Telemetry stream attach/detach (a stale stream's close must not drop
// the newer one), which producers can be asked about a transaction, and the producer-available
// announcements. (Who is asked is a domain rule: test/unit/domain/transactions.test.ts.)
import { describe, expect, it, vi } from 'vitest';
import { InProcessEventBus } from '../../../src/runtime/event-bus.js';
import { SessionRegistry, type ClientSession, type CommandSink } from '../../../src/session/session-registry.js';
import { FakeClock } from '../../../src/util/clock.js';

const sink = (): CommandSink => ({ sendTransactionCheck: () => true });

/** A live producer of `topics`. */
function producer(reg: SessionRegistry, clientId: string, topics: string[], now = 1): ClientSession {
  const s = reg.attach(clientId, sink(), now);
  s.clientType = 'PRODUCER';
  for (const t of topics) s.topics.add(t);
  return s;
}

describe('touch / get / remove', () => {
  it('creates a session once and updates its liveness', () => {
    const reg = new SessionRegistry(new InProcessEventBus());
    const s = reg.touch('c1', 100);
    expect(s).toMatchObject({ clientId: 'c1', clientType: 'CLIENT_TYPE_UNSPECIFIED', lastSeenMs: 100 });
    expect(s.topics.size).toBe(0);
    expect(s.sink).toBeUndefined();
    expect(reg.touch('c1', 200)).toBe(s);
    expect(s.lastSeenMs).toBe(200);
    expect(reg.get('c1')).toBe(s);
    expect(reg.get('nobody')).toBeUndefined();
  });

  it('remove forgets the session', () => {
    const reg = new SessionRegistry(new InProcessEventBus());
    reg.touch('c1', 1);
    reg.touch('c2', 1);
    reg.remove('c1');
    expect(reg.get('c1')).toBeUndefined();
    expect(reg.all().map((s) => s.clientId)).toEqual(['c2']);
    reg.remove('unknown'); // no-op
  });
});

describe('attach / detach', () => {
  it('attach binds the sink and touches the session', () => {
    const reg = new SessionRegistry(new InProcessEventBus());
    const a = sink();
    const s = reg.attach('c1', a, 50);
    expect(s.sink).toBe(a);
    expect(s.lastSeenMs).toBe(50);
    expect(reg.get('c1')).toBe(s);
  });

  it('a reconnect replaces the stream; the old stream closing later does not drop the new one', () => {
    const reg = new SessionRegistry(new InProcessEventBus());
    const oldSink = sink();
    const newSink = sink();
    reg.attach('c1', oldSink, 1);
    reg.attach('c1', newSink, 2);
    expect(reg.get('c1')!.sink).toBe(newSink);
    reg.detach('c1', oldSink);
    expect(reg.get('c1')!.sink).toBe(newSink);
    reg.detach('c1', newSink);
    expect(reg.get('c1')!.sink).toBeUndefined();
    expect(reg.get('c1')).toBeDefined(); // the session itself survives
  });

  it('detach of an unknown client is a no-op', () => {
    const reg = new SessionRegistry(new InProcessEventBus());
    expect(() => reg.detach('nobody', sink())).not.toThrow();
    expect(reg.all()).toEqual([]);
  });

  it('attach keeps the session state (type, group, topics)', () => {
    const reg = new SessionRegistry(new InProcessEventBus());
    const s = producer(reg, 'c1', ['Orders']);
    s.group = 'pg';
    reg.detach('c1', s.sink!);
    const again = reg.attach('c1', sink(), 9);
    expect(again).toBe(s);
    expect(again.clientType).toBe('PRODUCER');
    expect(again.group).toBe('pg');
    expect([...again.topics]).toEqual(['Orders']);
  });
});

describe('liveProducers', () => {
  it('returns producers with a live stream that publish the topic', () => {
    const reg = new SessionRegistry(new InProcessEventBus());
    const p1 = producer(reg, 'p1', ['Orders']);
    const p2 = producer(reg, 'p2', ['Orders', 'Payments']);
    producer(reg, 'p3', ['Payments']); // other topic
    const consumer = reg.attach('c1', sink(), 1);
    consumer.clientType = 'PUSH_CONSUMER';
    consumer.topics.add('Orders'); // not a producer
    const unspecified = reg.attach('u1', sink(), 1);
    unspecified.topics.add('Orders'); // type not known yet
    const offline = producer(reg, 'p4', ['Orders']);
    reg.detach('p4', offline.sink!); // no stream

    expect(reg.liveProducers('Orders')).toEqual([p1, p2]);
    expect(reg.liveProducers('Payments').map((s) => s.clientId)).toEqual(['p2', 'p3']);
    expect(reg.liveProducers('Nothing')).toEqual([]);
  });

  it('a producer without a stream is not live even if it published', () => {
    const reg = new SessionRegistry(new InProcessEventBus());
    const s = reg.touch('p1', 1);
    s.clientType = 'PRODUCER';
    reg.notePublished('p1', 'Orders', 2);
    expect(reg.liveProducers('Orders')).toEqual([]);
    reg.attach('p1', sink(), 3);
    expect(reg.liveProducers('Orders')).toEqual([s]);
  });
});

describe('announcements', () => {
  /** A registry and what it announced as producerAvailable on its bus. */
  const announcing = () => {
    const events = new InProcessEventBus();
    const listener = vi.fn();
    events.onAny('producerAvailable', listener);
    return { events, listener, reg: new SessionRegistry(events) };
  };

  it('notePublished records the topic and announces a live session once per new topic', () => {
    const { reg, listener } = announcing();
    const s = producer(reg, 'p1', []);
    reg.notePublished('p1', 'Orders', 10);
    expect(s.topics.has('Orders')).toBe(true);
    expect(s.lastSeenMs).toBe(10);
    expect(listener).toHaveBeenCalledTimes(1);
    expect(listener).toHaveBeenCalledWith('p1');
    reg.notePublished('p1', 'Orders', 11); // known topic: no announcement
    expect(listener).toHaveBeenCalledTimes(1);
    expect(s.lastSeenMs).toBe(11);
    reg.notePublished('p1', 'Payments', 12);
    expect(listener).toHaveBeenCalledTimes(2);
  });

  it('notePublished does not announce a session without a stream', () => {
    const { reg, listener } = announcing();
    reg.notePublished('p1', 'Orders', 1);
    expect(reg.get('p1')!.topics.has('Orders')).toBe(true);
    expect(listener).not.toHaveBeenCalled();
  });

  it('announce reaches every listener on the bus, by client id; unsubscribing stops it', () => {
    const events = new InProcessEventBus();
    const reg = new SessionRegistry(events);
    const l1 = vi.fn();
    const l2 = vi.fn();
    const off1 = events.onAny('producerAvailable', l1);
    events.on('producerAvailable', 'p1', l2);
    const s = producer(reg, 'p1', ['Orders']);
    reg.announce(s);
    expect(l1).toHaveBeenCalledWith('p1');
    expect(l2).toHaveBeenCalledTimes(1);
    off1();
    reg.announce(s);
    expect(l1).toHaveBeenCalledTimes(1);
    expect(l2).toHaveBeenCalledTimes(2);
  });

  it('echoes settings once after the last of several route lookups, and not after the stream is gone', () => {
    const clock = new FakeClock();
    const reg = new SessionRegistry(new InProcessEventBus());
    let echoes = 0;
    const stream: CommandSink = { sendTransactionCheck: () => true, resendSettings: () => (echoes++, true) };
    reg.attach('c1', stream, clock.now());
    reg.echoSettingsLater('c1', 200, clock);
    clock.advance(150);
    reg.echoSettingsLater('c1', 200, clock); // a second QueryRoute restarts the wait
    clock.advance(150);
    expect(echoes).toBe(0);
    clock.advance(50);
    expect(echoes).toBe(1);
    clock.advance(1000);
    expect(echoes).toBe(1);

    reg.echoSettingsLater('c1', 200, clock);
    reg.detach('c1', stream);
    clock.advance(1000);
    expect(echoes).toBe(1);
    reg.echoSettingsLater('nobody', 200, clock); // no session: nothing to do
    reg.attach('c1', stream, clock.now());
    reg.echoSettingsLater('c1', 0, clock); // disabled
    clock.advance(1000);
    expect(echoes).toBe(1);
  });
});
