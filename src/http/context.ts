// Owns what every HTTP handler gets: the broker's services plus the gateway's own state
// (HttpContext), the facts of one request (MqRequest) and what a handler answers (MqResponse).
import type { Logger } from '../logger.js';
import type { ServiceContext } from '../services.js';
import type { Clock } from '../util/clock.js';

/** Client ids of MQ HTTP clients (publishers by address, half-message pollers by group) start with this. */
export const HTTP_CLIENT_PREFIX = 'http:';

export interface HttpContext {
  svc: ServiceContext;
  log: Logger;
}

/** Query parameters of the protocol (spec §2), decoded with form semantics. */
export interface MqQuery {
  ns?: string;
  consumer?: string;
  numOfMessages?: string;
  waitseconds?: string;
  tag?: string;
  trans?: string;
}

export interface MqRequest {
  method: string;
  topic: string;
  query: MqQuery;
  body: Buffer;
  remoteAddress: string;
  /** The authenticated user (--auth). */
  user?: string;
  /** Aborted when the client goes away or the gateway closes: long polls end early. */
  signal: AbortSignal;
}

export interface MqResponse {
  /** 200 consume, 201 publish, 204 ack/commit/rollback, 404 per-handle errors; errors otherwise. */
  status: number;
  /** An XML document; absent for 204. */
  body?: string;
}

/**
 * Waits up to `ms` on the broker clock; returns early when `signal` aborts or `wakeOn`
 * (a subscription taking a wake function) fires.
 */
export function pause(clock: Clock, ms: number, signal: AbortSignal, wakeOn?: (wake: () => void) => () => void): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    let unsubscribe: (() => void) | undefined;
    const done = (): void => {
      timer.cancel();
      signal.removeEventListener('abort', done);
      unsubscribe?.();
      resolve();
    };
    const timer = clock.setTimer(done, ms);
    signal.addEventListener('abort', done, { once: true });
    unsubscribe = wakeOn?.(done);
  });
}
