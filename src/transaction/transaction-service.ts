// Owns EndTransaction semantics for every adapter (gRPC, HTTP, admin): idempotent,
// first-decision-wins, answered only after the outcome is durable, from any connection.
import { BrokerError, Code } from '../errors.js';
import type { Logger } from '../logger.js';
import type { BrokerStore, DecisionFilter, TransactionFilter } from '../store/broker-store.js';
import type { BrokerMetrics } from '../metrics/broker-metrics.js';
import type { DecisionActor, DecisionSource, HalfMessage, Resolution, TransactionCounters, TransactionDecision } from '../domain/transactions.js';

export interface EndTransactionRequest {
  transactionId: string;
  resolution: Resolution;
  source: DecisionSource;
  /** When given, must match the half message. */
  topic?: string;
  messageId?: string;
  reason?: string;
  /** Who decides (recorded in the decision: the audit trail). */
  actor?: DecisionActor;
}

export interface EndTransactionOutcome {
  decision: TransactionDecision;
  /** false when the same decision had already been made (an idempotent repeat). */
  applied: boolean;
}

export class TransactionService {
  constructor(
    private readonly deps: {
      store: BrokerStore;
      log: Logger;
      /** Whether a producer group has a live producer (an open Telemetry stream) to check with. */
      hasLiveProducer?: (producerGroup: string) => boolean;
      /** Counts decisions and check answers. */
      metrics?: BrokerMetrics;
    },
  ) {}

  async endTransaction(req: EndTransactionRequest): Promise<EndTransactionOutcome> {
    const id = req.transactionId.trim();
    if (!id) throw new BrokerError(Code.INVALID_TRANSACTION_ID, 'transaction id is empty: pass the transaction_id that SendMessage returned');
    const expect: { topic?: string; messageId?: string } = {};
    if (req.topic) expect.topic = req.topic;
    if (req.messageId) expect.messageId = req.messageId;
    const result = await this.deps.store.endTransaction(id, req.resolution, req.source, expect, req.reason, req.actor);
    // A producer's answer to a check counts as answered whether or not it decided anything new.
    if (req.source === 'SERVER_CHECK' && result.kind !== 'unknown' && result.kind !== 'mismatch') this.deps.metrics?.check('answered');
    switch (result.kind) {
      case 'applied':
        this.deps.metrics?.decided(result.decision);
        this.deps.log.debug({ transactionId: id, state: result.decision.state, source: req.source }, 'transaction decided');
        return { decision: result.decision, applied: true };
      case 'duplicate':
        return { decision: result.decision, applied: false };
      case 'conflict':
        throw new BrokerError(
          Code.INVALID_TRANSACTION_ID,
          `transaction ${id} was already ${result.decision.state === 'COMMITTED' ? 'committed' : 'rolled back'} (by ${result.decision.source} at ${new Date(result.decision.decidedAtMs).toISOString()}); the first decision stands and ${req.resolution} was ignored`,
        );
      case 'unknown':
        throw new BrokerError(Code.INVALID_TRANSACTION_ID, `transaction ${id} is unknown: no half message with this transaction id was ever stored`);
      case 'mismatch':
        throw new BrokerError(
          Code.INVALID_TRANSACTION_ID,
          `transaction ${id} belongs to topic ${result.expected.topic} and message ${result.expected.messageId}; the request named ${req.topic ?? '-'} / ${req.messageId ?? '-'}`,
        );
    }
  }

  list(filter: TransactionFilter): Promise<HalfMessage[]> {
    return this.deps.store.listTransactions(filter);
  }

  /** Decided transactions whose message carried a key. */
  findDecided(filter: DecisionFilter): Promise<TransactionDecision[]> {
    return this.deps.store.findDecisions(filter);
  }

  /**
   * Gives an ABANDONED transaction a fresh check budget, due now: the live producers are asked
   * again (use when the producer side is fixed and can answer).
   */
  async recheck(transactionId: string): Promise<HalfMessage> {
    if (await this.deps.store.rearmTransaction(transactionId, 0)) {
      this.deps.log.info({ transactionId }, 'abandoned transaction re-armed for checks');
      return (await this.describe(transactionId)).half!;
    }
    const { half, decision } = await this.describe(transactionId);
    if (decision) {
      throw new BrokerError(
        Code.INVALID_TRANSACTION_ID,
        `transaction ${transactionId} was already ${decision.state === 'COMMITTED' ? 'committed' : 'rolled back'}; there is nothing to check`,
      );
    }
    throw new BrokerError(Code.BAD_REQUEST, `transaction ${transactionId} is ${half!.state}, not ABANDONED: it is being checked already`);
  }

  /** State of one transaction, pending or decided. */
  async describe(transactionId: string): Promise<{ half?: HalfMessage; decision?: TransactionDecision }> {
    const half = await this.deps.store.getHalf(transactionId);
    if (half) return { half };
    const decision = await this.deps.store.getDecision(transactionId);
    if (decision) return { decision };
    throw new BrokerError(Code.INVALID_TRANSACTION_ID, `transaction ${transactionId} is unknown`);
  }

  counters(): Promise<TransactionCounters> {
    return this.deps.store.transactionCounters();
  }

  /**
   * Producer groups whose pending transactions cannot be checked now because none of their
   * producers is online, with how many each has: the "pending, no producer" signal.
   */
  async waitingForProducer(): Promise<{ producerGroup: string; pending: number }[]> {
    const { store, hasLiveProducer } = this.deps;
    if (!hasLiveProducer) return [];
    const out: { producerGroup: string; pending: number }[] = [];
    for (const producerGroup of await store.pendingProducerGroups()) {
      if (hasLiveProducer(producerGroup)) continue;
      const pending = await store.pendingTransactionCount(producerGroup);
      if (pending > 0) out.push({ producerGroup, pending });
    }
    return out;
  }
}
