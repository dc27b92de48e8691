// The lean client's HTTP/2 output (scripts/bench/lean-h2-out.ts) on a recording socket: a turn's
// small pieces and frame headers leave as one write in order; large payloads leave uncopied in
// one corked batch with the bytes around them; a turn larger than the buffer goes on in another;
// and bytes a socket still holds (queued writes) are never overwritten by the next turn, while a
// buffer whose write completed is reused.
import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { FrameType, writeFrameHeader } from '../../../../src/protocol/transport/h2/frames.js';
import { H2Output } from '../../../../scripts/bench/lean-h2-out.js';

class RecordingSocket {
  destroyed = false;
  writableLength = 0;
  /** Whether writes stay queued (the socket keeps referring to their bytes). */
  queue = false;
  corked = 0;
  readonly writes: Buffer[] = [];
  readonly batches: number[] = [];
  write(b: Buffer): boolean {
    this.writes.push(b);
    if (this.queue) this.writableLength += b.length;
    if (this.corked === 0) this.batches.push(1);
    else this.batches[this.batches.length - 1]!++;
    return true;
  }
  cork(): void {
    this.corked++;
    this.batches.push(0);
  }
  uncork(): void {
    this.corked--;
  }
}

function header(length: number, id: number): Buffer {
  const h = Buffer.alloc(9);
  writeFrameHeader(h, 0, length, FrameType.DATA, 0, id);
  return h;
}

function setup(): { socket: RecordingSocket; out: H2Output } {
  const socket = new RecordingSocket();
  return { socket, out: new H2Output(socket as unknown as Socket) };
}

describe('H2Output', () => {
  it('writes a turn of small pieces and headers as one buffer, in order', () => {
    const { socket, out } = setup();
    const a = Buffer.from('hello');
    const b = Buffer.alloc(1500, 7);
    out.push(a);
    out.frameHeader(b.length, FrameType.DATA, 0, 3);
    out.push(b);
    out.flush();
    expect(socket.writes).toHaveLength(1);
    expect(socket.writes[0]!.equals(Buffer.concat([a, header(b.length, 3), b]))).toBe(true);
  });

  it('writes large payloads uncopied, with the bytes before and after them, in one corked batch', () => {
    const { socket, out } = setup();
    const big = Buffer.alloc(40_000, 1);
    out.frameHeader(big.length, FrameType.DATA, 0, 1);
    out.push(big);
    out.frameHeader(big.length, FrameType.DATA, 0, 3);
    out.push(big);
    out.push(Buffer.from('tail'));
    out.flush();
    expect(socket.batches).toEqual([socket.writes.length]);
    expect(socket.writes.filter((w) => w === big)).toHaveLength(2);
    expect(Buffer.concat(socket.writes).equals(Buffer.concat([header(big.length, 1), big, header(big.length, 3), big, Buffer.from('tail')]))).toBe(true);
  });

  it('goes on in a new buffer when a turn fills one', () => {
    const { socket, out } = setup();
    const piece = Buffer.alloc(10_000, 2);
    const want: Buffer[] = [];
    for (let i = 0; i < 20; i++) {
      const p = Buffer.from(piece.map((v) => v + i));
      out.push(p);
      want.push(p);
    }
    out.flush();
    expect(Buffer.concat(socket.writes).equals(Buffer.concat(want))).toBe(true);
  });

  it('never overwrites bytes the socket still holds, and reuses a buffer once its write completed', () => {
    const { socket, out } = setup();
    socket.queue = true;
    out.push(Buffer.from('first turn'));
    out.flush();
    out.push(Buffer.from('second turn'));
    out.flush();
    expect(socket.writes.map((w) => w.toString())).toEqual(['first turn', 'second turn']);
    socket.queue = false;
    socket.writableLength = 0;
    out.push(Buffer.from('third'));
    out.flush();
    const third = socket.writes[2]!;
    out.push(Buffer.from('fourth'));
    out.flush();
    expect(socket.writes[3]!.buffer).toBe(third.buffer); // the same buffer again
    expect(socket.writes[1]!.toString()).toBe('second turn');
  });
});
