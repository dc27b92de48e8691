// Naming rules (RocketMQ's TopicValidator and the proxy's validators): topics, groups, tags,
// keys, property keys, the dead-letter topic, and TAG filter expressions.
import { describe, expect, it } from 'vitest';
import { BrokerError, Code, type CodeValue } from '../../../src/errors.js';
import {
  DLQ_PREFIX,
  MAX_GROUP_NAME_LENGTH,
  MAX_NAMESPACE_LENGTH,
  MAX_TOPIC_NAME_LENGTH,
  RESERVED_PROPERTY_KEYS,
  deadLetterTopic,
  validateGroupName,
  validateKey,
  validatePropertyKey,
  validateTag,
  validateTopicName,
  validateUserTopicName,
} from '../../../src/domain/names.js';
import { qualify } from '../../../src/domain/namespace.js';
import { parseTagExpression } from '../../../src/domain/tag-filter.js';

function expectBrokerError(fn: () => unknown, code: CodeValue, message?: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(BrokerError);
  expect((caught as BrokerError).code).toBe(code);
  if (message) expect((caught as BrokerError).message).toMatch(message);
}

describe('topic names', () => {
  it.each(['Orders', 'orders_v2', 'a-b', 'A', '0', '%DLQ%billing', 'x|y', 'x'.repeat(MAX_TOPIC_NAME_LENGTH)])('accepts %s', (name) => {
    expect(() => validateTopicName(name)).not.toThrow();
  });

  it.each([
    ['empty', '', /empty/],
    ['blank', '   ', /empty/],
    ['space inside', 'my topic', /illegal/],
    ['dot', 'a.b', /illegal/],
    ['slash', 'a/b', /illegal/],
    ['non-ASCII', 'tópico', /illegal/],
    ['NUL', 'a\x00b', /illegal/],
    ['too long', 'x'.repeat(MAX_TOPIC_NAME_LENGTH + 1), /128 characters; at most 127/],
  ])('rejects %s with ILLEGAL_TOPIC', (_what, name, message) => {
    expectBrokerError(() => validateTopicName(name), Code.ILLEGAL_TOPIC, message);
  });

  it('leaves room for a namespace scope and, on dead-letter topics, for the longest group name', () => {
    const longGroup = 'g'.repeat(MAX_GROUP_NAME_LENGTH);
    expect(() => validateTopicName(deadLetterTopic(longGroup))).not.toThrow();
    expect(() => validateTopicName(qualify('n'.repeat(MAX_NAMESPACE_LENGTH), deadLetterTopic(longGroup)))).not.toThrow();
    expect(() => validateTopicName(qualify('n'.repeat(MAX_NAMESPACE_LENGTH), 'x'.repeat(MAX_TOPIC_NAME_LENGTH)))).not.toThrow();
    expectBrokerError(() => validateTopicName(deadLetterTopic(longGroup) + 'x'.repeat(MAX_NAMESPACE_LENGTH + 2)), Code.ILLEGAL_TOPIC, /at most/);
  });

  it('names the bad topic in the message', () => {
    expectBrokerError(() => validateTopicName('a b'), Code.ILLEGAL_TOPIC, /topic name "a b" is illegal/);
  });

  it('user topics may not use system prefixes', () => {
    expect(() => validateUserTopicName('Orders')).not.toThrow();
    expect(() => validateUserTopicName('my_rmq_sys_topic')).not.toThrow();
    for (const name of ['%DLQ%g', '%RETRY%g', 'rmq_sys_trace', 'RMQ_SYS_TRANS_HALF_TOPIC']) {
      expectBrokerError(() => validateUserTopicName(name), Code.ILLEGAL_TOPIC, /reserved for system topics/);
    }
  });

  it('user topics get the plain topic checks too', () => {
    expectBrokerError(() => validateUserTopicName(''), Code.ILLEGAL_TOPIC, /empty/);
    expectBrokerError(() => validateUserTopicName('a b'), Code.ILLEGAL_TOPIC, /illegal/);
  });
});

describe('group names', () => {
  it.each(['billing', 'GID_orders-1', 'x'.repeat(MAX_GROUP_NAME_LENGTH)])('accepts %s', (name) => {
    expect(() => validateGroupName(name)).not.toThrow();
  });

  it('allows longer names than topics', () => {
    expect(MAX_GROUP_NAME_LENGTH).toBeGreaterThan(MAX_TOPIC_NAME_LENGTH);
    expect(() => validateGroupName('g'.repeat(MAX_TOPIC_NAME_LENGTH + 1))).not.toThrow();
  });

  it.each([
    ['empty', ''],
    ['blank', ' '],
    ['illegal character', 'group#1'],
    ['too long', 'g'.repeat(MAX_GROUP_NAME_LENGTH + 1)],
  ])('rejects %s with ILLEGAL_CONSUMER_GROUP', (_what, name) => {
    expectBrokerError(() => validateGroupName(name), Code.ILLEGAL_CONSUMER_GROUP, /consumer group name/);
  });
});

