// Owns SendMessage semantics shared by every adapter: validation (names, sizes, type vs.
// topic), then the right store call: append (NORMAL/FIFO), schedule (DELAY) or putHalf
// (TRANSACTION, hidden until decided).
import type { BrokerConfig } from '../config.js';
import { BrokerError, Code } from '../errors.js';
import type { Logger } from '../logger.js';
import { validateKey, validatePropertyKey, validateTag } from '../domain/names.js';
import type { TopicService } from '../admin/topic-service.js';
import type { BrokerStore } from '../store/broker-store.js';
import type { MessageInput } from '../domain/messages.js';
import type { TopicRecord } from '../domain/topics.js';
import type { CheckBudget } from '../domain/transactions.js';
import type { Clock } from '../util/clock.js';
import type { BrokerMetrics } from '../metrics/broker-metrics.js';

export interface SendContext {
  /** Client id of the sender (recorded on half messages: it is asked first). */
  clientId: string;
  /** TRANSACTION: first check this long after receipt (producer's orphaned_transaction_recovery_duration). */
  transactionRecoveryMs?: number;
  /** TRANSACTION: the producer group to check; default the topic name (as the RocketMQ 5 proxy does). */
  producerGroup?: string;
  /** TRANSACTION: how long it may stay undecided (default: a number of checks). */
  budget?: CheckBudget;
}

export interface SendResult {
  messageId: string;
  transactionId: string;
  /** Offset in the topic's queue (DELAY: sequence in the timer queue; TRANSACTION: 0 until commit). */
  offset: number;
  queueId: number;
}

const MAX_MESSAGE_GROUP_LENGTH = 64;
const CONTROL_CHARS = /[\x00-\x1f\x7f]/;

export interface SendServiceDeps {
  store: BrokerStore;
  topics: TopicService;
  config: BrokerConfig;
  clock: Clock;
  log: Logger;
  /** Told about each DELAY message stored for later (wakes the delay service). */
  onScheduled?: (deliverAtMs: number) => void;
  /** Counts what was stored (once per call). */
  metrics?: BrokerMetrics;
}

export class SendService {
  constructor(private readonly deps: SendServiceDeps) {}

  async send(messages: MessageInput[], ctx: SendContext): Promise<SendResult[]> {
    const results = await this.storeMessages(messages, ctx);
    // Once per call, not per message: the hot path.
    let bytes = 0;
    for (const m of messages) bytes += m.body.length;
    this.deps.metrics?.received(messages[0]!.topic, messages[0]!.messageType, messages.length, bytes);
    return results;
  }

  private async storeMessages(messages: MessageInput[], ctx: SendContext): Promise<SendResult[]> {
    if (messages.length === 0) throw new BrokerError(Code.MESSAGE_CORRUPTED, 'the request contains no message');
    const topicName = messages[0]!.topic;
    if (messages.some((m) => m.topic !== topicName)) {
      throw new BrokerError(Code.MESSAGE_CORRUPTED, 'all messages of one request must have the same topic');
    }
    const topic = await this.deps.topics.require(topicName, messages[0]!.messageType);
    const now = this.deps.clock.now();
    for (const m of messages) this.validate(m, topic, now);

    const type = messages[0]!.messageType;
    if (messages.some((m) => m.messageType !== type)) {
      throw new BrokerError(Code.MESSAGE_CORRUPTED, 'all messages of one request must have the same message type');
    }
    const { store } = this.deps;
    if (type === 'TRANSACTION') {
      if (messages.length !== 1) {
        throw new BrokerError(Code.BAD_REQUEST, `a transaction holds exactly one message; this request has ${messages.length}: send them in separate transactions`);
      }
      const m = messages[0]!;
      const firstCheckInMs = this.firstCheckDelay(ctx.transactionRecoveryMs);
      const producerGroup = ctx.producerGroup ?? topic.name;
      await this.admitHalf(producerGroup);
      await store.putHalf({ transactionId: m.messageId, message: m, producerGroup, senderClientId: ctx.clientId, budget: ctx.budget ?? 'checks' }, firstCheckInMs);
      return [{ messageId: m.messageId, transactionId: m.messageId, offset: 0, queueId: 0 }];
    }
    const due = messages.filter((m) => type === 'DELAY' && (m.deliveryTimestampMs ?? 0) > now);
    if (due.length > 0) {
      const seqs = await store.schedule(topic.name, 0, messages);
      for (const m of due) this.deps.onScheduled?.(m.deliveryTimestampMs!);
      return messages.map((m, i) => ({ messageId: m.messageId, transactionId: m.messageId, offset: seqs[i]!, queueId: 0 }));
    }
    const stored = await store.append(topic.name, 0, messages);
    return stored.map((s) => ({ messageId: s.messageId, transactionId: s.messageId, offset: s.offset, queueId: s.queueId }));
  }

