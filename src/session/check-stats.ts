// Owns how each live producer has been answering transaction checks (this broker's view, in
// memory): the checks pushed to it that await an answer, when it last answered, and how many of
// its checks in a row timed out. The check scheduler ranks candidates with it (ranks for the
// domain rule chooseCheckTarget): producers that answered first, untried ones next, producers
// that let checks time out last — the more timeouts in a row, the further back.
import { RANK_ANSWERED, RANK_UNTRIED, type CheckRanks } from '../domain/transactions.js';

export interface ProducerStats {
  /** When it last answered a check (any answer, UNKNOWN included). */
  answeredAtMs?: number;
  /** Checks that timed out since its last answer. */
  timeoutsInARow: number;
  /** Checks answered and timed out over the session's life (for logs and admin). */
  answered: number;
  timeouts: number;
}

interface Outstanding {
  clientId: string;
  deadlineMs: number;
}

export class CheckStats {
  private readonly producers = new Map<string, ProducerStats>();
  /** Pushed checks awaiting an answer, by transaction id. */
  private readonly outstanding = new Map<string, Outstanding>();

  private of(clientId: string): ProducerStats {
    let s = this.producers.get(clientId);
    if (!s) {
      s = { timeoutsInARow: 0, answered: 0, timeouts: 0 };
      this.producers.set(clientId, s);
    }
    return s;
  }

  /** A check of `transactionId` was pushed to `clientId`; unanswered after `timeoutMs` it counts as a timeout. */
  sent(clientId: string, transactionId: string, nowMs: number, timeoutMs: number): void {
    this.of(clientId);
    this.outstanding.set(transactionId, { clientId, deadlineMs: nowMs + timeoutMs });
  }

  /** `clientId` answered a check of `transactionId` (any answer, from any connection). */
  answered(clientId: string, transactionId: string, nowMs: number): void {
    const pending = this.outstanding.get(transactionId);
    if (pending?.clientId === clientId) this.outstanding.delete(transactionId);
    const s = this.of(clientId);
    s.answeredAtMs = nowMs;
    s.timeoutsInARow = 0;
    s.answered++;
  }

  /** Counts the checks whose answer is overdue at `nowMs` against their producers; returns those producers' ids. */
  expire(nowMs: number): string[] {
    const late: string[] = [];
    for (const [transactionId, o] of this.outstanding) {
      if (o.deadlineMs > nowMs) continue;
      this.outstanding.delete(transactionId);
      const s = this.of(o.clientId);
      s.timeoutsInARow++;
      s.timeouts++;
      late.push(o.clientId);
    }
    return late;
  }

  /** The rank of each of `clientIds` (see CheckRanks): answered, untried, or demoted by its timeouts in a row. */
  ranks(clientIds: readonly string[]): CheckRanks {
    const out: Record<string, number> = {};
    for (const id of clientIds) {
      const s = this.producers.get(id);
      if (!s) out[id] = RANK_UNTRIED;
      else if (s.timeoutsInARow > 0) out[id] = RANK_UNTRIED + s.timeoutsInARow;
      else out[id] = s.answeredAtMs !== undefined ? RANK_ANSWERED : RANK_UNTRIED;
    }
    return out;
  }

  /** What is known of one producer (undefined: never asked). */
  get(clientId: string): Readonly<ProducerStats> | undefined {
    return this.producers.get(clientId);
  }

  /** Forgets a client that went away (its outstanding checks will not be counted against it). */
  forget(clientId: string): void {
    this.producers.delete(clientId);
    for (const [transactionId, o] of this.outstanding) if (o.clientId === clientId) this.outstanding.delete(transactionId);
  }
}
