// Owns how the push consumer hands received messages to the listener (standard or FIFO order).
// Replaces the official consume services, which log to ~/logs/rocketmq whatever the logger.
import type { ClientLogger } from './logger.js';
import {
  OfficialConsumeService,
  OfficialPushConsumer,
  type OfficialMessageListener,
  type OfficialMessageView,
  type OfficialProcessQueue,
  type OfficialPushConsumerOptions,
} from './official.js';

class StandardDispatch extends OfficialConsumeService {
  readonly #logger: ClientLogger;

  constructor(clientId: string, listener: OfficialMessageListener, logger: ClientLogger) {
    super(clientId, listener);
    this.#logger = logger;
  }

  consume(pq: OfficialProcessQueue, views: OfficialMessageView[]): void {
    for (const view of views) {
      if (view.corrupted) {
        this.#logger.error('Message body digest mismatch, discarding it, messageId=%s, clientId=%s', view.messageId, this.clientId);
        pq.discardMessage(view);
        continue;
      }
      this.consumeMessage(view)
        .then((result) => pq.eraseMessage(view, result))
        .catch((err: unknown) => this.#logger.error('Failed to settle message, messageId=%s, error=%s', view.messageId, err));
    }
  }
}

class FifoDispatch extends OfficialConsumeService {
  readonly #logger: ClientLogger;

  constructor(clientId: string, listener: OfficialMessageListener, logger: ClientLogger) {
    super(clientId, listener);
    this.#logger = logger;
  }

  consume(pq: OfficialProcessQueue, views: OfficialMessageView[]): void {
    void this.#inOrder(pq, views);
  }

  /** One message at a time; a failed one is retried in place (by the process queue) before the next. */
  async #inOrder(pq: OfficialProcessQueue, views: OfficialMessageView[]): Promise<void> {
    for (const view of views) {
      if (view.corrupted) {
        this.#logger.error('FIFO message body digest mismatch, sending it to the DLQ, messageId=%s, clientId=%s', view.messageId, this.clientId);
        pq.discardFifoMessage(view);
        continue;
      }
      try {
        await pq.eraseFifoMessage(view, await this.consumeMessage(view));
      } catch (err) {
        this.#logger.error('Failed to settle FIFO message, messageId=%s, error=%s', view.messageId, err);
      }
    }
  }
}

/** The official push consumer with the dispatchers above. */
export class DispatchingPushConsumer extends OfficialPushConsumer {
  readonly #listener: OfficialMessageListener;
  readonly #logger: ClientLogger;

  constructor(options: OfficialPushConsumerOptions, logger: ClientLogger) {
    super(options);
    this.#listener = options.messageListener;
    this.#logger = logger;
  }

  protected override createConsumeService(): OfficialConsumeService {
    return this.getPushConsumerSettings().isFifo()
      ? new FifoDispatch(this.clientId, this.#listener, this.#logger)
      : new StandardDispatch(this.clientId, this.#listener, this.#logger);
  }
}
