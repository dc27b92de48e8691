// The pure parts of the store: the LevelDB key layout (fixed-width hex numbers sort
// numerically as strings; prefix ranges select exactly one prefix), the record codec
// (JSON header + raw body bytes) and the receipt handle format.
import { describe, expect, it } from 'vitest';
import { BrokerError, Code } from '../../../src/errors.js';
import { checkDueKey, cursorKey, inflightKey, join, logKey, logRange, messageIdKey, parseU64, prefixRange, scheduledKey, split, u64 } from '../../../src/store/level/keys.js';
import { decodeReceiptHandle, encodeReceiptHandle, newDeliveryToken, type ReceiptHandleParts } from '../../../src/store/receipt-handle.js';
import { decodeRecord, encodeRecord, encodeRecords } from '../../../src/store/level/record-codec.js';

const inRange = (key: string, r: { gte: string; lt: string }): boolean => key >= r.gte && key < r.lt;

describe('u64', () => {
  it('is 16 lowercase hex digits', () => {
    expect(u64(0)).toBe('0000000000000000');
    expect(u64(255)).toBe('00000000000000ff');
    expect(u64(Number.MAX_SAFE_INTEGER)).toBe('001fffffffffffff');
  });

  it('sorts numerically as strings', () => {
    const numbers = [0, 1, 9, 10, 15, 16, 99, 100, 255, 256, 4095, 4096, 1_000_000, 2 ** 40, 1_700_000_000_000, Number.MAX_SAFE_INTEGER];
    const shuffled = [...numbers].reverse().map(u64);
    // Plain string sort (what LevelDB does with UTF-8 keys) gives numeric order.
    expect(shuffled.sort()).toEqual(numbers.map(u64));
    // Unlike decimal strings, which would put 10 before 9.
    expect(u64(9) < u64(10)).toBe(true);
  });

  it('gives the same digits for the cached small numbers as for any other', () => {
    for (const n of [0, 1, 17, 254, 255, 256, 257]) {
      expect(u64(n)).toBe(n.toString(16).padStart(16, '0'));
      expect(u64(n)).toBe(u64(n));
    }
    expect(() => u64(-1)).toThrow(RangeError);
    expect(() => u64(1.5)).toThrow(RangeError);
  });

  it('gives the digits of Number#toString(16) at the 32-bit boundaries and for times, offsets and the largest safe integer', () => {
    const numbers = [
      2 ** 31 - 1,
      2 ** 31,
      2 ** 32 - 1,
      2 ** 32,
      2 ** 32 + 1,
      2 ** 48 + 0xabcdef,
      1_700_000_000_123,
      Number.MAX_SAFE_INTEGER - 1_700_000_000_123,
      Number.MAX_SAFE_INTEGER,
    ];
    // And a spread of others across the whole range (a fixed sequence: the same numbers each run).
    for (let x = 0x9e3779b9, i = 0; i < 1000; i++) {
      x = (Math.imul(x, 1_103_515_245) + 12_345) >>> 0;
      numbers.push(Math.floor((x / 2 ** 32) * Number.MAX_SAFE_INTEGER), x, x * 1024 + (i % 1024));
    }
    for (const n of numbers) expect(u64(n)).toBe(n.toString(16).padStart(16, '0'));
  });

  it('builds the log and message-id keys as join() of their parts', () => {
    for (const [q, o] of [
      [0, 0],
      [3, 255],
      [300, 2 ** 40],
    ] as const) {
      expect(logKey('Orders', q, o)).toBe(join('Orders', u64(q), u64(o)));
      expect(messageIdKey('01ABC', 'Orders', q, o)).toBe(join('id', '01ABC', 'Orders', u64(q), u64(o)));
    }
  });

  it('round-trips through parseU64', () => {
    for (const n of [0, 1, 42, 65535, 1_700_000_000_123, Number.MAX_SAFE_INTEGER]) {
      expect(parseU64(u64(n))).toBe(n);
    }
  });

  it.each([-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, Number.MAX_SAFE_INTEGER + 1])('rejects %s', (n) => {
    expect(() => u64(n)).toThrow(RangeError);
  });
});

