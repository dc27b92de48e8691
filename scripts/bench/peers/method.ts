// The measurement method shared by every broker of the peers benchmark (measures through the
// drivers): a Driver publishes and consumes one broker's way; windowedPublish keeps at most W
// messages unconfirmed and records each publish's latency to its confirm; drain consumes a
// backlog with acks; bodies carry their send time (wall clock, first 8 bytes) for end to end.
import { performance } from 'node:perf_hooks';
import { Samples, summarize, wallMs, type LatencySummary } from '../common.js';

export type PeerConfig = 'halfmoon' | 'rabbit-classic' | 'rabbit-quorum' | 'nats';
/** Halfmoon publish modes (peers only use 'normal'). */
export type PublishMode = 'normal' | 'tx' | 'tx-mixed' | 'batch32' | 'official';

export interface Driver {
  /** Declares the queue / stream / topic and consumer (idempotent). */
  prepare(): Promise<void>;
  /** Publishes the bodies (one call), resolves at the broker's confirm of all of them. */
  publish(bodies: Buffer[], seq: number): Promise<void>;
  /** Consumes (and acks) until `n` messages arrived or `deadline` (performance.now()) passes. */
  consume(n: number, onMessage: (body: Buffer) => void, deadline: number): Promise<void>;
  /** Extra figures of the driver (e.g. transaction checks). */
  extra?(): Promise<Record<string, number>>;
  close(): Promise<void>;
}

export interface DriverTarget {
  config: PeerConfig;
  endpoint: string;
  /** Queue / stream / topic name of this run. */
  name: string;
  mode: PublishMode;
  /** Consumers: prefetch (messages outstanding) and ack batch. */
  prefetch: number;
  ackBatch: number;
  /** Halfmoon transactional modes: answer checks with COMMIT (false: only count them). */
  answerChecks?: boolean;
}

export interface PublishResult {
  count: number;
  elapsedMs: number;
  latency: LatencySummary;
  errors: number;
  firstError?: string;
  /** Every latency sample, ms (when asked for: to merge several loads' percentiles). */
  samples?: number[];
}

/** Writes the wall-clock send time into the first 8 bytes of `body`. */
export function stamp(body: Buffer): Buffer {
  body.writeDoubleLE(wallMs(), 0);
  return body;
}

export const sentAt = (body: Buffer): number => (body.length >= 8 ? body.readDoubleLE(0) : Number.NaN);

/**
 * Publishes `n` messages of `bodyBytes`, `perCall` per call, with at most `window` messages
 * unconfirmed; stops early at `deadline`. Each body is a fresh copy, stamped when sent. With
 * `keepSamples` the result carries every latency sample.
 */
export async function windowedPublish(
  d: Driver,
  n: number,
  window: number,
  perCall: number,
  bodyBytes: number,
  deadline: number,
  keepSamples = false,
): Promise<PublishResult> {
  const lat = new Samples();
  const template = Buffer.alloc(Math.max(8, bodyBytes), 0x61);
  let sent = 0;
  let inFlight = 0;
  let errors = 0;
  let firstError: string | undefined;
  let seq = 0;
  const t0 = performance.now();
  await new Promise<void>((resolve) => {
    const pump = (): void => {
      while (sent < n && inFlight + perCall <= Math.max(window, perCall) && performance.now() < deadline) {
        const k = Math.min(perCall, n - sent);
        const bodies = Array.from({ length: k }, () => stamp(Buffer.from(template)));
        sent += k;
        inFlight += k;
        const c0 = performance.now();
        d.publish(bodies, seq++)
          .then(
            () => {
              const dt = performance.now() - c0;
              for (let i = 0; i < k; i++) lat.push(dt);
            },
            (err: unknown) => {
              errors += k;
              firstError ??= err instanceof Error ? err.message : String(err);
            },
          )
          .finally(() => {
            inFlight -= k;
            if (inFlight === 0 && (sent >= n || performance.now() >= deadline)) resolve();
            else pump();
          });
      }
      if (inFlight === 0) resolve();
    };
    pump();
  });
  const result: PublishResult = { count: lat.length, elapsedMs: performance.now() - t0, latency: lat.summary(), errors };
  if (firstError !== undefined) result.firstError = firstError;
  if (keepSamples) result.samples = Array.from(lat.values());
  return result;
}

export interface ConsumeResult {
  count: number;
  elapsedMs: number;
  /** Publish → delivery latency (end to end runs; else empty). */
  latency: LatencySummary;
  /** Wall time of the last ack. */
  lastAtWall: number;
}

/** Consumes `n` messages with the driver; `e2e` records send → delivery latency from the stamps. */
export async function drain(d: Driver, n: number, deadline: number, e2e: boolean, onFirst: () => void = () => undefined): Promise<ConsumeResult> {
  const lat = new Samples();
  let count = 0;
  const t0 = performance.now();
  let first = true;
  await d.consume(
    n,
    (body) => {
      if (first) {
        first = false;
        onFirst();
      }
      count++;
      if (e2e) lat.push(wallMs() - sentAt(body));
    },
    deadline,
  );
  const elapsedMs = performance.now() - t0;
  return { count, elapsedMs, latency: e2e ? lat.summary() : summarize([]), lastAtWall: wallMs() };
}
