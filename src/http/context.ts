// Owns what every HTTP handler gets: the broker's services plus the gateway's own state
// (HttpContext), the facts of one request (MqRequest) and what a handler answers (MqResponse).
import { EventEmitter } from 'node:events';
import type { Logger } from '../logger.js';
import type { ServiceContext } from '../protocol/context.js';
import type { Clock } from '../util/clock.js';
import type { FirstConsumeTimes } from './first-consume.js';

/** Wake-ups per topic (lossy hints, like the store's onAppend). */
export class TopicSignal {
  private readonly emitter = new EventEmitter().setMaxListeners(0);

  on(topic: string, listener: () => void): () => void {
    this.emitter.on(topic, listener);
    return () => this.emitter.off(topic, listener);
  }

  emit(topic: string): void {
    this.emitter.emit(topic);
  }
}

export interface HttpContext {
  svc: ServiceContext;
  log: Logger;
  firstConsume: FirstConsumeTimes;
  /** A half message was published over HTTP to this topic: trans=pop long polls look again. */
  halfPublished: TopicSignal;
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
