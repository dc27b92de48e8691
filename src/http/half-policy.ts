// Owns the end of the road for undecided half messages seen by the HTTP gateway. Half messages
// published over HTTP are offered to trans=pop pollers for httpTransactionMaxAgeMs (24 h), then
// get the configured policy (CheckScheduler.settle: ROLLBACK or KEEP); half messages published
// over gRPC keep their transactionCheckMax budget even when an HTTP poller checks them. The
// sweeper settles overdue HTTP half messages that no poller claims; pollers settle the ones they
// claim. It reads due transactions through claimDueChecks with checkMax 0, which claims nothing.
import type { Logger } from '../logger.js';
import type { ServiceContext } from '../protocol/context.js';
import type { HalfMessage } from '../store/types.js';
import { isHttpHalf } from '../transaction/check-scheduler.js';
import type { TimerHandle } from '../util/clock.js';

const SWEEP_BATCH = 1000;
const MAX_SWEEP_INTERVAL_MS = 60_000;

/** Why the half message must get the policy now instead of another check, if it must. */
export function overdueReason(half: HalfMessage, config: ServiceContext['config'], nowMs: number): string | undefined {
  if (isHttpHalf(half)) {
    const age = nowMs - half.receivedAtMs;
    return age >= config.httpTransactionMaxAgeMs
      ? `undecided ${Math.round(age / 1000)} s after publish over HTTP (httpTransactionMaxAgeMs ${config.httpTransactionMaxAgeMs})`
      : undefined;
  }
  return half.checkCount > config.transactionCheckMax
    ? `no decision after ${half.checkCount - 1} checks (transactionCheckMax ${config.transactionCheckMax})`
    : undefined;
}

export class HalfSweeper {
  private timer: TimerHandle | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly svc: ServiceContext,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.arm();
  }

  async close(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    await this.running;
  }

  private arm(): void {
    if (this.stopped) return;
    const interval = Math.min(this.svc.config.httpHalfCheckIntervalMs, MAX_SWEEP_INTERVAL_MS);
    this.timer = this.svc.clock.setTimer(() => {
      this.running = this.sweep()
        .then(() => undefined)
        .catch((err: unknown) => this.log.error({ err }, 'settling overdue HTTP half messages failed'))
        .finally(() => {
          this.running = undefined;
          this.arm();
        });
    }, interval);
  }

  /** One pass over every producer group with pending transactions. Exposed for tests. */
  async sweep(): Promise<number> {
    const { store, clock, config, checks } = this.svc;
    let settled = 0;
    for (const producerGroup of await store.pendingProducerGroups()) {
      if (this.stopped) break;
      const { exhausted: due } = await store.claimDueChecks({ producerGroup, limit: SWEEP_BATCH, nextCheckInMs: 0, checkMax: 0, clientId: () => undefined });
      for (const half of due) {
        if (!isHttpHalf(half)) continue; // the check scheduler owns these
        const reason = overdueReason(half, config, clock.now());
        if (reason === undefined) continue;
        await checks.settle(half, reason);
        settled++;
      }
    }
    return settled;
  }
}