describe('join / split', () => {
  it('joins with NUL and splits back', () => {
    expect(join('a', 'b', 'c')).toBe('a\x00b\x00c');
    expect(split(join('Orders', u64(0), u64(7)))).toEqual(['Orders', u64(0), u64(7)]);
    expect(split('single')).toEqual(['single']);
  });
});

describe('prefixRange', () => {
  it('selects keys under the prefix and nothing else', () => {
    const r = prefixRange('Orders');
    expect(r).toEqual({ gte: 'Orders\x00', lt: 'Orders\x01' });
    expect(inRange(join('Orders', 'x'), r)).toBe(true);
    expect(inRange(join('Orders', u64(0), u64(Number.MAX_SAFE_INTEGER)), r)).toBe(true);
    // A topic whose name extends the prefix is not included.
    expect(inRange(join('OrdersArchive', 'x'), r)).toBe(false);
    expect(inRange(join('Order', 'x'), r)).toBe(false);
    // The bare prefix itself is not a key under it.
    expect(inRange('Orders', r)).toBe(false);
  });

  it('works for multi-part prefixes', () => {
    const r = prefixRange('c', 'Orders');
    expect(inRange(cursorKey('Orders', 'g1', 0), r)).toBe(true);
    expect(inRange(cursorKey('Orders2', 'g1', 0), r)).toBe(false);
    expect(inRange(inflightKey('Orders', 'g1', 0, 5), r)).toBe(false);
  });
});

describe('key builders', () => {
  it('logKey sorts by offset within a queue and stays inside logRange', () => {
    const offsets = [0, 1, 2, 10, 16, 255, 256, 100_000];
    const keys = offsets.map((o) => logKey('Orders', 0, o));
    expect([...keys].reverse().sort()).toEqual(keys);
    for (const k of keys) {
      expect(inRange(k, logRange('Orders', 0))).toBe(true);
      expect(inRange(k, logRange('Orders', 1))).toBe(false);
      expect(inRange(k, logRange('Order', 0))).toBe(false);
    }
    expect(split(logKey('Orders', 3, 77))).toEqual(['Orders', u64(3), u64(77)]);
  });

  it('cursor and in-flight keys are topic first, in separate namespaces', () => {
    expect(split(cursorKey('T', 'G', 0))).toEqual(['c', 'T', 'G', u64(0)]);
    expect(split(inflightKey('T', 'G', 0, 9))).toEqual(['i', 'T', 'G', u64(0), u64(9)]);
    const r = prefixRange('i', 'T', 'G', u64(0));
    expect(inRange(inflightKey('T', 'G', 0, 9), r)).toBe(true);
    expect(inRange(inflightKey('T', 'G', 1, 9), r)).toBe(false);
    expect(inRange(inflightKey('T', 'GG', 0, 9), r)).toBe(false);
  });

  it('checkDueKey orders a producer group by due time', () => {
    const keys = [checkDueKey('pg', 5_000, 'tx-b'), checkDueKey('pg', 40_000, 'tx-a'), checkDueKey('pg', 1_700_000_000_000, 'tx-0')];
    expect([...keys].reverse().sort()).toEqual(keys);
    expect(split(keys[0]!)).toEqual(['pg', u64(5_000), 'tx-b']);
    const due = prefixRange('pg');
    expect(keys.every((k) => inRange(k, due))).toBe(true);
    expect(inRange(checkDueKey('pg2', 0, 'x'), due)).toBe(false);
  });

  it('scheduledKey orders by delivery time, then sequence', () => {
    const keys = [scheduledKey(100, 5), scheduledKey(100, 6), scheduledKey(101, 0), scheduledKey(1_700_000_000_000, 0)];
    expect([...keys].reverse().sort()).toEqual(keys);
    const [at, seq] = split(scheduledKey(1234, 56)).map(parseU64);
    expect([at, seq]).toEqual([1234, 56]);
  });
});

