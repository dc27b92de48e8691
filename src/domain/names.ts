// Owns the naming rules for topics, groups, tags, keys and properties (RocketMQ's
// TopicValidator / proxy validators), and the derived system topic names.
import { Code, type CodeValue } from './codes.js';
import { BrokerError } from './errors.js';

/** RocketMQ: topic and group names are [%|a-zA-Z0-9_-], at most 127 characters (system names may use %). */
const NAME_PATTERN = /^[%|a-zA-Z0-9_-]+$/;
export const MAX_TOPIC_NAME_LENGTH = 127;
export const MAX_GROUP_NAME_LENGTH = 255;
const CONTROL_CHARS = /[\x00-\x1f\x7f]/;

export const DLQ_PREFIX = '%DLQ%';
export const RETRY_PREFIX = '%RETRY%';
/** System topic prefixes: they stay in front of a namespace scope (see namespace.ts). */
export const SYSTEM_TOPIC_PREFIXES = [DLQ_PREFIX, RETRY_PREFIX] as const;
/** Namespaces (gRPC client namespaces, MQ HTTP instance ids) are at most this long. */
export const MAX_NAMESPACE_LENGTH = 64;
export const deadLetterTopic = (group: string): string => `${DLQ_PREFIX}${group}`;

function checkName(kind: string, code: CodeValue, name: string, maxLength: number): void {
  if (!name || !name.trim()) throw new BrokerError(code, `${kind} name is empty: set a ${kind} name`);
  if (name.length > maxLength) {
    throw new BrokerError(code, `${kind} name "${name.slice(0, 40)}…" is ${name.length} characters; at most ${maxLength} are allowed`);
  }
  if (!NAME_PATTERN.test(name)) {
    throw new BrokerError(code, `${kind} name "${name}" is illegal: use only letters, digits, '%', '|', '_' and '-'`);
  }
}

/** Room a namespace scope (`<namespace>%`, see namespace.ts) takes in front of a name. */
const SCOPE_ROOM = MAX_NAMESPACE_LENGTH + 1;

/**
 * Topic names: 127 characters as a client writes them; a namespace scope and, for dead-letter
 * and retry topics, the system prefix and a full group name (up to 255) come on top.
 */
export function validateTopicName(name: string): void {
  const system = SYSTEM_TOPIC_PREFIXES.find((p) => name.startsWith(p));
  const max = system ? system.length + SCOPE_ROOM + MAX_GROUP_NAME_LENGTH : name.includes('%') ? SCOPE_ROOM + MAX_TOPIC_NAME_LENGTH : MAX_TOPIC_NAME_LENGTH;
  checkName('topic', Code.ILLEGAL_TOPIC, name, max);
}

/** Topics users may create: no system prefixes. */
export function validateUserTopicName(name: string): void {
  validateTopicName(name);
  if (name.startsWith('%') || name.startsWith('rmq_sys_') || name.startsWith('RMQ_SYS_')) {
    throw new BrokerError(Code.ILLEGAL_TOPIC, `topic name "${name}" is reserved for system topics; choose a name without a '%' or 'rmq_sys_' prefix`);
  }
}

export function validateGroupName(name: string): void {
  checkName('consumer group', Code.ILLEGAL_CONSUMER_GROUP, name, MAX_GROUP_NAME_LENGTH);
}

export function validateTag(tag: string): void {
  if (!tag.trim() || tag.includes('|') || CONTROL_CHARS.test(tag)) {
    throw new BrokerError(Code.ILLEGAL_MESSAGE_TAG, `message tag "${tag}" is illegal: it must be non-blank and contain no '|' or control characters`);
  }
}

export function validateKey(key: string): void {
  if (!key.trim() || CONTROL_CHARS.test(key)) {
    throw new BrokerError(Code.ILLEGAL_MESSAGE_KEY, `message key "${key}" is illegal: it must be non-blank and contain no control characters`);
  }
}

/** Property keys RocketMQ reserves for itself (MessageConst.STRING_HASH_SET, the common ones). */
export const RESERVED_PROPERTY_KEYS = new Set([
  'KEYS',
  'TAGS',
  'WAIT',
  'DELAY',
  'RETRY_TOPIC',
  'REAL_TOPIC',
  'REAL_QID',
  'TRAN_MSG',
  'PGROUP',
  'MIN_OFFSET',
  'MAX_OFFSET',
  'BUYER_ID',
  'ORIGIN_MESSAGE_ID',
  'TRANSFER_FLAG',
  'CORRECTION_FLAG',
  'MQ2_FLAG',
  'RECONSUME_TIME',
  'MSG_REGION',
  'TRACE_ON',
  'UNIQ_KEY',
  'MAX_RECONSUME_TIMES',
  'CONSUME_START_TIME',
  'TRAN_PREPARED_QUEUE_OFFSET',
  'TRANSACTION_CHECK_TIMES',
  'CHECK_IMMUNITY_TIME_IN_SECONDS',
  'SHARDING_KEY',
  '__SHARDINGKEY',
  '__transactionId__',
  'TIMER_DELIVER_MS',
  'TIMER_DELAY_SEC',
  'TIMER_DELAY_MS',
  '__BORNHOST',
  'BORN_TIMESTAMP',
  'DLQ_ORIGIN_TOPIC',
  'DLQ_ORIGIN_MESSAGE_ID',
  'INNER_NUM',
  'INNER_BASE',
]);

export function validatePropertyKey(key: string): void {
  if (!key.trim() || CONTROL_CHARS.test(key)) {
    throw new BrokerError(Code.ILLEGAL_MESSAGE_PROPERTY_KEY, `property key "${key}" is illegal: it must be non-blank and contain no control characters`);
  }
  if (RESERVED_PROPERTY_KEYS.has(key)) {
    throw new BrokerError(Code.ILLEGAL_MESSAGE_PROPERTY_KEY, `property key "${key}" is reserved by RocketMQ; choose another key`);
  }
}
