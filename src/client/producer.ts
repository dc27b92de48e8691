// Owns the Producer and its builder: normal, FIFO, delay and transactional sends.
// Sends go through the official producer; transactions through TransactionImpl.
import { checkConfiguration, officialBaseOptions, type ClientConfiguration } from './configuration.js';
import { guarded } from './error-mapping.js';
import { IllegalArgumentException, IllegalStateException } from './errors.js';
import { Lifecycle } from './lifecycle.js';
import { checkMessage, toOfficialMessage, type Message } from './message.js';
import { OfficialProducer, type OfficialSendReceipt } from './official.js';
import { TransactionImpl, officialChecker, type Transaction, type TransactionChecker } from './transaction.js';
import { checkInteger, checkTopic, requireSet } from './validation.js';

export interface SendReceipt {
  readonly messageId: string;
  /** The id transaction checks and EndTransaction refer to. */
  readonly transactionId: string;
  /** Queue offset the broker stored the message at. */
  readonly offset: number;
}

export interface Producer {
  /** Sends a message; with a transaction, sends it as that transaction's (hidden) half message. */
  send(message: Message, transaction?: Transaction): Promise<SendReceipt>;
  /** Starts a transaction for one message; needs a TransactionChecker on the builder. */
  beginTransaction(): Transaction;
  close(): Promise<void>;
}

class ProducerImpl implements Producer {
  readonly #official: OfficialProducer;
  readonly #lifecycle: Lifecycle;
  readonly #hasChecker: boolean;

  constructor(official: OfficialProducer, hasChecker: boolean) {
    this.#official = official;
    this.#lifecycle = new Lifecycle(official, 'producer');
    this.#hasChecker = hasChecker;
  }

  start(): Promise<void> {
    return this.#lifecycle.start();
  }

  async send(message: Message, transaction?: Transaction): Promise<SendReceipt> {
    this.#lifecycle.ensureOpen('send');
    checkMessage(message, transaction !== undefined);
    const context = `send to topic ${message.topic}`;
    if (transaction === undefined) {
      return receipt(await guarded(context, () => this.#official.send(toOfficialMessage(message))));
    }
    if (!(transaction instanceof TransactionImpl) || transaction.owner !== this) {
      throw new IllegalArgumentException("send(message, tx) needs a transaction from this producer's beginTransaction()");
    }
    const sendHalf = () => guarded(context, () => this.#official.send(toOfficialMessage(message), transaction.official));
    return receipt(await transaction.send(message.topic, sendHalf));
  }

  beginTransaction(): Transaction {
    this.#lifecycle.ensureOpen('beginTransaction');
    if (!this.#hasChecker) {
      throw new IllegalStateException('beginTransaction() needs a TransactionChecker: build the producer with setTransactionChecker()');
    }
    return new TransactionImpl(this, this.#official.beginTransaction(), (method) => this.#lifecycle.ensureOpen(method));
  }

  close(): Promise<void> {
    return this.#lifecycle.close();
  }
}

function receipt(r: OfficialSendReceipt | undefined): SendReceipt {
  if (!r) throw new IllegalStateException('the broker answered SendMessage without a receipt');
  return Object.freeze({ messageId: r.messageId, transactionId: r.transactionId, offset: r.offset });
}

export class ProducerBuilder {
  #configuration: ClientConfiguration | undefined;
  #topics: string[] = [];
  #maxAttempts: number | undefined;
  #checker: TransactionChecker | undefined;

  /** Required. */
  setClientConfiguration(configuration: ClientConfiguration): this {
    this.#configuration = checkConfiguration(configuration);
    return this;
  }

  /** Topics to prefetch routes for at build() (optional; unknown ones fail build with NotFoundException). */
  setTopics(...topics: string[]): this {
    this.#topics = topics.map((t) => checkTopic(t));
    return this;
  }

  /**
   * Attempts per send, the first included (default 3); the back-off between attempts follows the
   * broker's settings. Transactional messages are sent once.
   */
  setMaxAttempts(maxAttempts: number): this {
    this.#maxAttempts = checkInteger('max attempts', maxAttempts, 1);
    return this;
  }

  /** Required for transactions: answers the broker's orphan checks. */
  setTransactionChecker(checker: TransactionChecker): this {
    if (!checker || typeof checker.check !== 'function') {
      throw new IllegalArgumentException('transaction checker must have a check(view) method returning a TransactionResolution');
    }
    this.#checker = checker;
    return this;
  }

  /** Builds and starts the producer. */
  async build(): Promise<Producer> {
    const config = requireSet(this.#configuration, 'ProducerBuilder', 'client configuration', 'setClientConfiguration');
    const official = new OfficialProducer({
      ...officialBaseOptions(config),
      topics: [...this.#topics],
      ...(this.#maxAttempts !== undefined ? { maxAttempts: this.#maxAttempts } : {}),
      ...(this.#checker ? { checker: officialChecker(this.#checker, config.logger) } : {}),
    });
    const producer = new ProducerImpl(official, this.#checker !== undefined);
    await producer.start();
    return producer;
  }
}