describe('record codec', () => {
  interface Rec {
    topic: string;
    offset: number;
    keys: string[];
    props: Record<string, string>;
    tag?: string;
    body: Buffer;
  }

  it('round-trips header fields and a text body', () => {
    const rec: Rec = { topic: 'Orders', offset: 7, keys: ['a', 'b'], props: { x: 'ü€' }, tag: 'T', body: Buffer.from('héllo') };
    const back = decodeRecord<Rec>(encodeRecord(rec));
    expect(back).toEqual(rec);
    expect(Buffer.isBuffer(back.body)).toBe(true);
  });

  it('stores the body bytes untouched after a binary header (marker 0xB1), smaller than a JSON one', () => {
    const body = Buffer.from([0xde, 0xad, 0xbe, 0xef]);
    const rec = {
      topic: 'Orders',
      messageId: 'M1',
      messageType: 'NORMAL',
      keys: ['k'],
      userProperties: { a: 'b' },
      bornTimestampMs: 1,
      bornHost: 'h',
      queueId: 0,
      offset: 3,
      storeTimestampMs: 2,
      body,
    };
    const buf = encodeRecord(rec);
    expect(buf[0]).toBe(0xb1);
    expect(buf.subarray(buf.length - body.length)).toEqual(body);
    const { body: _b, ...header } = rec;
    expect(buf.length).toBeLessThan(4 + Buffer.byteLength(JSON.stringify(header)) + body.length);
    expect(decodeRecord(buf)).toEqual(rec);
  });

  it('round-trips every field of the binary header with its type, in the field order of the encoder', () => {
    const rec = {
      topic: 'Orders',
      messageId: 'M1',
      messageType: 'FIFO',
      tag: 'TagA',
      keys: ['k1', 'k2'],
      messageGroup: 'g-1',
      userProperties: { a: 'b', c: 'd' },
      bornTimestampMs: 1_700_000_000_123,
      bornHost: '10.0.0.1',
      deliveryTimestampMs: 1_700_000_009_000,
      queueId: 3,
      offset: 42,
      storeTimestampMs: 1_700_000_000_456,
      transactionId: 'tx-9',
      body: Buffer.from('payload'),
    };
    const back = decodeRecord<typeof rec>(encodeRecord(rec));
    expect(back).toStrictEqual(rec);
    expect(Object.keys(back)).toEqual(Object.keys(rec));
  });

  it('reads records with a JSON header (storage formats up to 4)', () => {
    const head = Buffer.from(JSON.stringify({ topic: 'Orders', offset: 7, keys: ['a'], deadLetter: { topic: 'x', messageId: 'y', group: 'g' } }));
    const length = Buffer.alloc(4);
    length.writeUInt32BE(head.length, 0);
    const back = decodeRecord<Rec>(Buffer.concat([length, head, Buffer.from('old')]));
    expect(back).toEqual({ topic: 'Orders', offset: 7, keys: ['a'], deadLetter: { topic: 'x', messageId: 'y', group: 'g' }, body: Buffer.from('old') });
  });

  it('stores a transaction id equal to the message id once, and any other one as it is', () => {
    const base = { topic: 't', messageId: '01ABCDEF0123456789ABCDEF01234567', body: Buffer.from('b') };
    const same = encodeRecord({ ...base, transactionId: base.messageId });
    const other = encodeRecord({ ...base, transactionId: 'another-transaction-id' });
    expect(same.length).toBeLessThan(encodeRecord(base).length + 4);
    expect(decodeRecord(same)).toEqual({ ...base, transactionId: base.messageId });
    expect(decodeRecord(other)).toEqual({ ...base, transactionId: 'another-transaction-id' });
  });

  it('round-trips fields outside the binary header and fields of unusual types (through its JSON part)', () => {
    const rec = { topic: 't', messageId: 'm', deadLetter: { topic: 'orders', messageId: 'x', group: 'g' }, queueId: 0, tag: null, extra: [1, 'two'], body: Buffer.from('b') };
    expect(decodeRecord(encodeRecord(rec))).toEqual(rec);
  });

  it('keeps a user property named __proto__ a property, and non-ASCII text intact', () => {
    const userProperties = JSON.parse('{"__proto__":"p","ü€":"𝄞 ok"}') as Record<string, string>;
    const back = decodeRecord<{ userProperties: Record<string, string>; keys: string[]; body: Buffer }>(
      encodeRecord({ userProperties, keys: ['ключ', '鍵'], body: Buffer.alloc(0) }),
    );
    expect(Object.getPrototypeOf(back.userProperties)).toBe(Object.prototype);
    expect(Object.entries(back.userProperties)).toEqual([
      ['__proto__', 'p'],
      ['ü€', '𝄞 ok'],
    ]);
    expect(back.keys).toEqual(['ключ', '鍵']);
  });

  it('round-trips arbitrary binary bodies, including every byte value', () => {
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const zeros = Buffer.alloc(1024);
    const notUtf8 = Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0x00, 0x80]);
    for (const body of [all, zeros, notUtf8, Buffer.alloc(0)]) {
      const back = decodeRecord<{ n: number; body: Buffer }>(encodeRecord({ n: 1, body }));
      expect(back.body.equals(body)).toBe(true);
      expect(back.n).toBe(1);
    }
  });

  it('decodes from a Uint8Array view at an offset (as LevelDB may hand back)', () => {
    const encoded = encodeRecord({ id: 'x', body: Buffer.from([1, 2, 3]) });
    const backing = new Uint8Array(encoded.length + 10);
    backing.set(encoded, 5);
    const view = new Uint8Array(backing.buffer, 5, encoded.length);
    const back = decodeRecord<{ id: string; body: Buffer }>(view);
    expect(back.id).toBe('x');
    expect([...back.body]).toEqual([1, 2, 3]);
  });

  it('the decoded body is a copy, independent of the input buffer', () => {
    const encoded = encodeRecord({ body: Buffer.from('abc') });
    const back = decodeRecord<{ body: Buffer }>(encoded);
    encoded.fill(0);
    expect(back.body.toString()).toBe('abc');
  });

  // Golden bytes of the binary format (storage format 5) as the encoder before encodeRecords wrote
  // them: the same records must keep the same bytes (old data is read by the same decoder).
  const GOLDEN: [Record<string, unknown> & { body: Buffer }, string][] = [
    [
      {
        topic: 'Orders',
        messageId: '01A2B3C4',
        messageType: 'NORMAL',
        tag: 'TagA',
        keys: ['k1', 'ключ'],
        userProperties: { a: '1', 'ü€': 'x'.repeat(70) },
        bornTimestampMs: 1764000000123,
        bornHost: '10.0.0.1',
        queueId: 0,
        offset: 42,
        storeTimestampMs: 1764000001000,
        body: Buffer.from('body'),
      },
      'b1df1d060000004f7264657273080000003031413242334334060000004e4f524d414c040000005461674102000000020000006b3108000000d0bad0bbd18ed187020000000100000061010000003105000000c3bce282ac46000000' +
        '78'.repeat(70) +
        '00b0877e69ab79420800000031302e302e302e31000000000000000000000000000045400080be7e69ab7942626f6479',
    ],
    [
      {
        topic: 'Orders',
        messageId: 'm2',
        messageType: 'TRANSACTION',
        transactionId: 'tx-other',
        keys: [],
        userProperties: {},
        bornTimestampMs: 1,
        bornHost: '',
        queueId: 3,
        offset: 0,
        storeTimestampMs: 2,
        deadLetter: { topic: 'x', messageId: 'y', group: 'g' },
        body: Buffer.from([0, 255]),
      },
      'b1d7dd060000004f7264657273020000006d320b0000005452414e53414354494f4e0000000000000000000000000000f03f000000000000000000000840000000000000000000000000000000400800000074782d6f74686572380000007b22646561644c6574746572223a7b22746f706963223a2278222c226d6573736167654964223a2279222c2267726f7570223a2267227d7d00ff',
    ],
  ];

  it('writes the bytes of storage format 5 (golden records), alone and as a batch', () => {
    for (const [rec, hex] of GOLDEN) expect(encodeRecord(rec).toString('hex')).toBe(hex);
    expect(encodeRecords(GOLDEN.map(([rec]) => rec)).map((b) => b.toString('hex'))).toEqual(GOLDEN.map(([, hex]) => hex));
  });

  it('encodes a batch into one buffer, each record a view that decodes on its own', () => {
    const recs = Array.from({ length: 40 }, (_, i) => ({
      topic: i % 3 ? 'Orders' : 'Bestellungen-ü',
      messageId: `01A2B3C4D5E6F7${i.toString(16).padStart(12, '0')}`,
      keys: i % 4 ? [] : ['k', 'é'.repeat(i)],
      userProperties: i % 5 ? {} : { p: 'q'.repeat(i * 3) },
      offset: i,
      ...(i % 7 ? {} : { deadLetter: { topic: 'dl', messageId: 'x', group: 'g' } }),
      body: Buffer.alloc(i * 10, i),
    }));
    const views = encodeRecords(recs);
    expect(new Set(views.map((v) => v.buffer)).size).toBe(1);
    views.forEach((v, i) => {
      expect(v.equals(encodeRecord(recs[i]!))).toBe(true);
      expect(decodeRecord(v)).toEqual(recs[i]);
    });
    expect(encodeRecords([])).toEqual([]);
  });

  it('drops undefined header fields', () => {
    const back = decodeRecord<Rec>(encodeRecord<Rec>({ topic: 't', offset: 0, keys: [], props: {}, tag: undefined, body: Buffer.alloc(0) }));
    expect('tag' in back).toBe(false);
  });
});

