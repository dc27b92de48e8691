// Owns the HTTP/2 frame layer (RFC 9113 §4, §6), for either side of a connection: the frame
// types, flags, error codes and settings, builders for every frame an endpoint sends (a DATA
// frame is its 9-byte header, the payload going out as it is), and FrameReader, which cuts frames
// straight out of the socket's chunks with a cursor — several frames per chunk without copying,
// a frame split over chunks gathered once — refusing a frame longer than our
// SETTINGS_MAX_FRAME_SIZE from its header alone. A server's reader first checks the client preface.

export const FrameType = {
  DATA: 0x0,
  HEADERS: 0x1,
  PRIORITY: 0x2,
  RST_STREAM: 0x3,
  SETTINGS: 0x4,
  PUSH_PROMISE: 0x5,
  PING: 0x6,
  GOAWAY: 0x7,
  WINDOW_UPDATE: 0x8,
  CONTINUATION: 0x9,
} as const;

export const Flag = {
  END_STREAM: 0x1,
  ACK: 0x1,
  END_HEADERS: 0x4,
  PADDED: 0x8,
  PRIORITY: 0x20,
} as const;

export const ErrorCode = {
  NO_ERROR: 0x0,
  PROTOCOL_ERROR: 0x1,
  INTERNAL_ERROR: 0x2,
  FLOW_CONTROL_ERROR: 0x3,
  SETTINGS_TIMEOUT: 0x4,
  STREAM_CLOSED: 0x5,
  FRAME_SIZE_ERROR: 0x6,
  REFUSED_STREAM: 0x7,
  CANCEL: 0x8,
  COMPRESSION_ERROR: 0x9,
  CONNECT_ERROR: 0xa,
  ENHANCE_YOUR_CALM: 0xb,
  INADEQUATE_SECURITY: 0xc,
  HTTP_1_1_REQUIRED: 0xd,
} as const;

export const Setting = {
  HEADER_TABLE_SIZE: 0x1,
  ENABLE_PUSH: 0x2,
  MAX_CONCURRENT_STREAMS: 0x3,
  INITIAL_WINDOW_SIZE: 0x4,
  MAX_FRAME_SIZE: 0x5,
  MAX_HEADER_LIST_SIZE: 0x6,
} as const;

export const CLIENT_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
export const FRAME_HEADER = 9;
export const DEFAULT_WINDOW = 65_535;
export const DEFAULT_MAX_FRAME = 16_384;
export const MAX_WINDOW = 2 ** 31 - 1;
export const MAX_FRAME_LIMIT = 2 ** 24 - 1;

/** Writes a frame header into `dst` at `at`. */
export function writeFrameHeader(dst: Buffer, at: number, length: number, type: number, flags: number, streamId: number): void {
  dst[at] = length >>> 16;
  dst[at + 1] = (length >>> 8) & 0xff;
  dst[at + 2] = length & 0xff;
  dst[at + 3] = type;
  dst[at + 4] = flags;
  dst.writeUInt32BE(streamId & 0x7fffffff, at + 5);
}

/** A whole frame with `payload`. */
export function frame(type: number, flags: number, streamId: number, payload?: Uint8Array): Buffer {
  const length = payload?.length ?? 0;
  const out = Buffer.allocUnsafe(FRAME_HEADER + length);
  writeFrameHeader(out, 0, length, type, flags, streamId);
  if (payload) out.set(payload, FRAME_HEADER);
  return out;
}

/** The header of a DATA frame of `length` bytes (the payload is sent after it as it is). */
export function dataHeader(streamId: number, length: number, endStream: boolean): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER);
  writeFrameHeader(out, 0, length, FrameType.DATA, endStream ? Flag.END_STREAM : 0, streamId);
  return out;
}

/** A header block as HEADERS plus CONTINUATION frames of at most `maxFrame` bytes each. */
export function headersFrames(streamId: number, block: Buffer, endStream: boolean, maxFrame: number): Buffer {
  const es = endStream ? Flag.END_STREAM : 0;
  if (block.length <= maxFrame) return frame(FrameType.HEADERS, es | Flag.END_HEADERS, streamId, block);
  const count = Math.ceil(block.length / maxFrame);
  const out = Buffer.allocUnsafe(block.length + count * FRAME_HEADER);
  let at = 0;
  for (let i = 0; i < count; i++) {
    const part = block.subarray(i * maxFrame, Math.min(block.length, (i + 1) * maxFrame));
    const last = i === count - 1 ? Flag.END_HEADERS : 0;
    writeFrameHeader(out, at, part.length, i === 0 ? FrameType.HEADERS : FrameType.CONTINUATION, (i === 0 ? es : 0) | last, streamId);
    out.set(part, at + FRAME_HEADER);
    at += FRAME_HEADER + part.length;
  }
  return out;
}

