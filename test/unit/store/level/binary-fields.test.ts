// The field forms shared by the binary half-message and decision records: strings, key and
// check lists read back as written and sized exactly; a read past the end of a record, or a record
// not read to its end, is refused with the record's name; the lenient decoder answers undefined.
import { describe, expect, it } from 'vitest';
import {
  assertEnd,
  checksBytes,
  isChecks,
  isCount,
  isStrings,
  lenient,
  readChecks,
  readStr,
  readStrings,
  strBytes,
  stringsBytes,
  writeChecks,
  writeStrings,
} from '../../../../src/store/level/binary-fields.js';

describe('binary record fields', () => {
  it('writes key and check lists in exactly the bytes they are sized at, and reads them back', () => {
    const keys = ['k1', 'ключ', '', 'x'.repeat(100)];
    const checks = [
      { atMs: 1_700_000_000_123.5, clientId: 'client ✓' },
      { atMs: 0, clientId: '' },
    ];
    const b = Buffer.alloc(stringsBytes(keys) + checksBytes(checks));
    const end = writeChecks(b, writeStrings(b, 0, keys), checks);
    expect(end).toBe(b.length);
    const r = { at: 0, what: 'test record' };
    expect(readStrings(b, r)).toEqual(keys);
    expect(readChecks(b, r)).toEqual(checks);
    expect(() => assertEnd(b, r)).not.toThrow();
    expect(strBytes('ключ')).toBe(4 + 8);
  });

  it('refuses a string past the end and bytes left over, naming the record', () => {
    const b = Buffer.alloc(stringsBytes(['abc']));
    writeStrings(b, 0, ['abc']);
    expect(() => readStrings(b.subarray(0, b.length - 1), { at: 0, what: 'test record' })).toThrow(/test record of 10 bytes is truncated/);
    const longer = Buffer.concat([b, Buffer.from([1, 2])]);
    const r = { at: 0, what: 'test record' };
    expect(readStrings(longer, r)).toEqual(['abc']);
    expect(() => assertEnd(longer, r)).toThrow(/test record of 13 bytes has 2 bytes left over/);
    expect(readStr(Buffer.from([1, 0, 0, 0, 0x61]), { at: 0, what: 'test record' })).toBe('a');
  });

  it('tells well-formed lists and counts from others', () => {
    expect(isStrings(['a', ''])).toBe(true);
    expect(isStrings(['a', 1])).toBe(false);
    expect(isChecks([{ atMs: 1, clientId: 'c' }])).toBe(true);
    expect(isChecks([{ atMs: '1', clientId: 'c' }, null])).toBe(false);
    expect(isCount(0xffffffff)).toBe(true);
    expect(isCount(2 ** 32)).toBe(false);
    expect(isCount(-1)).toBe(false);
  });

  it('makes a decoder lenient: undefined for what it throws on or what is not an object', () => {
    const decode = lenient((id: string, b: Buffer) => {
      if (b.length === 0) throw new RangeError('empty');
      return { id, n: b[0] };
    });
    expect(decode('T', Buffer.from([7]))).toEqual({ id: 'T', n: 7 });
    expect(decode('T', Buffer.alloc(0))).toBeUndefined();
  });
});
