// HPACK (RFC 7541) against the examples of its Appendix C — requests without and with Huffman
// coding (C.3, C.4), responses with a 256-byte table and its evictions (C.5, C.6) — plus what the
// decoder refuses (bad indexes, late or oversized table size updates, truncated strings, bad
// Huffman padding, EOS, header lists over the bound) and the encoder read back by the decoder.
import { describe, expect, it } from 'vitest';
import { HeaderListTooLarge, HpackDecoder, HpackEncoder, HpackError } from '../../../../../src/protocol/transport/h2/hpack.js';
import { huffmanDecode, huffmanEncode, huffmanLength } from '../../../../../src/protocol/transport/h2/huffman.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const pairs = (flat: string[]): [string, string][] => Array.from({ length: flat.length / 2 }, (_, i) => [flat[2 * i]!, flat[2 * i + 1]!]);
const LIMIT = 64 * 1024;

const REQUESTS: [string, string][][] = [
  [
    [':method', 'GET'],
    [':scheme', 'http'],
    [':path', '/'],
    [':authority', 'www.example.com'],
  ],
  [
    [':method', 'GET'],
    [':scheme', 'http'],
    [':path', '/'],
    [':authority', 'www.example.com'],
    ['cache-control', 'no-cache'],
  ],
  [
    [':method', 'GET'],
    [':scheme', 'https'],
    [':path', '/index.html'],
    [':authority', 'www.example.com'],
    ['custom-key', 'custom-value'],
  ],
];

const DATE = 'Mon, 21 Oct 2013 20:13:21 GMT';
const RESPONSES: [string, string][][] = [
  [
    [':status', '302'],
    ['cache-control', 'private'],
    ['date', DATE],
    ['location', 'https://www.example.com'],
  ],
  [
    [':status', '307'],
    ['cache-control', 'private'],
    ['date', DATE],
    ['location', 'https://www.example.com'],
  ],
  [
    [':status', '200'],
    ['cache-control', 'private'],
    ['date', 'Mon, 21 Oct 2013 20:13:22 GMT'],
    ['location', 'https://www.example.com'],
    ['content-encoding', 'gzip'],
    ['set-cookie', 'foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1'],
  ],
];

describe('HpackDecoder on RFC 7541 Appendix C', () => {
  it('C.2: one field of each representation', () => {
    expect(pairs(new HpackDecoder().decode(hex('400a637573746f6d2d6b65790d637573746f6d2d686561646572'), LIMIT))).toEqual([['custom-key', 'custom-header']]);
    expect(pairs(new HpackDecoder().decode(hex('040c2f73616d706c652f70617468'), LIMIT))).toEqual([[':path', '/sample/path']]);
    expect(pairs(new HpackDecoder().decode(hex('100870617373776f726406736563726574'), LIMIT))).toEqual([['password', 'secret']]);
    expect(pairs(new HpackDecoder().decode(hex('82'), LIMIT))).toEqual([[':method', 'GET']]);
  });

  it('C.3: requests without Huffman coding, on one connection', () => {
    const d = new HpackDecoder();
    const blocks = ['828684410f7777772e6578616d706c652e636f6d', '828684be58086e6f2d6361636865', '828785bf400a637573746f6d2d6b65790c637573746f6d2d76616c7565'];
    const sizes = [57, 110, 164];
    blocks.forEach((b, i) => {
      expect(pairs(d.decode(hex(b), LIMIT))).toEqual(REQUESTS[i]);
      expect(d.size).toBe(sizes[i]);
    });
  });

  it('C.4: requests with Huffman coding', () => {
    const d = new HpackDecoder();
    const blocks = ['828684418cf1e3c2e5f23a6ba0ab90f4ff', '828684be5886a8eb10649cbf', '828785bf408825a849e95ba97d7f8925a849e95bb8e8b4bf'];
    blocks.forEach((b, i) => expect(pairs(d.decode(hex(b), LIMIT))).toEqual(REQUESTS[i]));
    expect(d.size).toBe(164);
  });

  it('C.5: responses without Huffman coding, a 256-byte table evicting', () => {
    const d = new HpackDecoder(256);
    const blocks = [
      `4803333032580770726976617465611d4d6f6e2c203231204f637420323031332032303a31333a323120474d546e1768747470733a2f2f7777772e6578616d706c652e636f6d`,
      '4803333037c1c0bf',
      `88c1611d4d6f6e2c203231204f637420323031332032303a31333a323220474d54c05a04677a69707738666f6f3d4153444a4b48514b425a584f5157454f50495541585157454f49553b206d61782d6167653d333630303b2076657273696f6e3d31`,
    ];
    const sizes = [222, 222, 215];
    blocks.forEach((b, i) => {
      expect(pairs(d.decode(hex(b), LIMIT))).toEqual(RESPONSES[i]);
      expect(d.size).toBe(sizes[i]);
    });
  });

  it('C.6: responses with Huffman coding', () => {
    const d = new HpackDecoder(256);
    const first = '488264025885aec3771a4b6196d07abe941054d444a8200595040b8166e082a62d1bff6e919d29ad171863c78f0b97c8e9ae82ae43d3';
    expect(pairs(d.decode(hex(first), LIMIT))).toEqual(RESPONSES[0]);
    expect(pairs(d.decode(hex('4883640effc1c0bf'), LIMIT))).toEqual(RESPONSES[1]);
    expect(d.size).toBe(222);
  });
});

