// The decision record encoding (storage format 8): every record round-trips through the binary
// form, records of the JSON forms of formats up to 7 are read as they are, a record the binary
// form cannot hold is written as JSON, and a damaged record is refused, not misread.
import { describe, expect, it } from 'vitest';
import type { TransactionDecision } from '../../../../src/domain/transactions.js';
import { idRecord } from '../../../../src/store/level/db.js';
import { decodeDecision, encodeDecision, tryDecodeDecision } from '../../../../src/store/level/decision-codec.js';

const committed: TransactionDecision = {
  transactionId: 'TX1',
  topic: 'orders',
  messageId: 'TX1',
  state: 'COMMITTED',
  source: 'CLIENT',
  receivedAtMs: 1_700_000_000_123,
  decidedAtMs: 1_700_000_000_456,
  checkCount: 0,
  offset: 12_345,
  decidedBy: { clientId: 'client-1', address: '127.0.0.1:50000' },
};

const full: TransactionDecision = {
  transactionId: 'TX1',
  topic: 'заказы',
  messageId: 'MSG-other',
  state: 'ROLLED_BACK',
  source: 'POLICY',
  reason: 'no decision after 3 checks ✓',
  receivedAtMs: 1_700_000_000_123,
  decidedAtMs: 1_700_000_036_000.5,
  checkCount: 3,
  keys: ['k1', 'ключ', ''],
  checks: [
    { atMs: 1, clientId: 'a' },
    { atMs: 2, clientId: 'b' },
  ],
  decidedBy: { user: 'ops', clientId: 'halfmoon-cli', address: '10.0.0.1' },
};

describe('decision record encoding', () => {
  it('round-trips a committed decision, one with every optional field and every source, binary, without the transaction id', () => {
    const sources = ['CLIENT', 'SERVER_CHECK', 'ADMIN', 'POLICY', 'HTTP'] as const;
    const records: TransactionDecision[] = [
      committed,
      full,
      { ...committed, decidedBy: {} },
      { ...full, keys: [], checks: [] },
      ...sources.map((source) => ({ ...committed, source })),
    ];
    for (const r of records) {
      const b = encodeDecision(r);
      expect(b[0]).toBe(0xd8);
      expect(b.includes('TX1')).toBe(false);
      expect(decodeDecision('TX1', b)).toEqual(r);
      expect(Object.keys(decodeDecision('TX1', b)).sort()).toEqual(Object.keys(r).sort());
    }
  });

  it('is smaller than the JSON form', () => {
    expect(encodeDecision(committed).length).toBeLessThan(idRecord(committed).length * 0.7);
    expect(encodeDecision(full).length).toBeLessThan(idRecord(full).length);
  });

  it('reads the JSON records of formats 5 to 7 (no ids) and of older formats (with both ids)', () => {
    expect(decodeDecision('TX1', idRecord(committed))).toEqual(committed);
    expect(decodeDecision('TX1', idRecord(full))).toEqual(full);
    expect(decodeDecision('TX1', Buffer.from(JSON.stringify(full)))).toEqual(full);
  });

  it('writes a record the binary form cannot hold as JSON, which reads back as it was', () => {
    for (const odd of [
      { ...committed, checkCount: 1.5 },
      { ...committed, source: 'LEGACY' },
      { ...committed, offset: '7' },
    ] as unknown as TransactionDecision[]) {
      const b = encodeDecision(odd);
      expect(b.toString()[0]).toBe('{');
      expect(decodeDecision('TX1', b)).toEqual(odd);
    }
  });

  it('refuses a truncated, overlong, unparsable record or one naming an unknown source', () => {
    const b = encodeDecision(full);
    expect(() => decodeDecision('TX1', b.subarray(0, b.length - 3))).toThrow(RangeError);
    expect(() => decodeDecision('TX1', Buffer.concat([b, Buffer.from([0])]))).toThrow(/left over/);
    const unknownSource = Buffer.from(b);
    unknownSource.writeUInt16LE(unknownSource.readUInt16LE(1) | (0b111 << 1), 1);
    expect(() => decodeDecision('TX1', unknownSource)).toThrow(/unknown source/);
    expect(tryDecodeDecision('TX1', b.subarray(0, 10))).toBeUndefined();
    expect(tryDecodeDecision('TX1', Buffer.from('{not json'))).toBeUndefined();
    expect(tryDecodeDecision('TX1', b)).toEqual(full);
  });
});
