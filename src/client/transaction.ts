// Owns transactions: TransactionResolution, TransactionChecker and the Transaction handle.
// The checker adapter answers orphan checks; a handle holds one message, ended once.
import { guarded } from './error-mapping.js';
import { IllegalStateException } from './errors.js';
import type { ClientLogger } from './logger.js';
import { wrapMessageView, type MessageView } from './message-view.js';
import { PbTransactionResolution, type OfficialMessageView, type OfficialTransaction, type OfficialTransactionChecker } from './official.js';

export enum TransactionResolution {
  COMMIT = 'COMMIT',
  ROLLBACK = 'ROLLBACK',
  /** Not decided yet: the broker asks again later. */
  UNKNOWN = 'UNKNOWN',
}

/**
 * Decides orphaned transactions. The broker asks (over the Telemetry stream) about a transactional
 * message neither committed nor rolled back in time. UNKNOWN, or a thrown error, leaves the
 * transaction for a later check.
 */
export interface TransactionChecker {
  check(view: MessageView): Promise<TransactionResolution> | TransactionResolution;
}

/** Handle for one transactional message: send it with `producer.send(message, tx)`, then end it. */
export interface Transaction {
  commit(): Promise<void>;
  rollback(): Promise<void>;
}

export function toPbResolution(resolution: TransactionResolution): PbTransactionResolution {
  switch (resolution) {
    case TransactionResolution.COMMIT:
      return PbTransactionResolution.COMMIT;
    case TransactionResolution.ROLLBACK:
      return PbTransactionResolution.ROLLBACK;
    default:
      return PbTransactionResolution.TRANSACTION_RESOLUTION_UNSPECIFIED;
  }
}

/** The official checker: wraps the view, asks ours, maps the answer; failures become "unknown". */
export function officialChecker(checker: TransactionChecker, logger: ClientLogger): OfficialTransactionChecker {
  return {
    async check(view: OfficialMessageView) {
      let resolution: unknown;
      try {
        resolution = await checker.check(wrapMessageView(view));
      } catch (err) {
        logger.warn('Transaction checker threw; the broker will check again later, messageId=%s, error=%s', view.messageId, err);
        return PbTransactionResolution.TRANSACTION_RESOLUTION_UNSPECIFIED;
      }
      if (resolution !== TransactionResolution.COMMIT && resolution !== TransactionResolution.ROLLBACK && resolution !== TransactionResolution.UNKNOWN) {
        logger.warn('Transaction checker returned %s, not a TransactionResolution; treated as UNKNOWN, messageId=%s', resolution, view.messageId);
        return PbTransactionResolution.TRANSACTION_RESOLUTION_UNSPECIFIED;
      }
      return toPbResolution(resolution);
    },
  };
}

type TxState = 'OPEN' | 'SENDING' | 'SEND_FAILED' | 'SENT' | 'ENDING' | 'COMMITTED' | 'ROLLED_BACK';

export class TransactionImpl implements Transaction {
  readonly owner: object;
  readonly official: OfficialTransaction;
  readonly #ensureOpen: (method: string) => void;
  #state: TxState = 'OPEN';
  #topic = '';

  /** `ensureOpen` throws once the owning producer is closed. */
  constructor(owner: object, official: OfficialTransaction, ensureOpen: (method: string) => void) {
    this.owner = owner;
    this.official = official;
    this.#ensureOpen = ensureOpen;
  }

  /** Called by the producer around sending the transaction's message. */
  async send<T>(topic: string, doSend: () => Promise<T>): Promise<T> {
    if (this.#state === 'SEND_FAILED') {
      throw new IllegalStateException("this transaction's send failed; call beginTransaction() again and resend");
    }
    if (this.#state !== 'OPEN') {
      throw new IllegalStateException('a transaction holds exactly one message; call beginTransaction() again for another message');
    }
    this.#state = 'SENDING';
    try {
      const result = await doSend();
      this.#state = 'SENT';
      this.#topic = topic;
      return result;
    } catch (err) {
      // The official transaction already holds the message: it cannot take another attempt.
      this.#state = 'SEND_FAILED';
      throw err;
    }
  }

  commit(): Promise<void> {
    return this.#end('COMMITTED', () => this.official.commit());
  }

  rollback(): Promise<void> {
    return this.#end('ROLLED_BACK', () => this.official.rollback());
  }

  async #end(target: 'COMMITTED' | 'ROLLED_BACK', call: () => Promise<void>): Promise<void> {
    const verb = target === 'COMMITTED' ? 'commit' : 'roll back';
    this.#ensureOpen(target === 'COMMITTED' ? 'commit' : 'rollback');
    switch (this.#state) {
      case 'SENT':
        break;
      case 'COMMITTED':
      case 'ROLLED_BACK':
        throw new IllegalStateException(`cannot ${verb}: the transaction is already ${this.#state === 'COMMITTED' ? 'committed' : 'rolled back'}`);
      case 'ENDING':
        throw new IllegalStateException(`cannot ${verb}: a commit or rollback of this transaction is in progress`);
      default:
        throw new IllegalStateException(`cannot ${verb}: the transaction's message has not been sent (producer.send(message, tx))`);
    }
    this.#state = 'ENDING';
    try {
      await guarded(`${verb} transaction on topic ${this.#topic}`, call);
    } catch (err) {
      this.#state = 'SENT'; // may be retried
      throw err;
    }
    this.#state = target;
  }
}