describe('tags', () => {
  it.each(['TagA', 'tag with spaces', 'ünïcödé', '*', 'a&b'])('accepts %s', (tag) => {
    expect(() => validateTag(tag)).not.toThrow();
  });

  it.each([
    ['empty', ''],
    ['blank', '  '],
    ['pipe', 'A|B'],
    ['double pipe', 'A||B'],
    ['newline', 'A\nB'],
    ['tab', 'A\tB'],
    ['DEL', 'A\x7f'],
  ])('rejects %s with ILLEGAL_MESSAGE_TAG', (_what, tag) => {
    expectBrokerError(() => validateTag(tag), Code.ILLEGAL_MESSAGE_TAG, /message tag .* is illegal/s);
  });
});

describe('keys', () => {
  it.each(['order-1', 'key with spaces', 'a|b', '键'])('accepts %s', (key) => {
    expect(() => validateKey(key)).not.toThrow();
  });

  it.each([
    ['empty', ''],
    ['blank', '\u0020\u0020'],
    ['control character', 'a\x01b'],
    ['carriage return', 'a\r'],
  ])('rejects %s with ILLEGAL_MESSAGE_KEY', (_what, key) => {
    expectBrokerError(() => validateKey(key), Code.ILLEGAL_MESSAGE_KEY, /message key/);
  });
});

describe('property keys', () => {
  it.each(['color', 'x-trace-id', 'My Key', 'keys', 'tags'])('accepts %s', (key) => {
    expect(() => validatePropertyKey(key)).not.toThrow();
  });

  it.each(['', ' ', 'a\nb', 'a\x00'])('rejects illegal key %j', (key) => {
    expectBrokerError(() => validatePropertyKey(key), Code.ILLEGAL_MESSAGE_PROPERTY_KEY, /is illegal/);
  });

  it.each(['KEYS', 'TAGS', 'DELAY', 'UNIQ_KEY', 'TRANSACTION_CHECK_TIMES', '__SHARDINGKEY', '__transactionId__', 'TIMER_DELIVER_MS'])('rejects reserved key %s', (key) => {
    expectBrokerError(() => validatePropertyKey(key), Code.ILLEGAL_MESSAGE_PROPERTY_KEY, /reserved by RocketMQ/);
  });

  it('every reserved key is rejected', () => {
    for (const key of RESERVED_PROPERTY_KEYS) {
      expectBrokerError(() => validatePropertyKey(key), Code.ILLEGAL_MESSAGE_PROPERTY_KEY);
    }
  });
});

describe('deadLetterTopic', () => {
  it('is %DLQ% + group and is itself a valid topic name', () => {
    expect(DLQ_PREFIX).toBe('%DLQ%');
    expect(deadLetterTopic('billing')).toBe('%DLQ%billing');
    expect(() => validateTopicName(deadLetterTopic('billing'))).not.toThrow();
    expectBrokerError(() => validateUserTopicName(deadLetterTopic('billing')), Code.ILLEGAL_TOPIC);
  });
});

describe('parseTagExpression', () => {
  const tagsOf = (expression: string): string[] => {
    const f = parseTagExpression(expression);
    if (f.kind !== 'tags') throw new Error(`expected tags, got ${f.kind}`);
    return [...f.tags].sort();
  };

  it.each(['*', '', '  ', ' * '])('%j means all', (expression) => {
    expect(parseTagExpression(expression)).toEqual({ kind: 'all' });
  });

  it('a single tag', () => {
    expect(tagsOf('TagA')).toEqual(['TagA']);
  });

  it('tags joined by ||', () => {
    expect(tagsOf('A||B')).toEqual(['A', 'B']);
    expect(tagsOf('A||B||C')).toEqual(['A', 'B', 'C']);
  });

  it('trims whitespace around the expression and each tag', () => {
    expect(tagsOf('  A  ||  B ')).toEqual(['A', 'B']);
    expect(tagsOf('\tTagA\t')).toEqual(['TagA']);
  });

  it('keeps spaces inside a tag', () => {
    expect(tagsOf('tag one||tag two')).toEqual(['tag one', 'tag two']);
  });

  it('deduplicates', () => {
    expect(tagsOf('A||A||B')).toEqual(['A', 'B']);
  });

  it.each([
    ['empty tag in the middle', 'A||||B'],
    ['trailing ||', 'A||'],
    ['leading ||', '||A'],
    ['blank tag', 'A||  ||B'],
    ['bare ||', '||'],
    ['control character', 'A||B\x01'],
  ])('rejects %s with ILLEGAL_FILTER_EXPRESSION', (_what, expression) => {
    expectBrokerError(() => parseTagExpression(expression), Code.ILLEGAL_FILTER_EXPRESSION, /tag expression .* is illegal/s);
  });
});
