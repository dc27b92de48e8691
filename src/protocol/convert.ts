// Owns conversions between protocol messages and the broker's own message records:
// Timestamp/Duration ⇄ milliseconds, incoming Message → MessageInput, and stored messages →
// the Message shape clients expect (MD5 body digest, system properties, visible user properties).
import { hash } from 'node:crypto';
import { BrokerError, Code } from '../errors.js';
import { qualify, unqualify } from '../domain/namespace.js';
import { MESSAGE_TYPES, type MessageInput, type MessageType, type StoredMessage } from '../domain/messages.js';
import { type HalfMessage } from '../domain/transactions.js';
import type { Duration, Message, Nullable, Resource, Timestamp } from './types.js';

export function toMs(t: Nullable<Timestamp | Duration>): number | undefined {
  if (!t) return undefined;
  return Number(t.seconds) * 1000 + Math.floor((t.nanos ?? 0) / 1e6);
}

export function fromMs(ms: number): Timestamp {
  const whole = Math.floor(ms / 1000);
  return { seconds: String(whole), nanos: Math.round(ms - whole * 1000) * 1e6 };
}

/**
 * The broker's name of a resource, required (`what` names it in the error), scoped by the call's
 * namespace (the x-mq-namespace header; the resource's own namespace when the header is empty).
 */
export function resourceName(r: Nullable<Resource>, what: string, code: number, namespace: string): string {
  const name = r?.name?.trim();
  if (!name) throw new BrokerError(code as (typeof Code)[keyof typeof Code], `${what} is missing: set ${what}.name`);
  return qualify(namespaceOf(r, namespace), name);
}

/** The namespace a resource is in: the call's (x-mq-namespace), else the resource's own. */
export function namespaceOf(r: Nullable<Resource>, callNamespace: string): string {
  return callNamespace || r?.resource_namespace || '';
}

/** The broker's name of an optional resource ('' stays ''), scoped like resourceName. */
export function scopedName(r: Nullable<Resource>, callNamespace: string): string {
  const name = r?.name ?? '';
  return name ? qualify(namespaceOf(r, callNamespace), name) : '';
}

/** A resource as a client of `namespace` names it. */
export function clientResource(name: string, namespace: string): Resource {
  return { name: unqualify(namespace, name), resource_namespace: namespace };
}

function messageTypeOf(m: Message): MessageType {
  const declared = m.system_properties.message_type;
  if ((MESSAGE_TYPES as readonly string[]).includes(declared)) return declared as MessageType;
  if (declared && declared !== 'MESSAGE_TYPE_UNSPECIFIED') {
    throw new BrokerError(Code.UNSUPPORTED, `message type ${declared} is not supported; use NORMAL, FIFO, DELAY or TRANSACTION`);
  }
  // Unspecified: infer from the properties, as the proxy does.
  if (m.system_properties.message_group) return 'FIFO';
  if (m.system_properties.delivery_timestamp) return 'DELAY';
  return 'NORMAL';
}

export interface IncomingMessage {
  input: MessageInput;
  /** The producer's orphaned_transaction_recovery_duration, if set. */
  transactionRecoveryMs?: number;
}

export function fromProtoMessage(m: Message, nowMs: number, namespace: string): IncomingMessage {
  if (!m.system_properties) throw new BrokerError(Code.MESSAGE_CORRUPTED, 'message has no system_properties');
  const sp = m.system_properties;
  const tag = sp.tag ?? undefined;
  const input: MessageInput = {
    topic: resourceName(m.topic, 'message topic', Code.ILLEGAL_TOPIC, namespace),
    messageId: sp.message_id ?? '',
    messageType: messageTypeOf(m),
    // Decoded bytes are a view of the request (no copy): the store copies what it keeps.
    body: Buffer.isBuffer(m.body) ? m.body : Buffer.from(m.body ?? []),
    keys: sp.keys ?? [],
    userProperties: { ...(m.user_properties ?? {}) },
    bornTimestampMs: toMs(sp.born_timestamp) ?? nowMs,
    bornHost: sp.born_host ?? '',
  };
  if (tag !== undefined && tag !== null) input.tag = tag;
  if (sp.message_group) input.messageGroup = sp.message_group;
  const deliverAt = toMs(sp.delivery_timestamp);
  if (deliverAt !== undefined) input.deliveryTimestampMs = deliverAt;
  const recovery = toMs(sp.orphaned_transaction_recovery_duration);
  return recovery === undefined ? { input } : { input, transactionRecoveryMs: recovery };
}

/** The body digest of a delivered message (crypto.hash: one call, no Hash object per message). */
export function md5Hex(body: Buffer): string {
  return hash('md5', body, 'hex').toUpperCase();
}

export interface OutgoingOptions {
  namespace: string;
  storeHost: string;
  receiptHandle?: string;
  deliveryAttempt?: number;
  invisibleDurationMs?: number;
  /** Extra user properties the broker exposes (e.g. TRANSACTION_CHECK_TIMES). */
  extraProperties?: Record<string, string>;
}

/** A message as clients receive it (ReceiveMessage, or the orphaned-transaction check). */
export function toProtoMessage(m: MessageInput & Partial<StoredMessage>, o: OutgoingOptions): Message {
  const userProperties: Record<string, string> = { ...m.userProperties, ...o.extraProperties };
  if (m.messageGroup) userProperties.__SHARDINGKEY = m.messageGroup;
  if (m.transactionId) userProperties.__transactionId__ = m.transactionId;
  const sp: Message['system_properties'] = {
    keys: m.keys,
    message_id: m.messageId,
    body_digest: { type: 'MD5', checksum: md5Hex(m.body) },
    body_encoding: 'IDENTITY',
    message_type: m.messageType,
    born_timestamp: fromMs(m.bornTimestampMs),
    born_host: m.bornHost,
    store_host: o.storeHost,
    queue_id: m.queueId ?? 0,
  };
  if (m.tag !== undefined) sp.tag = m.tag;
  if (m.storeTimestampMs !== undefined) sp.store_timestamp = fromMs(m.storeTimestampMs);
  if (m.offset !== undefined) sp.queue_offset = String(m.offset);
  if (m.deliveryTimestampMs !== undefined) sp.delivery_timestamp = fromMs(m.deliveryTimestampMs);
  if (m.messageGroup) sp.message_group = m.messageGroup;
  if (o.receiptHandle) sp.receipt_handle = o.receiptHandle;
  if (o.deliveryAttempt !== undefined) sp.delivery_attempt = o.deliveryAttempt;
  if (o.invisibleDurationMs !== undefined) sp.invisible_duration = fromMs(o.invisibleDurationMs);
  if (m.deadLetter) sp.dead_letter_queue = { topic: unqualify(o.namespace, m.deadLetter.topic), message_id: m.deadLetter.messageId };
  return {
    topic: clientResource(m.topic, o.namespace),
    user_properties: userProperties,
    system_properties: sp,
    body: m.body,
  };
}

/** The message pushed in a RecoverOrphanedTransactionCommand. */
export function checkMessage(half: HalfMessage, o: Omit<OutgoingOptions, 'extraProperties'>): Message {
  // Copies then assignments: a spread literal that adds properties its source lacks takes V8's
  // slow path (several µs per check at a million pending).
  const message: MessageInput & Partial<StoredMessage> = Object.assign({}, half.message);
  message.transactionId = half.transactionId;
  const options: OutgoingOptions = Object.assign({}, o);
  options.extraProperties = { TRANSACTION_CHECK_TIMES: String(half.checkCount) };
  return toProtoMessage(message, options);
}