describe('receipt handles', () => {
  const parts: ReceiptHandleParts = { topic: 'Orders', queueId: 0, offset: 42, token: 'a1b2c3d4e5f6' };

  it('round-trips', () => {
    expect(decodeReceiptHandle(encodeReceiptHandle(parts))).toEqual(parts);
  });

  it('has the versioned dotted shape', () => {
    expect(encodeReceiptHandle(parts)).toBe(`h1.${Buffer.from('Orders').toString('base64url')}.0.42.a1b2c3d4e5f6`);
  });

  it.each(['%DLQ%billing', 'a', 'Topic_with-dash|pipe', 'ünïcödé.topic', 'x'.repeat(127)])('round-trips topic %s', (topic) => {
    const p = { ...parts, topic, queueId: 7, offset: 1_700_000_000_000, token: newDeliveryToken() };
    const handle = encodeReceiptHandle(p);
    expect(handle.split('.')).toHaveLength(5);
    expect(decodeReceiptHandle(handle)).toEqual(p);
  });

  it('new delivery tokens are 12 lowercase hex digits and differ, also across refills of the random pool', () => {
    const tokens = new Set(Array.from({ length: 2_000 }, newDeliveryToken));
    expect(tokens.size).toBe(2_000);
    for (const t of tokens) expect(t).toMatch(/^[0-9a-f]{12}$/);
  });

  const good = encodeReceiptHandle(parts);
  const [v, t64, q, o, tok] = good.split('.');
  it.each([
    ['empty', ''],
    ['garbage', 'not-a-handle'],
    ['wrong version', ['h2', t64, q, o, tok].join('.')],
    ['missing part', [v, t64, q, o].join('.')],
    ['extra part', [good, 'x'].join('.')],
    ['empty topic', [v, '', q, o, tok].join('.')],
    ['topic not base64url', [v, 'Or+de/rs', q, o, tok].join('.')],
    ['topic with illegal characters', [v, '!!!', q, o, tok].join('.')],
    ['topic too short to decode', [v, 'T', q, o, tok].join('.')],
    ['topic with stray characters', [v, `${t64}*`, q, o, tok].join('.')],
    ['negative queue', [v, t64, '-1', o, tok].join('.')],
    ['non-numeric offset', [v, t64, q, '4x', tok].join('.')],
    ['offset too long', [v, t64, q, '1'.repeat(17), tok].join('.')],
    ['queue too long', [v, t64, '1'.repeat(10), o, tok].join('.')],
    ['short token', [v, t64, q, o, 'abc'].join('.')],
    ['uppercase token', [v, t64, q, o, tok!.toUpperCase().replace(/[0-9]/g, 'A')].join('.')],
    ['non-hex token', [v, t64, q, o, 'zzzzzzzzzzzz'].join('.')],
  ])('rejects a malformed handle (%s) with INVALID_RECEIPT_HANDLE', (_what, handle) => {
    let caught: unknown;
    try {
      decodeReceiptHandle(handle);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(BrokerError);
    expect((caught as BrokerError).code).toBe(Code.INVALID_RECEIPT_HANDLE);
    expect((caught as BrokerError).message).toMatch(/receipt handle is malformed/);
  });
});
