// The pure authorization and signature rules: resource patterns, Deny winning, no rule = denied,
// super users, input validation; and the MQv2 signature exactly as rocketmq-client-nodejs makes it.
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { checkAccess, matchResource, parseActions, parseResource, type AclRule } from '../../../src/domain/acl.js';
import { BrokerError, Code } from '../../../src/errors.js';
import { formatMqDateTime, parseMqDateTime, parseMqv2Authorization, verifyMqv2 } from '../../../src/domain/mqv2-signature.js';

const bob = { name: 'bob', superUser: false };
const rule = (resource: string, actions: AclRule['actions'], decision: AclRule['decision'] = 'Allow'): AclRule => ({ user: 'bob', resource, actions, decision });

function refusal(fn: () => unknown): BrokerError {
  try {
    fn();
  } catch (err) {
    return err as BrokerError;
  }
  throw new Error('expected a refusal');
}

describe('ACL rules', () => {
  it('matches exact names, prefix patterns, a type wildcard and *', () => {
    expect(matchResource('Topic:orders', 'Topic', 'orders')).toBeGreaterThan(0);
    expect(matchResource('Topic:orders', 'Topic', 'orders-eu')).toBe(-1);
    expect(matchResource('Topic:orders-*', 'Topic', 'orders-eu')).toBeGreaterThan(0);
    expect(matchResource('Topic:orders-*', 'Topic', 'order')).toBe(-1);
    expect(matchResource('Topic:orders-*', 'Group', 'orders-eu')).toBe(-1);
    expect(matchResource('Group:*', 'Group', 'g')).toBeGreaterThanOrEqual(0);
    expect(matchResource('*', 'Topic', 'anything')).toBe(0);
  });

  it('denies without a rule, allows with a matching one, and lets Deny win over any Allow', () => {
    const need = { type: 'Topic', name: 'orders-eu', action: 'Pub' } as const;
    expect(checkAccess(bob, [], need)).toEqual({ allowed: false, reason: 'no rule allows it' });
    expect(checkAccess(bob, [rule('Topic:orders-*', ['Pub'])], need)).toEqual({ allowed: true });
    expect(checkAccess(bob, [rule('Topic:orders-*', ['Sub'])], need).allowed).toBe(false);
    expect(checkAccess(bob, [rule('*', ['All'])], need).allowed).toBe(true);
    expect(checkAccess(bob, [rule('*', ['All']), rule('Topic:orders-eu', ['Pub'], 'Deny')], need)).toEqual({ allowed: false, reason: 'denied by rule Topic:orders-eu' });
    expect(checkAccess(bob, [rule('Topic:orders-eu', ['Pub']), rule('Topic:*', ['All'], 'Deny')], need).allowed).toBe(false);
    // Another user's rules do not count.
    expect(checkAccess(bob, [{ ...rule('*', ['All']), user: 'carol' }], need).allowed).toBe(false);
    expect(checkAccess({ name: 'root', superUser: true }, [], need)).toEqual({ allowed: true });
  });

  it('normalizes resources and actions and explains bad ones', () => {
    expect(parseResource('topic:orders-*')).toBe('Topic:orders-*');
    expect(parseResource(' group:G1 ')).toBe('Group:G1');
    expect(parseResource('*')).toBe('*');
    expect(refusal(() => parseResource('Queue:x')).message).toMatch(/Topic:<name>, Group:<name>/);
    expect(refusal(() => parseResource('Topic:a*b')).code).toBe(Code.BAD_REQUEST);
    expect(parseActions('pub, SUB')).toEqual(['Pub', 'Sub']);
    expect(refusal(() => parseActions('Read')).message).toBe('action "Read" is unknown: use Pub, Sub or All');
    expect(refusal(() => parseActions('')).code).toBe(Code.BAD_REQUEST);
  });
});

describe('MQv2 signature', () => {
  // What rocketmq-client-nodejs's util.sign does: HMAC-SHA1 over x-mq-date-time, upper-case hex.
  const clientSign = (secret: string, dateTime: string): string => createHmac('sha1', secret).update(dateTime).digest('hex').toUpperCase();
  const now = Date.UTC(2026, 2, 9, 19, 54, 45);
  const dateTime = '20260309T195445Z';

  it('reads the date format both ways', () => {
    expect(parseMqDateTime(dateTime)).toBe(now);
    expect(formatMqDateTime(now)).toBe(dateTime);
    expect(refusal(() => parseMqDateTime('2026-03-09T19:54:45Z')).message).toMatch(/yyyyMMdd'T'HHmmss'Z'/);
  });

  it("accepts the official client's header, lower-case hex, and extra Credential parts", () => {
    const sig = clientSign('s3cret-s3cret', dateTime);
    const header = `MQv2-HMAC-SHA1 Credential=ak, SignedHeaders=x-mq-date-time, Signature=${sig}`;
    expect(() => verifyMqv2(parseMqv2Authorization(header), dateTime, 's3cret-s3cret', now, 15 * 60_000)).not.toThrow();
    const lower = parseMqv2Authorization(`MQv2-HMAC-SHA1 Credential=ak/20260309/cn, SignedHeaders=x-mq-date-time, Signature=${sig.toLowerCase()}`);
    expect(lower.accessKey).toBe('ak');
    expect(() => verifyMqv2(lower, dateTime, 's3cret-s3cret', now, 15 * 60_000)).not.toThrow();
  });

  it('refuses malformed headers, skewed dates and wrong signatures with UNAUTHORIZED saying which part, never the secret', () => {
    expect(refusal(() => parseMqv2Authorization('Bearer x')).message).toMatch(/malformed/);
    expect(refusal(() => parseMqv2Authorization('MQv2-HMAC-SHA1 SignedHeaders=x-mq-date-time, Signature=00')).message).toMatch(/no Credential/);
    expect(refusal(() => parseMqv2Authorization('MQv2-HMAC-SHA1 Credential=ak, Signature=zz')).message).toMatch(/not 40 hex digits/);
    const auth = parseMqv2Authorization(`MQv2-HMAC-SHA1 Credential=ak, SignedHeaders=x-mq-date-time, Signature=${clientSign('s3cret-s3cret', dateTime)}`);
    const skew = refusal(() => verifyMqv2(auth, dateTime, 's3cret-s3cret', now + 16 * 60_000, 15 * 60_000));
    expect(skew.code).toBe(Code.UNAUTHORIZED);
    expect(skew.message).toMatch(/x-mq-date-time 20260309T195445Z is 960 s from the broker clock/);
    const wrong = refusal(() => verifyMqv2(auth, dateTime, 'another-secret', now, 15 * 60_000));
    expect(wrong.code).toBe(Code.UNAUTHORIZED);
    expect(wrong.message).toMatch(/signature of access key ak does not match/);
    expect(wrong.message).not.toContain('another-secret');
  });
});
