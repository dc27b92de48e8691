// Owns the PushConsumer and its builder, ConsumeResult, MessageListener and the listener adapter.
// The adapter wraps views, bounds concurrency and maps results for the official client.
import { Semaphore } from './concurrency.js';
import { checkConfiguration, officialBaseOptions, type ClientConfiguration } from './configuration.js';
import { guarded } from './error-mapping.js';
import { IllegalArgumentException } from './errors.js';
import { checkSubscriptions, toOfficialFilter, toOfficialSubscriptions, type FilterExpression } from './filter-expression.js';
import { Lifecycle } from './lifecycle.js';
import type { ClientLogger } from './logger.js';
import { wrapMessageView, type MessageView } from './message-view.js';
import { OfficialConsumeResult, type OfficialMessageListener, type OfficialMessageView, type OfficialPushConsumer, type OfficialPushConsumerOptions } from './official.js';
import { DispatchingPushConsumer } from './push-dispatch.js';
import { checkGroup, checkInteger, checkTopic, requireSet } from './validation.js';

const DEFAULT_CONSUMPTION_THREAD_COUNT = 20;

export enum ConsumeResult {
  /** Processed: the message is acked. */
  SUCCESS = 'SUCCESS',
  /** Not processed: the message is redelivered per the group's retry policy. */
  FAILURE = 'FAILURE',
}

/** Called once per delivered message; a thrown error counts as FAILURE. */
export type MessageListener = ((view: MessageView) => ConsumeResult | Promise<ConsumeResult>) | { consume(view: MessageView): ConsumeResult | Promise<ConsumeResult> };

/** Push-style consumer: receives in the background and calls the listener per message. */
export interface PushConsumer {
  getConsumerGroup(): string;
  getSubscriptionExpressions(): ReadonlyMap<string, FilterExpression>;
  subscribe(topic: string, filter: FilterExpression): Promise<PushConsumer>;
  unsubscribe(topic: string): PushConsumer;
  /** Stops receiving, lets in-flight listener calls finish and settle, then disconnects. */
  close(): Promise<void>;
}

class PushConsumerImpl implements PushConsumer {
  readonly #official: OfficialPushConsumer;
  readonly #lifecycle: Lifecycle;
  readonly #group: string;
  readonly #subscriptions: Map<string, FilterExpression>;

  constructor(official: OfficialPushConsumer, group: string, subscriptions: Map<string, FilterExpression>) {
    this.#official = official;
    this.#lifecycle = new Lifecycle(official, 'push consumer');
    this.#group = group;
    this.#subscriptions = subscriptions;
  }

  start(): Promise<void> {
    return this.#lifecycle.start();
  }

  getConsumerGroup(): string {
    return this.#group;
  }

