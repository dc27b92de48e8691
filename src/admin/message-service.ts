// Owns message traces for every adapter (`halfmoon message show`, the admin RPCs, the console):
// a message looked up by id or by key, where and when it was stored, the transaction it came from
// and how that was decided, and each delivery per group with what became of it. A transaction's
// message not stored (yet) is traced through its half message (PENDING, ABANDONED) or its
// decision (ROLLED_BACK).
import { BrokerError, Code } from '../errors.js';
import type { DeliveryRecord } from '../domain/deliveries.js';
import type { MessageInput, StoredMessage } from '../domain/messages.js';
import { validateKey, validateTopicName } from '../domain/names.js';
import type { HalfMessage, TransactionDecision } from '../domain/transactions.js';
import type { BrokerStore } from '../store/broker-store.js';

/** Messages one lookup returns at most. */
export const MAX_TRACES = 100;

export interface MessageTrace {
  /** STORED: in its topic's log; PENDING / ABANDONED: an undecided transaction's half message; ROLLED_BACK: never stored. */
  state: 'STORED' | 'PENDING' | 'ABANDONED' | 'ROLLED_BACK';
  /** The message as stored (STORED) or as sent (a half message); absent for a rolled-back one. */
  message?: MessageInput & Partial<Pick<StoredMessage, 'queueId' | 'offset' | 'storeTimestampMs' | 'deadLetter'>>;
  /** The transaction it came from, decided or not. */
  decision?: TransactionDecision;
  half?: HalfMessage;
  deliveries: DeliveryRecord[];
}

export class MessageService {
  constructor(private readonly deps: { store: BrokerStore }) {}

  /** Every trace of a message id (a dead-letter copy included), newest first. */
  async show(messageId: string, topic?: string): Promise<MessageTrace[]> {
    const id = messageId.trim();
    if (!id) throw new BrokerError(Code.ILLEGAL_MESSAGE_ID, 'message id is empty: pass the message id the producer got back from its send');
    if (topic) validateTopicName(topic);
    const { store } = this.deps;
    const stored = await store.findMessages({ messageId: id, ...(topic ? { topic } : {}), limit: MAX_TRACES });
    const traces = await Promise.all(stored.map((m) => this.traceOf(m)));
    if (traces.length > 0) return traces;
    const half = await store.getHalf(id);
    if (half && (!topic || half.message.topic === topic)) return [{ state: half.state, message: half.message, half, deliveries: [] }];
    const decision = await store.getDecision(id);
    if (decision && decision.state === 'ROLLED_BACK' && (!topic || decision.topic === topic)) return [{ state: 'ROLLED_BACK', decision, deliveries: [] }];
    throw new BrokerError(
      Code.MESSAGE_NOT_FOUND,
      `message ${id} was not found${topic ? ` in topic ${topic}` : ''}: it was never stored here, or retention has removed it (retentionMs); look a business key up with "halfmoon message show --key K"`,
    );
  }

  /** Stored messages carrying a business key (newest first, at most `limit`), with their traces. */
  async byKey(key: string, topic: string | undefined, limit: number): Promise<MessageTrace[]> {
    validateKey(key);
    if (topic) validateTopicName(topic);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_TRACES) throw new BrokerError(Code.BAD_REQUEST, `limit ${limit} is out of range: use 1 to ${MAX_TRACES}`);
    const stored = await this.deps.store.findMessages({ key, ...(topic ? { topic } : {}), limit });
    return Promise.all(stored.map((m) => this.traceOf(m)));
  }

  private async traceOf(message: StoredMessage): Promise<MessageTrace> {
    const { store } = this.deps;
    const [deliveries, decision] = await Promise.all([
      store.deliveryHistory(message.topic, message.queueId, message.offset),
      message.transactionId ? store.getDecision(message.transactionId) : Promise.resolve(undefined),
    ]);
    return { state: 'STORED', message, ...(decision ? { decision } : {}), deliveries };
  }
}
