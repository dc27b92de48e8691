// gRPC message framing: messages split over several chunks, several messages in one chunk, a
// split prefix, empty messages, the common case handed on without copying, and an oversized
// declared length refused from the prefix alone.
import { describe, expect, it } from 'vitest';
import { FrameDecoder, frameMessage, type FrameSink } from '../../../../src/protocol/transport/framing.js';

function collector(): FrameSink & { messages: { compressed: boolean; payload: Buffer }[]; oversized: [number, number][] } {
  const messages: { compressed: boolean; payload: Buffer }[] = [];
  const oversized: [number, number][] = [];
  return {
    messages,
    oversized,
    onMessage: (compressed, payload) => messages.push({ compressed, payload: Buffer.from(payload) }),
    onOversized: (declared, limit) => oversized.push([declared, limit]),
  };
}

describe('FrameDecoder', () => {
  it('hands on a whole message in one chunk as a view of the chunk (no copy)', () => {
    const chunk = frameMessage(Buffer.from('hello'));
    let seen: Buffer | undefined;
    const decoder = new FrameDecoder(1024, { onMessage: (_c, p) => (seen = p), onOversized: () => undefined });
    decoder.push(chunk);
    expect(seen?.toString()).toBe('hello');
    expect(seen?.buffer).toBe(chunk.buffer);
    expect(seen?.byteOffset).toBe(chunk.byteOffset + 5);
    expect(decoder.pending).toBe(false);
  });

  it('gathers a message split over several chunks, the prefix too', () => {
    const framed = frameMessage(Buffer.from('a message split over chunks'));
    const sink = collector();
    const decoder = new FrameDecoder(1024, sink);
    for (const cut of [
      [0, 2],
      [2, 7],
      [7, 12],
      [12, framed.length],
    ])
      decoder.push(framed.subarray(cut[0], cut[1]));
    expect(sink.messages.map((m) => m.payload.toString())).toEqual(['a message split over chunks']);
    expect(decoder.pending).toBe(false);
  });

  it('splits several messages in one chunk, including an empty one and a compressed flag', () => {
    const compressed = frameMessage(Buffer.from('z'));
    compressed[0] = 1;
    const sink = collector();
    const decoder = new FrameDecoder(1024, sink);
    decoder.push(Buffer.concat([frameMessage(Buffer.from('one')), frameMessage(Buffer.alloc(0)), compressed, frameMessage(Buffer.from('two')).subarray(0, 6)]));
    expect(decoder.pending).toBe(true);
    decoder.push(frameMessage(Buffer.from('two')).subarray(6));
    expect(sink.messages.map((m) => [m.compressed, m.payload.toString()])).toEqual([
      [false, 'one'],
      [false, ''],
      [true, 'z'],
      [false, 'two'],
    ]);
  });

  it('reads a prefix split byte by byte followed by an empty message', () => {
    const sink = collector();
    const decoder = new FrameDecoder(1024, sink);
    for (const byte of frameMessage(Buffer.alloc(0))) decoder.push(Buffer.from([byte]));
    expect(sink.messages).toHaveLength(1);
    expect(sink.messages[0]!.payload.length).toBe(0);
  });

  it('refuses a declared length over the limit from the prefix, and decodes nothing more', () => {
    const sink = collector();
    const decoder = new FrameDecoder(10, sink);
    const prefix = Buffer.from([0, 0x7f, 0xff, 0xff, 0xff]);
    decoder.push(Buffer.concat([prefix, Buffer.alloc(3)]));
    decoder.push(frameMessage(Buffer.from('later')));
    expect(sink.oversized).toEqual([[0x7fffffff, 10]]);
    expect(sink.messages).toEqual([]);
  });

  it('accepts a message exactly at the limit, split or not', () => {
    const sink = collector();
    const decoder = new FrameDecoder(4, sink);
    const framed = frameMessage(Buffer.from('four'));
    decoder.push(framed);
    decoder.push(framed.subarray(0, 3));
    decoder.push(framed.subarray(3));
    expect(sink.messages.map((m) => m.payload.toString())).toEqual(['four', 'four']);
    expect(sink.oversized).toEqual([]);
  });

  it('stops on stop(): what follows is ignored', () => {
    const sink = collector();
    const decoder = new FrameDecoder(1024, sink);
    decoder.stop();
    decoder.push(frameMessage(Buffer.from('x')));
    expect(sink.messages).toEqual([]);
  });
});

describe('frameMessage', () => {
  it('writes the flag 0 and the big-endian length before the bytes', () => {
    expect([...frameMessage(Buffer.from([9, 8, 7]))]).toEqual([0, 0, 0, 0, 3, 9, 8, 7]);
  });
});
