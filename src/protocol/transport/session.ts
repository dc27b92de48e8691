// Owns what the transport keeps per HTTP/2 connection (h2/connection.ts): its peer text, how many
// calls are open on it, the idle timeout (a connection without a call for idleTimeoutMs gets a
// GOAWAY and closes — also one stuck in the middle of a frame), and keepalive pings (every
// keepaliveTimeMs; a connection whose client does not answer within keepaliveTimeoutMs is
// destroyed). Timers run on the injected clock and never keep the process alive.
import type { Clock, TimerHandle } from '../../util/clock.js';
import type { CallContext } from './call.js';
import type { H2ServerConnection } from './h2/connection.js';

export interface SessionTimings {
  idleTimeoutMs: number;
  keepaliveTimeMs: number;
  keepaliveTimeoutMs: number;
}

export class SessionWatch implements CallContext {
  private active = 0;
  private lastIdle: number;
  private idleTimer: TimerHandle | undefined;
  private pingTimer: TimerHandle | undefined;
  private stopped = false;

  constructor(
    private readonly session: H2ServerConnection,
    readonly peer: string,
    readonly clock: Clock,
    readonly maxReceiveBytes: number,
    private readonly timings: SessionTimings,
  ) {
    this.lastIdle = clock.now();
    this.idleTimer = clock.setTimer(() => this.checkIdle(), timings.idleTimeoutMs);
    this.schedulePing();
  }

  streamOpened(): void {
    this.active += 1;
  }

  streamClosed(): void {
    this.active -= 1;
    if (this.active === 0) this.lastIdle = this.clock.now();
  }

  /** The connection is gone: no more timers. */
  stop(): void {
    this.stopped = true;
    this.idleTimer?.cancel();
    this.pingTimer?.cancel();
  }

  private checkIdle(): void {
    if (this.stopped || this.session.destroyed) return;
    const idleFor = this.clock.now() - this.lastIdle;
    if (this.active === 0 && idleFor >= this.timings.idleTimeoutMs) {
      this.session.close();
      return;
    }
    const wait = this.active === 0 ? this.timings.idleTimeoutMs - idleFor : this.timings.idleTimeoutMs;
    this.idleTimer = this.clock.setTimer(() => this.checkIdle(), wait);
  }

  private schedulePing(): void {
    if (this.stopped) return;
    this.pingTimer = this.clock.setTimer(() => this.ping(), this.timings.keepaliveTimeMs);
  }

  private ping(): void {
    // A closing connection (GOAWAY sent) finishes its calls without pings.
    if (this.stopped || this.session.destroyed || this.session.closed) return;
    let answered = false;
    const sent = this.session.ping((err) => {
      answered = true;
      this.pingTimer?.cancel();
      if (err) this.session.destroy();
      else this.schedulePing();
    });
    if (!sent) {
      this.session.destroy();
      return;
    }
    this.pingTimer = this.clock.setTimer(() => {
      if (!answered) this.session.destroy();
    }, this.timings.keepaliveTimeoutMs);
  }
}
