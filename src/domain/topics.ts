// Owns the topic records and the facts about a topic's queues: their offsets and what retention
// may delete from their heads.
import type { MessageType } from './messages.js';

export interface TopicRecord {
  name: string;
  /** The one message type the topic accepts (RocketMQ 5 topic attribute `message.type`). */
  messageType: MessageType;
  /** Number of queues; Halfmoon serves one queue (id 0) per topic. */
  queueCount: number;
  /** TRANSACTION topics: what happens after the last check (absent: the broker's transactionCheckPolicy). */
  checkPolicy?: CheckPolicy;
  createdAtMs: number;
}

/** ROLLBACK the undecided transaction, or KEEP it ABANDONED for an operator. */
export type CheckPolicy = 'ROLLBACK' | 'KEEP';

export interface QueueStats {
  topic: string;
  queueId: number;
  /** First offset still retained. */
  minOffset: number;
  /** Offset the next message will get. */
  maxOffset: number;
}

/** What `purgeQueue` may delete from the head of a queue (retention). */
export interface PurgeLimits {
  /** Delete messages stored at least this long ago. */
  olderThanMs?: number;
  /** Delete the oldest messages while the queue holds more than this many bytes (stored size). */
  maxBytes?: number;
  /** Most messages deleted by one call (keeps one write small; call again while `more`). */
  maxMessages: number;
}

export interface PurgeResult {
  deleted: number;
  /** First retained offset after the call. */
  minOffset: number;
  /** The call stopped at maxMessages: more may be due. */
  more: boolean;
}
