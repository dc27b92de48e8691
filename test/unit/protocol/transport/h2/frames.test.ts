// The HTTP/2 frame codec: frames built and read back, several frames in one chunk and one frame
// over several chunks, the client preface checked (also when split), a frame over the size limit
// refused from its header, header blocks split into CONTINUATION frames.
import { describe, expect, it } from 'vitest';
import {
  CLIENT_PREFACE,
  dataHeader,
  ErrorCode,
  Flag,
  FrameReader,
  FrameType,
  goawayFrame,
  headersFrames,
  pingFrame,
  rstStreamFrame,
  settingsFrame,
  windowUpdateFrame,
  type FrameHandler,
} from '../../../../../src/protocol/transport/h2/frames.js';

interface Seen {
  frames: { type: number; flags: number; streamId: number; payload: string }[];
  errors: number[];
}

function reader(preface = false, maxFrame = 16384): { r: FrameReader; seen: Seen } {
  const seen: Seen = { frames: [], errors: [] };
  const handler: FrameHandler = {
    onFrame: (type, flags, streamId, payload) => seen.frames.push({ type, flags, streamId, payload: payload.toString('hex') }),
    onFramingError: (code) => seen.errors.push(code),
  };
  return { r: new FrameReader(handler, maxFrame, preface), seen };
}

describe('FrameReader', () => {
  it('reads every frame of one chunk, and one frame split byte by byte', () => {
    const bytes = Buffer.concat([
      settingsFrame([[3, 100]]),
      pingFrame(Buffer.alloc(8, 7), true),
      windowUpdateFrame(3, 1000),
      rstStreamFrame(5, ErrorCode.CANCEL),
      goawayFrame(7, ErrorCode.ENHANCE_YOUR_CALM, 'calm'),
      dataHeader(9, 3, true),
      Buffer.from('abc'),
    ]);
    const whole = reader();
    whole.r.push(bytes);
    const split = reader();
    for (let i = 0; i < bytes.length; i++) split.r.push(bytes.subarray(i, i + 1));
    expect(split.seen).toEqual(whole.seen);
    expect(whole.seen.frames).toEqual([
      { type: FrameType.SETTINGS, flags: 0, streamId: 0, payload: '000300000064' },
      { type: FrameType.PING, flags: Flag.ACK, streamId: 0, payload: '0707070707070707' },
      { type: FrameType.WINDOW_UPDATE, flags: 0, streamId: 3, payload: '000003e8' },
      { type: FrameType.RST_STREAM, flags: 0, streamId: 5, payload: '00000008' },
      { type: FrameType.GOAWAY, flags: 0, streamId: 0, payload: `000000070000000b${Buffer.from('calm').toString('hex')}` },
      { type: FrameType.DATA, flags: Flag.END_STREAM, streamId: 9, payload: '616263' },
    ]);
  });

  it('checks the client preface, also split over chunks', () => {
    const ok = reader(true);
    ok.r.push(CLIENT_PREFACE.subarray(0, 5));
    ok.r.push(Buffer.concat([CLIENT_PREFACE.subarray(5), settingsFrame([])]));
    expect(ok.seen).toEqual({ frames: [{ type: FrameType.SETTINGS, flags: 0, streamId: 0, payload: '' }], errors: [] });
    const bad = reader(true);
    bad.r.push(Buffer.from('GET / HTTP/1.1\r\n'));
    expect(bad.seen.errors).toEqual([ErrorCode.PROTOCOL_ERROR]);
  });

  it('refuses a frame over the limit from its header alone, and reads nothing after', () => {
    const { r, seen } = reader(false, 100);
    r.push(Buffer.concat([dataHeader(1, 101, false), pingFrame(Buffer.alloc(8), false)]));
    expect(seen).toEqual({ frames: [], errors: [ErrorCode.FRAME_SIZE_ERROR] });
    r.push(pingFrame(Buffer.alloc(8), false));
    expect(seen.frames).toEqual([]);
  });
});

describe('headersFrames', () => {
  it('sends a small block as one HEADERS frame, a large one as HEADERS and CONTINUATION frames', () => {
    const one = reader();
    one.r.push(headersFrames(1, Buffer.from('abcd', 'latin1'), true, 16384));
    expect(one.seen.frames).toEqual([{ type: FrameType.HEADERS, flags: Flag.END_HEADERS | Flag.END_STREAM, streamId: 1, payload: '61626364' }]);
    const many = reader();
    many.r.push(headersFrames(3, Buffer.from('abcdefghij', 'latin1'), false, 4));
    expect(many.seen.frames.map((f) => [f.type, f.flags, Buffer.from(f.payload, 'hex').toString('latin1')])).toEqual([
      [FrameType.HEADERS, 0, 'abcd'],
      [FrameType.CONTINUATION, 0, 'efgh'],
      [FrameType.CONTINUATION, Flag.END_HEADERS, 'ij'],
    ]);
  });
});
