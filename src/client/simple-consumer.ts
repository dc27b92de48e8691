// Owns the SimpleConsumer and its builder: receive, ack and changeInvisibleDuration.
import { checkConfiguration, officialBaseOptions, type ClientConfiguration } from './configuration.js';
import { guarded } from './error-mapping.js';
import { IllegalStateException } from './errors.js';
import { checkSubscriptions, toOfficialFilter, toOfficialSubscriptions, type FilterExpression } from './filter-expression.js';
import { Lifecycle } from './lifecycle.js';
import { unwrapMessageView, wrapMessageView, type MessageView } from './message-view.js';
import { OfficialSimpleConsumer } from './official.js';
import { checkDuration, checkGroup, checkInteger, checkTopic, requireSet } from './validation.js';

const DEFAULT_AWAIT_DURATION_MS = 30_000;

/** Pull-style consumer: you receive, process, and ack (or extend) each message yourself. */
export interface SimpleConsumer {
  getConsumerGroup(): string;
  getSubscriptionExpressions(): ReadonlyMap<string, FilterExpression>;
  /** Adds or replaces a subscription (fetches the topic's route first). */
  subscribe(topic: string, filter: FilterExpression): Promise<SimpleConsumer>;
  unsubscribe(topic: string): SimpleConsumer;
  /**
   * Long-polls one subscribed topic (round robin) for up to `maxMessageNum` messages, which stay
   * invisible to other consumers of the group for `invisibleDuration` ms unless acked. Resolves
   * with an empty array when nothing arrived within the await duration.
   */
  receive(maxMessageNum: number, invisibleDuration: number): Promise<MessageView[]>;
  ack(view: MessageView): Promise<void>;
  /** Makes the message invisible for `invisibleDuration` ms from now; ack the same view afterwards. */
  changeInvisibleDuration(view: MessageView, invisibleDuration: number): Promise<void>;
  close(): Promise<void>;
}

class SimpleConsumerImpl implements SimpleConsumer {
  readonly #official: OfficialSimpleConsumer;
  readonly #lifecycle: Lifecycle;
  readonly #group: string;
  readonly #subscriptions: Map<string, FilterExpression>;

  constructor(official: OfficialSimpleConsumer, group: string, subscriptions: Map<string, FilterExpression>) {
    this.#official = official;
    this.#lifecycle = new Lifecycle(official, 'simple consumer');
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

  async subscribe(topic: string, filter: FilterExpression): Promise<SimpleConsumer> {
    this.#lifecycle.ensureOpen('subscribe');
    const [[name, expression]] = checkSubscriptions(new Map([[topic, filter]]));
    await guarded(`subscribe to topic ${name}`, () => this.#official.subscribe(name, toOfficialFilter(expression)));
    this.#subscriptions.set(name, expression);
    return this;
  }

  unsubscribe(topic: string): SimpleConsumer {
    this.#lifecycle.ensureOpen('unsubscribe');
    checkTopic(topic);
    this.#official.unsubscribe(topic);
    this.#subscriptions.delete(topic);
    return this;
  }

  async receive(maxMessageNum: number, invisibleDuration: number): Promise<MessageView[]> {
    this.#lifecycle.ensureOpen('receive');
    checkInteger('maxMessageNum', maxMessageNum, 1);
    checkDuration('invisible duration', invisibleDuration, 1);
    if (this.#subscriptions.size === 0) throw new IllegalStateException('receive() needs at least one subscription: call subscribe() first');
    const views = await guarded(`receive for group ${this.#group}`, () => this.#official.receive(maxMessageNum, invisibleDuration));
    return views.map(wrapMessageView);
  }

  async ack(view: MessageView): Promise<void> {
    this.#lifecycle.ensureOpen('ack');
    const official = unwrapMessageView(view, 'ack');
    await guarded(`ack message ${official.messageId}`, () => this.#official.ack(official));
  }

  async changeInvisibleDuration(view: MessageView, invisibleDuration: number): Promise<void> {
    this.#lifecycle.ensureOpen('changeInvisibleDuration');
    const official = unwrapMessageView(view, 'changeInvisibleDuration');
    checkDuration('invisible duration', invisibleDuration, 1);
    // The official consumer stores the renewed receipt handle on its view, which ours points to.
    await guarded(`change invisible duration of message ${official.messageId}`, () => this.#official.changeInvisibleDuration(official, invisibleDuration));
  }

  close(): Promise<void> {
    return this.#lifecycle.close();
  }
}

export class SimpleConsumerBuilder {
  #configuration: ClientConfiguration | undefined;
  #group: string | undefined;
  #subscriptions: Map<string, FilterExpression> | undefined;
  #awaitDuration = DEFAULT_AWAIT_DURATION_MS;

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

  /** Required: topic → filter, e.g. `new Map([['Orders', new FilterExpression('paid||shipped')]])`. */
  setSubscriptionExpressions(subscriptions: ReadonlyMap<string, FilterExpression>): this {
    this.#subscriptions = checkSubscriptions(subscriptions);
    return this;
  }

  /** How long receive() waits for messages before resolving empty, in ms (default 30000). */
  setAwaitDuration(milliseconds: number): this {
    this.#awaitDuration = checkDuration('await duration', milliseconds);
    return this;
  }

  /** Builds and starts the consumer. */
  async build(): Promise<SimpleConsumer> {
    const builder = 'SimpleConsumerBuilder';
    const config = requireSet(this.#configuration, builder, 'client configuration', 'setClientConfiguration');
    const group = requireSet(this.#group, builder, 'consumer group', 'setConsumerGroup');
    const subscriptions = new Map(requireSet(this.#subscriptions, builder, 'subscription expressions', 'setSubscriptionExpressions'));
    const official = new OfficialSimpleConsumer({
      ...officialBaseOptions(config),
      consumerGroup: group,
      subscriptions: toOfficialSubscriptions(subscriptions),
      awaitDuration: this.#awaitDuration,
    });
    const consumer = new SimpleConsumerImpl(official, group, subscriptions);
    await consumer.start();
    return consumer;
  }
}