  /**
   * Backpressure on undecided work: a producer group at transactionMaxPending gets
   * TOO_MANY_REQUESTS (clients back off and retry) until some of its transactions are decided.
   * A soft limit: concurrent sends may pass it by a few.
   */
  private async admitHalf(producerGroup: string): Promise<void> {
    const max = this.deps.config.transactionMaxPending;
    if (max === 0) return;
    const pending = await this.deps.store.pendingTransactionCount(producerGroup);
    if (pending >= max) {
      throw new BrokerError(
        Code.TOO_MANY_REQUESTS,
        `producer group ${producerGroup} has ${pending} undecided transactions, the limit (transactionMaxPending) is ${max}: commit or roll back pending ones (halfmoon tx list), then retry`,
      );
    }
  }

  private firstCheckDelay(requestedMs: number | undefined): number {
    const { config } = this.deps;
    if (requestedMs === undefined || requestedMs <= 0) return config.transactionTimeoutMs;
    if (requestedMs > config.transactionMaxRecoveryMs) {
      throw new BrokerError(Code.BAD_REQUEST, `orphaned transaction recovery duration ${requestedMs} ms exceeds the maximum of ${config.transactionMaxRecoveryMs} ms`);
    }
    return requestedMs;
  }

  private validate(m: MessageInput, topic: TopicRecord, now: number): void {
    const { config } = this.deps;
    if (!m.messageId || !m.messageId.trim()) throw new BrokerError(Code.ILLEGAL_MESSAGE_ID, 'message id is empty: every message needs a unique message_id');
    if (m.body.length === 0) throw new BrokerError(Code.MESSAGE_BODY_EMPTY, `message ${m.messageId} has an empty body: send at least one byte`);
    if (m.body.length > config.maxMessageSizeBytes) {
      throw new BrokerError(Code.MESSAGE_BODY_TOO_LARGE, `message body is ${m.body.length} bytes; the limit is ${config.maxMessageSizeBytes} bytes (maxMessageSizeBytes)`);
    }
    if (m.tag !== undefined) validateTag(m.tag);
    for (const key of m.keys) validateKey(key);
    const entries = Object.entries(m.userProperties);
    if (entries.length > config.maxUserProperties) {
      throw new BrokerError(Code.MESSAGE_PROPERTIES_TOO_LARGE, `message has ${entries.length} user properties; at most ${config.maxUserProperties} are allowed`);
    }
    let size = Buffer.byteLength(m.tag ?? '') + m.keys.reduce((n, k) => n + Buffer.byteLength(k), 0);
    for (const [k, v] of entries) {
      validatePropertyKey(k);
      size += Buffer.byteLength(k) + Buffer.byteLength(v);
    }
    if (size > config.maxPropertiesBytes) {
      throw new BrokerError(Code.MESSAGE_PROPERTIES_TOO_LARGE, `tag, keys and properties take ${size} bytes; the limit is ${config.maxPropertiesBytes} bytes`);
    }
    if (m.messageType !== topic.messageType && topic.messageType === 'FIFO') {
      throw new BrokerError(
        Code.MESSAGE_PROPERTY_CONFLICT_WITH_TYPE,
        `topic ${topic.name} is a FIFO topic, but this message is ${m.messageType}: give it a message group (FIFO topics deliver each message group in order)`,
      );
    }
    if (m.messageType !== topic.messageType) {
      throw new BrokerError(
        Code.MESSAGE_PROPERTY_CONFLICT_WITH_TYPE,
        `topic ${topic.name} accepts ${topic.messageType} messages, but this message is ${m.messageType}: send it to a ${m.messageType} topic`,
      );
    }
    if (m.messageGroup !== undefined || m.messageType === 'FIFO') {
      if (m.messageType !== 'FIFO') {
        throw new BrokerError(Code.MESSAGE_PROPERTY_CONFLICT_WITH_TYPE, `only FIFO messages carry a message group; this one is ${m.messageType}`);
      }
      const g = m.messageGroup ?? '';
      if (!g.trim() || g.length > MAX_MESSAGE_GROUP_LENGTH || CONTROL_CHARS.test(g)) {
        throw new BrokerError(
          Code.ILLEGAL_MESSAGE_GROUP,
          `message group "${g}" is illegal: FIFO messages need a non-blank message group of at most ${MAX_MESSAGE_GROUP_LENGTH} characters`,
        );
      }
    }
    if (m.deliveryTimestampMs !== undefined || m.messageType === 'DELAY') {
      if (m.messageType !== 'DELAY') {
        throw new BrokerError(Code.MESSAGE_PROPERTY_CONFLICT_WITH_TYPE, `only DELAY messages carry a delivery timestamp; this one is ${m.messageType}`);
      }
      const at = m.deliveryTimestampMs;
      if (at === undefined) throw new BrokerError(Code.ILLEGAL_DELIVERY_TIME, 'DELAY message without delivery timestamp: set delivery_timestamp');
      if (at > now + config.maxDelayMs) {
        throw new BrokerError(
          Code.ILLEGAL_DELIVERY_TIME,
          `delivery timestamp ${new Date(at).toISOString()} is more than ${config.maxDelayMs} ms ahead; the furthest allowed is ${new Date(now + config.maxDelayMs).toISOString()}`,
        );
      }
    }
  }
}
