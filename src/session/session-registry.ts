// Owns the live clients seen over Telemetry: one session per client id, with its type,
// group, topics and the stream commands are written to. The transaction check scheduler
// asks it for live producers of a producer group (= topic) to push checks to; a producer able
// to answer checks is announced as 'producerAvailable' on the broker's event bus. Sessions
// without a stream that went quiet are evicted (evictIdle, driven by SessionEviction). How each
// producer answers checks is kept in `checkStats` (check-stats.ts).
import type { HalfMessage } from '../domain/transactions.js';
import { CheckStats } from './check-stats.js';
import type { EventBus } from '../runtime/event-bus.js';
import type { Clock, TimerHandle } from '../util/clock.js';

export type ClientType = 'PRODUCER' | 'PUSH_CONSUMER' | 'SIMPLE_CONSUMER' | 'PULL_CONSUMER' | 'LITE_PUSH_CONSUMER' | 'LITE_SIMPLE_CONSUMER' | 'CLIENT_TYPE_UNSPECIFIED';

/** Where a session's server-to-client commands go (the Telemetry stream, adapter side). */
export interface CommandSink {
  /** Pushes a RecoverOrphanedTransactionCommand; false if the stream is no longer writable. */
  sendTransactionCheck(half: HalfMessage): boolean;
  /** Pushes the settings last answered on this stream again; false if none yet or closed. */
  resendSettings?(): boolean;
  /** False while the client is not reading what was sent (checks then go to other producers). */
  accepting?(): boolean;
}

export interface ClientSession {
  clientId: string;
  clientType: ClientType;
  group?: string;
  /** Topics the client publishes (settings) or has sent to. */
  topics: Set<string>;
  /** Live Telemetry stream, if any. A producer is live while this is set. */
  sink?: CommandSink;
  lastSeenMs: number;
  /** What the client says it is (Settings.user_agent). */
  userAgent?: { language: string; version: string; platform: string; hostname: string };
  /** The settings the client last reported on its Telemetry stream, as it sent them. */
  reportedSettings?: unknown;
  /** When its current Telemetry stream was bound. */
  attachedAtMs?: number;
  /** The authenticated user of its Telemetry stream (auth on). */
  user?: string;
  /** A pending settings echo (see echoSettingsLater). */
  settingsEcho?: TimerHandle;
}

export class SessionRegistry {
  private readonly sessions = new Map<string, ClientSession>();
  /** How the producers answer checks (ranks candidates for the check scheduler). */
  readonly checkStats = new CheckStats();

  /** `events`: the broker's bus (the store's), where producers able to answer checks are announced. */
  constructor(private readonly events: EventBus) {}

  /** Creates or returns the session of a client id, touching its liveness. */
  touch(clientId: string, nowMs: number): ClientSession {
    let s = this.sessions.get(clientId);
    if (!s) {
      s = { clientId, clientType: 'CLIENT_TYPE_UNSPECIFIED', topics: new Set(), lastSeenMs: nowMs };
      this.sessions.set(clientId, s);
    }
    s.lastSeenMs = nowMs;
    return s;
  }

  get(clientId: string): ClientSession | undefined {
    return this.sessions.get(clientId);
  }

  /** Binds a Telemetry stream (replacing an older stream of the same client id). */
  attach(clientId: string, sink: CommandSink, nowMs: number): ClientSession {
    const s = this.touch(clientId, nowMs);
    if (s.sink !== sink) s.attachedAtMs = nowMs;
    s.sink = sink;
    return s;
  }

  /** Unbinds the stream if it is still the current one. */
  detach(clientId: string, sink: CommandSink): void {
    const s = this.sessions.get(clientId);
    if (s && s.sink === sink) {
      delete s.sink;
      s.settingsEcho?.cancel();
      delete s.settingsEcho;
    }
  }

  /** The client said goodbye (NotifyClientTermination). */
  remove(clientId: string): void {
    this.sessions.get(clientId)?.settingsEcho?.cancel();
    this.sessions.delete(clientId);
    this.checkStats.forget(clientId);
  }

  /**
   * Pushes the client's settings again `delayMs` from now on its Telemetry stream, restarting
   * the wait on every call (debounced). Called after each QueryRoute and after a stream's first
   * settings answer: the official Node client fetches the routes of several topics one after
   * another and only then starts waiting for a settings command; an answer that came before that
   * wait is missed, and its startup would stall until its 5-minute settings sync. Whichever of
   * the last route lookup and the first answer comes later, an echo follows it. Settings are
   * idempotent for every client.
   */
  echoSettingsLater(clientId: string, delayMs: number, clock: Clock): void {
    const s = this.sessions.get(clientId);
    if (!s?.sink?.resendSettings || delayMs <= 0) return;
    s.settingsEcho?.cancel();
    const sink = s.sink;
    s.settingsEcho = clock.setTimer(() => {
      if (s.settingsEcho && s.sink === sink) sink.resendSettings?.();
      delete s.settingsEcho;
    }, delayMs);
  }

  /** Records that a client sent to a topic (it can answer checks for it). */
  notePublished(clientId: string, topic: string, nowMs: number): void {
    const s = this.touch(clientId, nowMs);
    if (!s.topics.has(topic)) {
      s.topics.add(topic);
      if (s.sink) this.announce(s);
    }
  }

  /** A session became able to answer checks (settings arrived, or it published a new topic). */
  announce(session: ClientSession): void {
    this.events.emit('producerAvailable', session.clientId);
  }

  /**
   * Forgets sessions without a Telemetry stream not heard from for `idleMs`, except those
   * `keep` vouches for (e.g. a client whose push deliveries are still being tracked). Returns
   * the evicted client ids.
   */
  evictIdle(nowMs: number, idleMs: number, keep: (clientId: string) => boolean): string[] {
    const evicted: string[] = [];
    for (const s of [...this.sessions.values()]) {
      if (s.sink || nowMs - s.lastSeenMs < idleMs || keep(s.clientId)) continue;
      this.remove(s.clientId);
      evicted.push(s.clientId);
    }
    return evicted;
  }

  /** Live producers (open Telemetry stream that is being read) that publish to the producer group's topic. */
  liveProducers(producerGroup: string): ClientSession[] {
    const out: ClientSession[] = [];
    for (const s of this.sessions.values()) {
      if (s.sink && s.sink.accepting?.() !== false && s.clientType === 'PRODUCER' && s.topics.has(producerGroup)) out.push(s);
    }
    return out;
  }

  all(): ClientSession[] {
    return [...this.sessions.values()];
  }
}