  getSubscriptionExpressions(): ReadonlyMap<string, FilterExpression> {
    return new Map(this.#subscriptions);
  }

  async subscribe(topic: string, filter: FilterExpression): Promise<PushConsumer> {
    this.#lifecycle.ensureOpen('subscribe');
    const [[name, expression]] = checkSubscriptions(new Map([[topic, filter]]));
    await guarded(`subscribe to topic ${name}`, () => this.#official.subscribe(name, toOfficialFilter(expression)));
    this.#subscriptions.set(name, expression);
    return this;
  }

  unsubscribe(topic: string): PushConsumer {
    this.#lifecycle.ensureOpen('unsubscribe');
    checkTopic(topic);
    this.#official.unsubscribe(topic);
    this.#subscriptions.delete(topic);
    return this;
  }

  close(): Promise<void> {
    return this.#lifecycle.close();
  }
}

function officialListener(listener: MessageListener, concurrency: number, logger: ClientLogger): OfficialMessageListener {
  const consume = typeof listener === 'function' ? listener : (view: MessageView) => listener.consume(view);
  const slots = new Semaphore(concurrency);
  return {
    consume: (view: OfficialMessageView) =>
      slots.run(async () => {
        let result: unknown;
        try {
          result = await consume(wrapMessageView(view));
        } catch (err) {
          logger.warn('Message listener threw; the message will be redelivered, messageId=%s, error=%s', view.messageId, err);
          return OfficialConsumeResult.FAILURE;
        }
        if (result === ConsumeResult.SUCCESS) return OfficialConsumeResult.SUCCESS;
        if (result !== ConsumeResult.FAILURE) {
          logger.warn('Message listener returned %s, not a ConsumeResult; treated as FAILURE, messageId=%s', result, view.messageId);
        }
        return OfficialConsumeResult.FAILURE;
      }),
  };
}

export class PushConsumerBuilder {
  #configuration: ClientConfiguration | undefined;
  #group: string | undefined;
  #subscriptions: Map<string, FilterExpression> | undefined;
  #listener: MessageListener | undefined;
  #threads = DEFAULT_CONSUMPTION_THREAD_COUNT;
  #maxCacheMessageCount: number | undefined;
  #maxCacheMessageSizeInBytes: number | undefined;

  /** Required. */
  setClientConfiguration(configuration: ClientConfiguration): this {
    this.#configuration = checkConfiguration(configuration);
    return this;
  }

  /** Required. */
  setConsumerGroup(consumerGroup: string): this {
    this.#group = checkGroup(consumerGroup);
    return this;
  }

  /** Required: topic → filter. */
  setSubscriptionExpressions(subscriptions: ReadonlyMap<string, FilterExpression>): this {
    this.#subscriptions = checkSubscriptions(subscriptions);
    return this;
  }

  /** Required: `async (view) => ConsumeResult.SUCCESS` or an object with consume(view). */
  setMessageListener(listener: MessageListener): this {
    if (typeof listener !== 'function' && (!listener || typeof listener.consume !== 'function')) {
      throw new IllegalArgumentException('message listener must be a function (view) => ConsumeResult or an object with consume(view)');
    }
    this.#listener = listener;
    return this;
  }

  /** How many listener calls may run at once (default 20). */
  setConsumptionThreadCount(count: number): this {
    this.#threads = checkInteger('consumption thread count', count, 1);
    return this;
  }

  /** Messages cached ahead of the listener, across queues (default 1024). */
  setMaxCacheMessageCount(count: number): this {
    this.#maxCacheMessageCount = checkInteger('max cache message count', count, 1);
    return this;
  }

  /** Bytes cached ahead of the listener, across queues (default 64 MiB). */
  setMaxCacheMessageSizeInBytes(bytes: number): this {
    this.#maxCacheMessageSizeInBytes = checkInteger('max cache message size', bytes, 1);
    return this;
  }

  /** Builds and starts the consumer; the listener is called from then on. */
  async build(): Promise<PushConsumer> {
    const builder = 'PushConsumerBuilder';
    const config = requireSet(this.#configuration, builder, 'client configuration', 'setClientConfiguration');
    const group = requireSet(this.#group, builder, 'consumer group', 'setConsumerGroup');
    const subscriptions = new Map(requireSet(this.#subscriptions, builder, 'subscription expressions', 'setSubscriptionExpressions'));
    const listener = requireSet(this.#listener, builder, 'message listener', 'setMessageListener');
    const options: OfficialPushConsumerOptions = {
      ...officialBaseOptions(config),
      consumerGroup: group,
      subscriptions: toOfficialSubscriptions(subscriptions),
      messageListener: officialListener(listener, this.#threads, config.logger),
    };
    if (this.#maxCacheMessageCount !== undefined) options.maxCacheMessageCount = this.#maxCacheMessageCount;
    if (this.#maxCacheMessageSizeInBytes !== undefined) options.maxCacheMessageSizeInBytes = this.#maxCacheMessageSizeInBytes;
    const official = new DispatchingPushConsumer(options, config.logger);
    const consumer = new PushConsumerImpl(official, group, subscriptions);
    await consumer.start();
    return consumer;
  }
}
