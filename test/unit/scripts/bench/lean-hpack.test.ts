// The lean client's HPACK (scripts/bench/lean-hpack.ts) against the broker's own HPACK codec: the
// request blocks IndexingEncoder writes (first as literals with indexing, then as indexes; kept
// blocks reused only while the table is unchanged, and right again after another list inserted
// entries) decode to their fields on a server-side decoder fed every block in order; the response
// decoder gives HpackDecoder's fields for the broker's blocks (kept ones included, Huffman or not)
// and for blocks that use the dynamic table, which it never keeps.
import { describe, expect, it } from 'vitest';
import { HpackDecoder, HpackEncoder, type HeaderField } from '../../../../src/protocol/transport/h2/hpack.js';
import { IndexingEncoder, ResponseHeaderDecoder } from '../../../../scripts/bench/lean-hpack.js';

const flat = (fields: readonly HeaderField[]): string[] => fields.flatMap(([n, v]) => [n, v]);

function request(path: string, timeout: string): [string, string][] {
  return [
    [':method', 'POST'],
    [':scheme', 'http'],
    [':path', path],
    [':authority', '127.0.0.1:8081'],
    ['content-type', 'application/grpc'],
    ['te', 'trailers'],
    ['grpc-timeout', timeout],
    ['x-mq-client-id', 'bench-client-1'],
  ];
}

describe('IndexingEncoder', () => {
  it('writes blocks a server decodes to the fields, reused while the table is unchanged', () => {
    const enc = new IndexingEncoder(4096);
    const server = new HpackDecoder(4096);
    const send = request('/apache.rocketmq.v2.MessagingService/SendMessage', '10000m');
    const ack = request('/apache.rocketmq.v2.MessagingService/AckMessage', '10000m');
    const first = enc.encode(send);
    expect(server.decode(first, 1 << 20)).toEqual(flat(send));
    const second = enc.encode(send);
    expect(second.length).toBe(send.length); // one index byte a field
    expect(server.decode(second, 1 << 20)).toEqual(flat(send));
    expect(enc.encode(send)).toBe(enc.encode(send)); // kept
    expect(server.decode(enc.encode(ack), 1 << 20)).toEqual(flat(ack)); // inserts :path of AckMessage
    const after = enc.encode(send);
    expect(after.equals(second)).toBe(false); // the indexes moved
    expect(server.decode(after, 1 << 20)).toEqual(flat(send));
    expect(server.decode(enc.encode(ack), 1 << 20)).toEqual(flat(ack));
  });

  it('sends literals without indexing once the table is full, and they still decode', () => {
    const enc = new IndexingEncoder(200);
    const server = new HpackDecoder(4096);
    const lists = Array.from({ length: 6 }, (_, i) => request(`/svc/Method${i}`, `${i + 1}m`));
    for (let round = 0; round < 3; round++) for (const l of lists) expect(server.decode(enc.encode(l), 1 << 20)).toEqual(flat(l));
  });
});

describe('ResponseHeaderDecoder', () => {
  it('decodes the broker blocks as HpackDecoder does, again and again', () => {
    const dec = new ResponseHeaderDecoder(4096, 1 << 20);
    const headers: HeaderField[] = [
      [':status', '200'],
      ['content-type', 'application/grpc+proto'],
      ['grpc-accept-encoding', 'identity,deflate,gzip'],
    ];
    const trailers: HeaderField[] = [
      ['grpc-status', '0'],
      ['grpc-message', 'OK'],
    ];
    const failed: HeaderField[] = [
      ['grpc-status', '5'],
      ['grpc-message', 'topic not found'],
    ];
    for (const huffman of [false, true]) {
      const broker = new HpackEncoder({ huffman });
      for (let i = 0; i < 3; i++) {
        for (const f of [headers, trailers, failed]) expect(dec.decode(broker.encode(f))).toEqual(flat(f));
      }
    }
  });

  it('decodes blocks that index into the dynamic table without keeping them', () => {
    const dec = new ResponseHeaderDecoder(4096, 1 << 20);
    const trailers: [string, string][] = [
      ['grpc-status', '0'],
      ['grpc-message', 'OK'],
    ];
    const plain = new HpackEncoder().encode(trailers);
    expect(dec.decode(plain)).toEqual(flat(trailers));
    // A peer that indexes: the first block inserts entries, the second refers to them.
    const indexing = new IndexingEncoder(4096);
    const inserting = indexing.encode(trailers);
    expect(dec.decode(inserting)).toEqual(flat(trailers));
    const indexed = indexing.encode(trailers);
    expect(dec.decode(indexed)).toEqual(flat(trailers));
    expect(dec.decode(plain)).toEqual(flat(trailers));
    expect(dec.decode(Buffer.from([0xbf]))).toEqual(['grpc-status', '0']); // index 63: the older entry
  });
});
