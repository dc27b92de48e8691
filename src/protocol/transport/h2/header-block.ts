// Owns gathering one header block (RFC 9113 §4.3, §6.2, §6.10): the fragment of a HEADERS frame
// (padding and priority fields taken off) and the CONTINUATION frames after it, bounded in
// encoded size (the header list size) and in frames, so endless CONTINUATION ends the connection.
import { Flag } from './frames.js';

export interface HeaderBlock {
  streamId: number;
  endStream: boolean;
  bytes: Buffer;
}

/** A connection error: its code and reason. */
export interface BlockError {
  code: 'protocol' | 'calm';
  reason: string;
}

const MAX_CONTINUATIONS = 64;

export class HeaderBlockReader {
  private streamId = 0;
  private endStream = false;
  private parts: Buffer[] = [];
  private size = 0;
  private frames = 0;
  /** A block is open: only its CONTINUATION frames may come. */
  open = false;

  constructor(private readonly maxBytes: number) {}

  /** A HEADERS frame: the whole block, undefined (CONTINUATION follows) or an error. */
  headers(flags: number, streamId: number, p: Buffer): HeaderBlock | BlockError | undefined {
    let at = 0;
    let end = p.length;
    if (flags & Flag.PADDED) {
      if (end < 1) return { code: 'protocol', reason: 'HEADERS padding past the frame' };
      end -= p[0]!;
      at = 1;
    }
    if (flags & Flag.PRIORITY) at += 5;
    if (end < at) return { code: 'protocol', reason: 'HEADERS padding past the frame' };
    const fragment = p.subarray(at, end);
    const endStream = (flags & Flag.END_STREAM) !== 0;
    if (flags & Flag.END_HEADERS) return { streamId, endStream, bytes: fragment };
    this.open = true;
    this.streamId = streamId;
    this.endStream = endStream;
    this.parts = [fragment];
    this.size = fragment.length;
    this.frames = 1;
    return undefined;
  }

  /** A CONTINUATION frame: the whole block once END_HEADERS, undefined before, or an error. */
  continuation(flags: number, streamId: number, p: Buffer): HeaderBlock | BlockError | undefined {
    if (!this.open || streamId !== this.streamId) return { code: 'protocol', reason: 'CONTINUATION without its HEADERS' };
    this.parts.push(p);
    this.size += p.length;
    if (this.size > this.maxBytes) return { code: 'calm', reason: 'header block over the header list size' };
    if (++this.frames > MAX_CONTINUATIONS) return { code: 'calm', reason: 'too many CONTINUATION frames' };
    if (!(flags & Flag.END_HEADERS)) return undefined;
    this.open = false;
    const bytes = Buffer.concat(this.parts, this.size);
    this.parts = [];
    return { streamId, endStream: this.endStream, bytes };
  }
}
