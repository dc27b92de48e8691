// Owns outgoing messages: the immutable Message, its validating builder, and its official form.
import { IllegalArgumentException } from './errors.js';
import type { OfficialMessageOptions } from './official.js';
import { checkDuration, checkTag, checkText, checkTopic } from './validation.js';

/** A message to send. Build one with `provider.newMessageBuilder()`; it is frozen. */
export interface Message {
  readonly topic: string;
  readonly body: Buffer;
  readonly tag: string | undefined;
  readonly keys: readonly string[];
  /** FIFO topics: messages of one group are delivered in order. */
  readonly messageGroup: string | undefined;
  /** DELAY topics: not delivered before this time. */
  readonly deliveryTimestamp: Date | undefined;
  readonly properties: ReadonlyMap<string, string>;
}

export class MessageBuilder {
  #topic: string | undefined;
  #body: Buffer | undefined;
  #tag: string | undefined;
  #keys: string[] = [];
  #messageGroup: string | undefined;
  #deliveryTimestamp: Date | undefined;
  #delayMs: number | undefined;
  readonly #properties = new Map<string, string>();

  /** Required. */
  setTopic(topic: string): this {
    this.#topic = checkTopic(topic);
    return this;
  }

  /** Required and non-empty; strings are encoded as UTF-8. The bytes are copied. */
  setBody(body: Buffer | Uint8Array | string): this {
    if (typeof body === 'string') this.#body = Buffer.from(body, 'utf8');
    else if (body instanceof Uint8Array) this.#body = Buffer.from(body);
    else throw new IllegalArgumentException('body must be a Buffer, Uint8Array or string');
    if (this.#body.length === 0) throw new IllegalArgumentException('body must not be empty');
    return this;
  }

  /** A single tag consumers can filter on ("TagA"); no '|'. */
  setTag(tag: string): this {
    this.#tag = checkTag(tag);
    return this;
  }

  /** Business keys for lookups; replaces earlier keys. */
  setKeys(...keys: string[]): this {
    this.#keys = keys.map((k, i) => checkText(`key #${i + 1}`, k));
    return this;
  }

  /** Makes this a FIFO message; excludes a delivery time. */
  setMessageGroup(messageGroup: string): this {
    this.#messageGroup = checkText('message group', messageGroup);
    return this;
  }

  /** Makes this a DELAY message delivered at an absolute time (Date or epoch milliseconds). */
  setDeliveryTimestamp(timestamp: Date | number): this {
    const ms = timestamp instanceof Date ? timestamp.getTime() : timestamp;
    if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) {
      throw new IllegalArgumentException(`delivery timestamp must be a valid Date or epoch milliseconds, got ${String(timestamp)}`);
    }
    this.#deliveryTimestamp = new Date(ms);
    this.#delayMs = undefined;
    return this;
  }

  /** Makes this a DELAY message delivered `milliseconds` after build(). */
  setDelay(milliseconds: number): this {
    this.#delayMs = checkDuration('delay', milliseconds);
    this.#deliveryTimestamp = undefined;
    return this;
  }

  /** A user property; keys and values must be non-blank. */
  addProperty(key: string, value: string): this {
    checkText('property key', key);
    if (typeof value !== 'string' || value.trim() === '') {
      throw new IllegalArgumentException(`property "${key}" must have a non-blank string value`);
    }
    this.#properties.set(key, value);
    return this;
  }

  build(): Message {
    if (this.#topic === undefined) throw new IllegalArgumentException('topic has not been set: call setTopic() before build()');
    if (this.#body === undefined) throw new IllegalArgumentException('body has not been set: call setBody() before build()');
    const deliveryTimestamp = this.#delayMs !== undefined ? new Date(Date.now() + this.#delayMs) : this.#deliveryTimestamp;
    if (deliveryTimestamp && this.#messageGroup !== undefined) {
      throw new IllegalArgumentException('a message cannot have both a message group (FIFO) and a delivery time (DELAY)');
    }
    return Object.freeze({
      topic: this.#topic,
      body: Buffer.from(this.#body),
      tag: this.#tag,
      keys: Object.freeze([...this.#keys]),
      messageGroup: this.#messageGroup,
      deliveryTimestamp,
      properties: new Map(this.#properties),
    });
  }
}

/** Checks a message handed to send() (it may not come from MessageBuilder). */
export function checkMessage(message: Message, transactional: boolean): void {
  if (!message || typeof message !== 'object') throw new IllegalArgumentException('send() needs a message built with newMessageBuilder()');
  checkTopic(message.topic, 'message topic');
  if (!(message.body instanceof Uint8Array) || message.body.length === 0) {
    throw new IllegalArgumentException('message body must be a non-empty Buffer');
  }
  if (transactional && (message.messageGroup !== undefined || message.deliveryTimestamp !== undefined)) {
    throw new IllegalArgumentException('a transactional message cannot have a message group or a delivery time');
  }
}

export function toOfficialMessage(message: Message): OfficialMessageOptions {
  const options: OfficialMessageOptions = {
    topic: message.topic,
    body: Buffer.from(message.body),
    keys: [...(message.keys ?? [])],
    properties: new Map(message.properties ?? []),
  };
  if (message.tag !== undefined) options.tag = message.tag;
  if (message.messageGroup !== undefined) options.messageGroup = message.messageGroup;
  if (message.deliveryTimestamp !== undefined) options.deliveryTimestamp = message.deliveryTimestamp;
  return options;
}
