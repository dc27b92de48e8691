// Owns the message records: what a producer sends (MessageInput) and what a topic's log holds
// (StoredMessage), and the four RocketMQ 5 message types. Nothing here knows a store or a wire.

export const MESSAGE_TYPES = ['NORMAL', 'FIFO', 'DELAY', 'TRANSACTION'] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];

export function isMessageType(value: string): value is MessageType {
  return (MESSAGE_TYPES as readonly string[]).includes(value);
}

/** A message as a producer sent it, before the store gives it a place. */
export interface MessageInput {
  topic: string;
  messageId: string;
  messageType: MessageType;
  body: Buffer;
  tag?: string;
  keys: string[];
  messageGroup?: string;
  userProperties: Record<string, string>;
  bornTimestampMs: number;
  bornHost: string;
  /** DELAY messages: not deliverable before this time. */
  deliveryTimestampMs?: number;
}

/** A message in a topic's committed log. */
export interface StoredMessage extends MessageInput {
  queueId: number;
  offset: number;
  storeTimestampMs: number;
  /** Set on committed transactional messages (equals the message id). */
  transactionId?: string;
  /** Set on messages in a dead-letter topic: where they came from. */
  deadLetter?: { topic: string; messageId: string; group: string };
}

/**
 * The log record of `input` at its place. Built field by field rather than by spreading the
 * input: V8 copies a spread object several times slower, and this runs once per stored message.
 */
export function placedMessage(
  input: MessageInput & Partial<Pick<StoredMessage, 'transactionId' | 'deadLetter'>>,
  topic: string,
  queueId: number,
  offset: number,
  storeTimestampMs: number,
): StoredMessage {
  const m: StoredMessage = {
    topic,
    messageId: input.messageId,
    messageType: input.messageType,
    body: input.body,
    keys: input.keys,
    userProperties: input.userProperties,
    bornTimestampMs: input.bornTimestampMs,
    bornHost: input.bornHost,
    queueId,
    offset,
    storeTimestampMs,
  };
  if (input.tag !== undefined) m.tag = input.tag;
  if (input.messageGroup !== undefined) m.messageGroup = input.messageGroup;
  if (input.deliveryTimestampMs !== undefined) m.deliveryTimestampMs = input.deliveryTimestampMs;
  if (input.transactionId !== undefined) m.transactionId = input.transactionId;
  if (input.deadLetter !== undefined) m.deadLetter = input.deadLetter;
  return m;
}
