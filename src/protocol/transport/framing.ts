// Owns gRPC message framing: the 5-byte prefix (compressed flag, big-endian length) of every
// message. FrameDecoder splits a call's DATA chunks into messages — several per chunk, or one over
// several chunks — and hands each to its sink; the common case (a whole message in one chunk) is
// handed on as a view of the chunk, without copying. A declared length over the receive limit is
// refused from the prefix alone, before any of the message is buffered. frameMessage prefixes one
// encoded message for sending.

const PREFIX = 5;

/** Where decoded messages go (the call). */
export interface FrameSink {
  /** One message: its compressed flag and its bytes (a view; valid as long as the caller keeps it). */
  onMessage(compressed: boolean, payload: Buffer): void;
  /** A message declared larger than the limit; nothing more is decoded. */
  onOversized(declared: number, limit: number): void;
}

export class FrameDecoder {
  /** Bytes of a prefix split over chunks. */
  private head: Buffer | undefined;
  private headLength = 0;
  /** The message being gathered over chunks: its flag, length, and the parts so far. */
  private expected = -1;
  private compressed = false;
  private parts: Buffer[] = [];
  private gathered = 0;
  private failed = false;

  constructor(
    private readonly limit: number,
    private readonly sink: FrameSink,
  ) {}

  /** Bytes of a message begun but not complete (a call that ends here is truncated). */
  get pending(): boolean {
    return this.headLength > 0 || this.expected >= 0;
  }

  push(chunk: Buffer): void {
    if (this.failed) return;
    let at = 0;
    const end = chunk.length;
    while (at < end) {
      if (this.expected < 0) {
        let flag: number;
        let length: number;
        if (this.headLength === 0 && end - at >= PREFIX) {
          flag = chunk[at]!;
          length = chunk.readUInt32BE(at + 1);
          at += PREFIX;
          if (length > this.limit) return this.oversized(length);
          if (end - at >= length) {
            // The common case: the whole message is in this chunk.
            this.sink.onMessage(flag !== 0, chunk.subarray(at, at + length));
            at += length;
            if (this.failed) return;
            continue;
          }
        } else {
          const head = (this.head ??= Buffer.allocUnsafe(PREFIX));
          const take = Math.min(PREFIX - this.headLength, end - at);
          chunk.copy(head, this.headLength, at, at + take);
          this.headLength += take;
          at += take;
          if (this.headLength < PREFIX) return;
          this.headLength = 0;
          flag = head[0]!;
          length = head.readUInt32BE(1);
          if (length > this.limit) return this.oversized(length);
          if (length === 0) {
            this.sink.onMessage(flag !== 0, Buffer.alloc(0));
            if (this.failed) return;
            continue;
          }
        }
        this.expected = length;
        this.compressed = flag !== 0;
        this.gathered = 0;
        if (at >= end) return;
      }
      const take = Math.min(this.expected - this.gathered, end - at);
      this.parts.push(at === 0 && take === end ? chunk : chunk.subarray(at, at + take));
      this.gathered += take;
      at += take;
      if (this.gathered === this.expected) {
        const payload = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.expected);
        this.parts = [];
        this.expected = -1;
        this.sink.onMessage(this.compressed, payload);
        if (this.failed) return;
      }
    }
  }

  /** Stops decoding (the call is over). */
  stop(): void {
    this.failed = true;
    this.parts = [];
  }

  private oversized(length: number): void {
    this.stop();
    this.sink.onOversized(length, this.limit);
  }
}

/** One encoded message with its prefix (uncompressed). */
export function frameMessage(body: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(PREFIX + body.length);
  out[0] = 0;
  out.writeUInt32BE(body.length, 1);
  out.set(body, PREFIX);
  return out;
}