describe('HpackDecoder refuses', () => {
  const refuses = (block: string, d = new HpackDecoder()): void => expect(() => d.decode(hex(block), LIMIT), block).toThrow(HpackError);

  it('index 0 and indexes past both tables', () => {
    refuses('80');
    refuses('be'); // 62: the dynamic table is empty
    refuses('7f00'); // literal with indexing, name index 63
  });

  it('a table size update after a field, or over the announced size', () => {
    refuses('8220');
    refuses('3fe21f'); // 4096 + 1
    expect(pairs(new HpackDecoder().decode(hex('2082'), LIMIT))).toEqual([[':method', 'GET']]);
  });

  it('truncated integers and strings', () => {
    refuses('ff');
    refuses('4005616263');
    refuses('ffffffffffffff01');
  });

  it('Huffman strings with bad padding or EOS', () => {
    expect(huffmanDecode(hex('6402'), 0, 2)).toBe('302');
    expect(huffmanDecode(hex('640200'), 0, 3)).toBeUndefined(); // zero padding
    expect(huffmanDecode(hex('64ffff'), 0, 3)).toBeUndefined(); // padding over 7 bits
    expect(huffmanDecode(hex('ffffffff'), 0, 4)).toBeUndefined(); // EOS
    refuses('008364020000');
  });

  it('a header list over the bound, also one that indexes one entry many times', () => {
    const d = new HpackDecoder();
    const big = 'x'.repeat(3000);
    const block = Buffer.concat([new HpackEncoder().encode([['a', 'b']]), Buffer.from([0x40, 0x01, 0x78, 0x7f, 0xb9, 0x16]), Buffer.from(big)]);
    expect(() => d.decode(block, 1000)).toThrow(HeaderListTooLarge);
    const e = new HpackDecoder();
    e.decode(Buffer.concat([Buffer.from([0x40, 0x01, 0x78, 0x7f, 0xb9, 0x16]), Buffer.from(big)]), LIMIT);
    expect(() => e.decode(Buffer.alloc(100, 0xbe), LIMIT)).toThrow(HeaderListTooLarge);
  });
});

describe('HpackEncoder and the Huffman encoder', () => {
  it('encodes blocks the decoder reads back, static fields indexed', () => {
    const fields: [string, string][] = [
      [':status', '200'],
      ['content-type', 'application/grpc'],
      ['grpc-status', '0'],
      ['grpc-message', 'caf\u00e9 100%'],
    ];
    const plain = new HpackEncoder().encode(fields);
    expect(plain[0]).toBe(0x88);
    expect(pairs(new HpackDecoder().decode(plain, LIMIT))).toEqual(fields);
    const coded = new HpackEncoder({ huffman: true }).encode(fields, { huffman: true, tableSizeUpdate: 0 });
    expect(coded.length).toBeLessThan(plain.length + 1);
    expect(pairs(new HpackDecoder().decode(coded, LIMIT))).toEqual(fields);
  });

  it('Huffman-codes the RFC strings as the RFC does, and every byte round trip', () => {
    for (const [text, code] of [
      ['www.example.com', 'f1e3c2e5f23a6ba0ab90f4ff'],
      ['no-cache', 'a8eb10649cbf'],
      [DATE, 'd07abe941054d444a8200595040b8166e082a62d1bff'],
    ] as const) {
      const out = Buffer.alloc(huffmanLength(text));
      expect(huffmanEncode(text, out, 0)).toBe(out.length);
      expect(out.toString('hex')).toBe(code);
    }
    const all = Array.from({ length: 256 }, (_, i) => String.fromCharCode(i)).join('');
    const out = Buffer.alloc(huffmanLength(all));
    huffmanEncode(all, out, 0);
    expect(huffmanDecode(out, 0, out.length)).toBe(all);
  });
});
