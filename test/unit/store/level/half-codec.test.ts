// The half-message metadata encoding (storage format 7): every record round-trips through the
// binary form, records of the JSON forms of formats up to 6 are read as they are, a record the
// binary form cannot hold is written as JSON, and a damaged record is refused, not misread.
import { describe, expect, it } from 'vitest';
import type { HalfRecord } from '../../../../src/domain/transactions.js';
import { idRecord } from '../../../../src/store/level/db.js';
import { decodeHalfMeta, encodeHalfMeta, tryDecodeHalfMeta } from '../../../../src/store/level/half-codec.js';

const fresh: HalfRecord = {
  transactionId: 'TX1',
  messageId: 'TX1',
  topic: 'orders',
  producerGroup: 'orders',
  senderClientId: 'client-1',
  receivedAtMs: 1_700_000_000_123,
  state: 'PENDING',
  budget: 'checks',
  checkCount: 0,
  nextCheckAtMs: 1_700_000_006_123,
};

const checked: HalfRecord = {
  ...fresh,
  messageId: 'MSG-other',
  keys: ['k1', 'ключ', ''],
  state: 'ABANDONED',
  budget: 'age',
  checkCount: 3,
  timeouts: 2,
  awaitingAnswer: false,
  silenceIsUnknown: true,
  lastCheckAtMs: 1_700_000_036_000,
  lastCheckDueAtMs: 1_700_000_035_999,
  lastCheckClientId: 'client-2 ✓',
  abandonReason: 'no decision after 3 checks',
  checks: [
    { atMs: 1, clientId: 'a' },
    { atMs: 2, clientId: 'b' },
  ],
};

describe('half-message metadata encoding', () => {
  it('round-trips a fresh record and one with every optional field, binary, without the transaction id', () => {
    for (const r of [fresh, checked, { ...fresh, awaitingAnswer: true, silenceIsUnknown: false, keys: [], checks: [] }]) {
      const b = encodeHalfMeta(r);
      expect(b[0]).toBe(0xb2);
      expect(b.includes('TX1')).toBe(false);
      expect(decodeHalfMeta('TX1', b)).toEqual(r);
      expect(Object.keys(decodeHalfMeta('TX1', b)).sort()).toEqual(Object.keys(r).sort());
    }
  });

  it('is smaller than the JSON form', () => {
    expect(encodeHalfMeta(fresh).length).toBeLessThan(idRecord(fresh).length);
    expect(encodeHalfMeta(checked).length).toBeLessThan(idRecord(checked).length);
  });

  it('reads the JSON records of formats 5 and 6 (no ids) and of older formats (with both ids)', () => {
    expect(decodeHalfMeta('TX1', idRecord(fresh))).toEqual(fresh);
    expect(decodeHalfMeta('TX1', idRecord(checked))).toEqual(checked);
    expect(decodeHalfMeta('TX1', Buffer.from(JSON.stringify(checked)))).toEqual(checked);
  });

  it('writes a record the binary form cannot hold as JSON, which reads back as it was', () => {
    const odd = { ...fresh, checkCount: 1.5 } as HalfRecord;
    const b = encodeHalfMeta(odd);
    expect(b.toString()[0]).toBe('{');
    expect(decodeHalfMeta('TX1', b)).toEqual(odd);
  });

  it('refuses a truncated, overlong or unparsable record', () => {
    const b = encodeHalfMeta(checked);
    expect(() => decodeHalfMeta('TX1', b.subarray(0, b.length - 3))).toThrow(RangeError);
    expect(() => decodeHalfMeta('TX1', Buffer.concat([b, Buffer.from([0])]))).toThrow(/left over/);
    expect(tryDecodeHalfMeta('TX1', b.subarray(0, 10))).toBeUndefined();
    expect(tryDecodeHalfMeta('TX1', Buffer.from('{not json'))).toBeUndefined();
    expect(tryDecodeHalfMeta('TX1', b)).toEqual(checked);
  });
});