/** SETTINGS with `values` (id, value pairs), or an ACK without. */
export function settingsFrame(values: readonly (readonly [number, number])[], ack = false): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER + values.length * 6);
  writeFrameHeader(out, 0, values.length * 6, FrameType.SETTINGS, ack ? Flag.ACK : 0, 0);
  values.forEach(([id, value], i) => {
    out.writeUInt16BE(id, FRAME_HEADER + i * 6);
    out.writeUInt32BE(value, FRAME_HEADER + i * 6 + 2);
  });
  return out;
}

export const SETTINGS_ACK = settingsFrame([], true);

export function pingFrame(payload: Uint8Array, ack: boolean): Buffer {
  return frame(FrameType.PING, ack ? Flag.ACK : 0, 0, payload);
}

export function windowUpdateFrame(streamId: number, increment: number): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER + 4);
  writeFrameHeader(out, 0, 4, FrameType.WINDOW_UPDATE, 0, streamId);
  out.writeUInt32BE(increment, FRAME_HEADER);
  return out;
}

export function rstStreamFrame(streamId: number, code: number): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER + 4);
  writeFrameHeader(out, 0, 4, FrameType.RST_STREAM, 0, streamId);
  out.writeUInt32BE(code, FRAME_HEADER);
  return out;
}

export function goawayFrame(lastStreamId: number, code: number, debug = ''): Buffer {
  const text = Buffer.from(debug, 'utf8');
  const out = Buffer.allocUnsafe(FRAME_HEADER + 8 + text.length);
  writeFrameHeader(out, 0, 8 + text.length, FrameType.GOAWAY, 0, 0);
  out.writeUInt32BE(lastStreamId & 0x7fffffff, FRAME_HEADER);
  out.writeUInt32BE(code, FRAME_HEADER + 4);
  text.copy(out, FRAME_HEADER + 8);
  return out;
}

/** Where a FrameReader's frames go. The payload is a view of the chunk: valid during the call only unless kept. */
export interface FrameHandler {
  onFrame(type: number, flags: number, streamId: number, payload: Buffer): void;
  /** The input broke the framing: a bad preface, or a frame over the size limit. */
  onFramingError(code: number, reason: string): void;
}

export class FrameReader {
  private pending: Buffer | undefined;
  private prefaceLeft: number;
  private stopped = false;

  /** `maxFrame`: our SETTINGS_MAX_FRAME_SIZE; `preface`: a server checks the client's first. */
  constructor(
    private readonly handler: FrameHandler,
    private readonly maxFrame = DEFAULT_MAX_FRAME,
    preface = false,
  ) {
    this.prefaceLeft = preface ? CLIENT_PREFACE.length : 0;
  }

  /** Stops reading (the connection is over): later chunks are dropped. */
  stop(): void {
    this.stopped = true;
    this.pending = undefined;
  }

  push(input: Buffer): void {
    if (this.stopped) return;
    let chunk = input;
    if (this.pending) {
      chunk = Buffer.concat([this.pending, input]);
      this.pending = undefined;
    }
    let at = 0;
    const end = chunk.length;
    if (this.prefaceLeft > 0) {
      const from = CLIENT_PREFACE.length - this.prefaceLeft;
      const take = Math.min(this.prefaceLeft, end);
      if (chunk.compare(CLIENT_PREFACE, from, from + take, 0, take) !== 0) return this.fail(0x1, 'not the HTTP/2 client preface');
      this.prefaceLeft -= take;
      at = take;
    }
    while (end - at >= FRAME_HEADER) {
      const length = (chunk[at]! << 16) | (chunk[at + 1]! << 8) | chunk[at + 2]!;
      if (length > this.maxFrame) return this.fail(0x6, `a frame of ${length} bytes, over ${this.maxFrame}`);
      if (end - at - FRAME_HEADER < length) break;
      const type = chunk[at + 3]!;
      const flags = chunk[at + 4]!;
      const streamId = chunk.readUInt32BE(at + 5) & 0x7fffffff;
      const start = at + FRAME_HEADER;
      at = start + length;
      this.handler.onFrame(type, flags, streamId, chunk.subarray(start, at));
      if (this.stopped) return;
    }
    if (at < end) this.pending = at === 0 ? chunk : chunk.subarray(at);
  }

  private fail(code: number, reason: string): void {
    this.stop();
    this.handler.onFramingError(code, reason);
  }
}
