// Owns finding messages for operators (the web console's message page): by message id or by key,
// in the committed logs of every topic (or one), and among undecided half messages. The logs have
// no id or key index, so a lookup reads back at most MESSAGE_SCAN_LIMIT of the newest messages of
// each queue and MESSAGE_SCAN_BUDGET in all; what it did not read is reported (`scanned`,
// `truncated`) rather than guessed.
import { BrokerError, Code } from '../errors.js';
import type { StoredMessage } from '../domain/messages.js';
import type { HalfMessage, TransactionDecision } from '../domain/transactions.js';
import type { BrokerStore } from '../store/broker-store.js';

/** Newest messages read back per queue by one lookup. */
export const MESSAGE_SCAN_LIMIT = 10_000;
/** Messages read back by one lookup over every topic. */
export const MESSAGE_SCAN_BUDGET = 100_000;
/** Messages returned by one lookup. */
export const MESSAGE_RESULT_LIMIT = 50;
const READ_BATCH = 500;

export interface MessageQuery {
  messageId?: string;
  key?: string;
  /** Only this topic (default: every topic). */
  topic?: string;
}

export interface FoundMessage {
  message: StoredMessage;
  /** For a committed transactional message: its decision record, when still retained. */
  decision?: TransactionDecision;
}

export interface MessageLookupResult {
  /** Committed messages, newest first. */
  messages: FoundMessage[];
  /** Half messages still waiting for a decision. */
  pending: HalfMessage[];
  /** Messages read from the logs. */
  scanned: number;
  /** Some messages were not looked at (a queue over MESSAGE_SCAN_LIMIT, or MESSAGE_SCAN_BUDGET used up). */
  truncated: boolean;
}

export class MessageLookupService {
  constructor(private readonly deps: { store: BrokerStore }) {}

  async find(query: MessageQuery): Promise<MessageLookupResult> {
    const messageId = query.messageId?.trim() || undefined;
    const key = query.key?.trim() || undefined;
    if (!messageId && !key) throw new BrokerError(Code.BAD_REQUEST, 'a message lookup needs a message id or a key: pass id=<message id> or key=<message key>');
    const { store } = this.deps;
    const topics = query.topic ? [query.topic] : (await store.listTopics()).map((t) => t.name);
    if (query.topic && !(await store.getTopic(query.topic))) throw new BrokerError(Code.TOPIC_NOT_FOUND, `topic ${query.topic} does not exist`);
    const matches = (m: { messageId: string; keys: string[] }): boolean => (messageId ? m.messageId === messageId : m.keys.includes(key!));
    const found: StoredMessage[] = [];
    let scanned = 0;
    let truncated = false;
    for (const topic of topics) {
      for (const q of await store.queueStats(topic)) {
        if (scanned >= MESSAGE_SCAN_BUDGET) {
          truncated = true;
          break;
        }
        const from = Math.max(q.minOffset, q.maxOffset - MESSAGE_SCAN_LIMIT);
        if (from > q.minOffset) truncated = true;
        for (let offset = from; offset < q.maxOffset;) {
          const batch = await store.read(topic, q.queueId, offset, Math.min(READ_BATCH, q.maxOffset - offset));
          if (batch.length === 0) break;
          scanned += batch.length;
          for (const m of batch) if (matches(m)) found.push(m);
          offset = batch[batch.length - 1]!.offset + 1;
        }
      }
    }
    found.sort((a, b) => b.storeTimestampMs - a.storeTimestampMs);
    const messages: FoundMessage[] = [];
    for (const message of found.slice(0, MESSAGE_RESULT_LIMIT)) {
      const decision = message.transactionId ? await store.getDecision(message.transactionId) : undefined;
      messages.push(decision ? { message, decision } : { message });
    }
    const pending = messageId
      ? await this.pendingById(messageId, query.topic)
      : await store.listTransactions({ key: key!, limit: MESSAGE_RESULT_LIMIT, ...(query.topic ? { topic: query.topic } : {}) });
    return { messages, pending, scanned, truncated };
  }

  /** A half message's transaction id is its message id (SendService gives it that id). */
  private async pendingById(messageId: string, topic: string | undefined): Promise<HalfMessage[]> {
    const half = await this.deps.store.getHalf(messageId);
    return half && (!topic || half.message.topic === topic) ? [half] : [];
  }
}
