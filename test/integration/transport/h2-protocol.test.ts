// Halfmoon's HTTP/2 server (src/protocol/transport/h2/) frame by frame, from a raw client: the
// SETTINGS exchange and PING, a call whose headers come Huffman-coded over CONTINUATION frames
// with padding, flow control (the client's window and frame size respected, large answers held
// until WINDOW_UPDATE), the connection errors (GOAWAY with the RFC 9113 code, then closed) and
// stream errors (RST_STREAM) the RFC requires, streams over the limit refused, and the abuse
// bounds: ping, settings, reset, empty DATA and CONTINUATION floods and oversized header lists.
import { afterEach, describe, expect, it } from 'vitest';
import * as F from '../../../src/protocol/transport/h2/frames.js';
import type { ServerStreamCall } from '../../../src/protocol/transport/types.js';
import { request, startHarness, type Harness } from './harness.js';
import { dataFrame, encoder, headersFrame, rawClient, requestBlock, type RawClient } from './raw-h2.js';

const { FrameType: T, Flag, ErrorCode: E, Setting } = F;

let h: Harness | undefined;
let c: RawClient | undefined;
afterEach(async () => {
  c?.close();
  c = undefined;
  await h?.close();
  h = undefined;
});

async function connect(settings: (readonly [number, number])[] = []): Promise<RawClient> {
  h ??= await startHarness({});
  c = await rawClient(h.port, settings);
  return c;
}

const query = request('QueryRoute', {});
const unary = (id: number): Buffer[] => [headersFrame(id, requestBlock('QueryRoute'), false), dataFrame(id, query, true)];
const isTrailers = (id: number) => (f: { type: number; streamId: number; flags: number }) => f.type === T.HEADERS && f.streamId === id && (f.flags & Flag.END_STREAM) !== 0;

describe('the connection', () => {
  it('sends its SETTINGS, ACKs the client’s, answers PING with the same payload', async () => {
    const client = await connect([[Setting.INITIAL_WINDOW_SIZE, 100_000]]);
    const settings = await client.next((f) => f.type === T.SETTINGS && f.flags === 0);
    const values = new Map<number, number>();
    for (let at = 0; at < settings.payload.length; at += 6) values.set(settings.payload.readUInt16BE(at), settings.payload.readUInt32BE(at + 2));
    expect(values.get(Setting.MAX_CONCURRENT_STREAMS)).toBe(7);
    expect(values.get(Setting.INITIAL_WINDOW_SIZE)).toBeGreaterThan(F.DEFAULT_WINDOW);
    await client.next((f) => f.type === T.SETTINGS && f.flags === Flag.ACK);
    client.send(F.pingFrame(Buffer.from('pingpong'), false));
    const pong = await client.next((f) => f.type === T.PING);
    expect([pong.flags, pong.payload.toString()]).toEqual([Flag.ACK, 'pingpong']);
  });

  it('serves a call whose headers are Huffman-coded, padded and split over CONTINUATION frames, several in one write', async () => {
    const client = await connect();
    const block = requestBlock('QueryRoute', [['x-mq-client-id', 'raw-client']]);
    const padded = Buffer.concat([Buffer.from([3]), block.subarray(0, 10), Buffer.alloc(3)]);
    client.send(
      F.frame(T.HEADERS, Flag.PADDED, 1, padded),
      F.frame(T.CONTINUATION, 0, 1, block.subarray(10, 20)),
      F.frame(T.CONTINUATION, Flag.END_HEADERS, 1, block.subarray(20)),
      F.frame(T.DATA, Flag.PADDED | Flag.END_STREAM, 1, Buffer.concat([Buffer.from([4]), query, Buffer.alloc(4)])),
      ...unary(3),
    );
    const trailers = await client.next(isTrailers(1));
    expect(trailers.headers).toEqual({ 'grpc-status': '0', 'grpc-message': 'OK' });
    const headers = await client.next((f) => f.type === T.HEADERS && f.streamId === 1);
    expect(headers.headers?.[':status']).toBe('200');
    expect((await client.next(isTrailers(3))).headers?.['grpc-status']).toBe('0');
  });

  it('answers within the client’s window and frame size, and sends the rest after WINDOW_UPDATE', async () => {
    const big = 'm'.repeat(40_000);
    h = await startHarness({
      ReceiveMessage: (call: ServerStreamCall<unknown, unknown>) => {
        call.write({ message: { topic: { name: 'T' }, body: Buffer.from(big) } });
        call.end();
      },
    });
    const client = await connect([[Setting.INITIAL_WINDOW_SIZE, 1000]]);
    await client.next((f) => f.type === T.SETTINGS && f.flags === Flag.ACK);
    // The PING after the request: its ACK comes after whatever the server sent for the request.
    client.send(headersFrame(1, requestBlock('ReceiveMessage'), false), dataFrame(1, request('ReceiveMessage', {}), true), F.pingFrame(Buffer.from('barrier!'), false));
    await client.next((f) => f.type === T.PING && f.flags === Flag.ACK);
    const sent = (): number => client.frames.filter((f) => f.type === T.DATA).reduce((n, f) => n + f.payload.length, 0);
    expect(sent()).toBe(1000);
    expect(client.frames.some(isTrailers(1))).toBe(false);
    client.send(F.windowUpdateFrame(1, 100_000));
    await client.next(isTrailers(1));
    expect(sent()).toBeGreaterThan(40_000);
    expect(Math.max(...client.frames.filter((f) => f.type === T.DATA).map((f) => f.payload.length))).toBeLessThanOrEqual(F.DEFAULT_MAX_FRAME);
  });

  it('refuses streams over SETTINGS_MAX_CONCURRENT_STREAMS with REFUSED_STREAM', async () => {
    h = await startHarness({ Telemetry: () => undefined });
    const client = await connect();
    const opened = Array.from({ length: 8 }, (_, i) => headersFrame(2 * i + 1, requestBlock('Telemetry'), false));
    client.send(...opened);
    const refused = await client.next((f) => f.type === T.RST_STREAM);
    expect([refused.streamId, refused.payload.readUInt32BE(0)]).toEqual([15, E.REFUSED_STREAM]);
  });

  it('closes gracefully: GOAWAY with the last stream id, the call in flight finishes', async () => {
    const client = await connect();
    client.send(headersFrame(1, requestBlock('QueryRoute'), false));
    await client.next((f) => f.type === T.SETTINGS && f.flags === Flag.ACK);
    const closing = h!.transport.close(5000);
    const goaway = await client.next((f) => f.type === T.GOAWAY);
    expect([goaway.payload.readUInt32BE(0), goaway.payload.readUInt32BE(4)]).toEqual([1, E.NO_ERROR]);
    client.send(dataFrame(1, query, true));
    expect((await client.next(isTrailers(1))).headers?.['grpc-status']).toBe('0');
    await client.closed;
    await closing;
  });
});

describe('errors the RFC requires', () => {
  const connectionErrors: [string, () => Buffer[], number][] = [
    ['DATA on stream 0', () => [dataFrame(0, Buffer.from('x'), false)], E.PROTOCOL_ERROR],
    ['a frame over SETTINGS_MAX_FRAME_SIZE', () => [F.dataHeader(1, 20_000, false), Buffer.alloc(20_000)], E.FRAME_SIZE_ERROR],
    ['a PING of 7 bytes', () => [F.frame(T.PING, 0, 0, Buffer.alloc(7))], E.FRAME_SIZE_ERROR],
    ['a SETTINGS ACK with a payload', () => [F.frame(T.SETTINGS, Flag.ACK, 0, Buffer.alloc(6))], E.FRAME_SIZE_ERROR],
    ['SETTINGS_INITIAL_WINDOW_SIZE over 2^31-1', () => [F.settingsFrame([[Setting.INITIAL_WINDOW_SIZE, 2 ** 31]])], E.FLOW_CONTROL_ERROR],
    ['SETTINGS_MAX_FRAME_SIZE under 16384', () => [F.settingsFrame([[Setting.MAX_FRAME_SIZE, 100]])], E.PROTOCOL_ERROR],
    ['a connection window over 2^31-1', () => [F.windowUpdateFrame(0, 2 ** 31 - 1)], E.FLOW_CONTROL_ERROR],
    ['a WINDOW_UPDATE of 0 on the connection', () => [F.windowUpdateFrame(0, 0)], E.PROTOCOL_ERROR],
    ['a client stream with an even id', () => [headersFrame(2, requestBlock('QueryRoute'), true)], E.PROTOCOL_ERROR],
    ['CONTINUATION without HEADERS', () => [F.frame(T.CONTINUATION, Flag.END_HEADERS, 1, Buffer.from([0x82]))], E.PROTOCOL_ERROR],
    ['another frame inside a header block', () => [F.frame(T.HEADERS, 0, 1, requestBlock('QueryRoute')), F.pingFrame(Buffer.alloc(8), false)], E.PROTOCOL_ERROR],
    ['a header block HPACK cannot decode', () => [headersFrame(1, Buffer.from([0x80]), true)], E.COMPRESSION_ERROR],
    ['PUSH_PROMISE from a client', () => [F.frame(T.PUSH_PROMISE, Flag.END_HEADERS, 1, Buffer.alloc(4))], E.PROTOCOL_ERROR],
    ['RST_STREAM on an idle stream', () => [F.rstStreamFrame(9, E.CANCEL)], E.PROTOCOL_ERROR],
  ];

  for (const [what, frames, code] of connectionErrors) {
    it(`ends the connection on ${what} with GOAWAY ${code}`, async () => {
      const client = await connect();
      client.send(...frames());
      expect((await client.goaway()).code).toBe(code);
    });
  }

  it('ignores a HEADERS frame on a stream id already closed, and keeps serving', async () => {
    const client = await connect();
    client.send(...unary(5));
    await client.next(isTrailers(5));
    client.send(headersFrame(3, requestBlock('QueryRoute'), true), ...unary(7));
    expect((await client.next(isTrailers(7))).headers?.['grpc-status']).toBe('0');
  });

  it('answers a malformed request with RST_STREAM PROTOCOL_ERROR and keeps the connection', async () => {
    const client = await connect();
    const upper = encoder.encode([
      [':method', 'POST'],
      [':scheme', 'http'],
      [':path', `/x/Y`],
      ['Content-Type', 'application/grpc'],
    ]);
    const noPath = encoder.encode([
      [':method', 'POST'],
      [':scheme', 'http'],
    ]);
    const connection = Buffer.concat([requestBlock('QueryRoute'), encoder.encode([['connection', 'keep-alive']])]);
    client.send(headersFrame(1, upper, true), headersFrame(3, noPath, true), headersFrame(5, connection, true), ...unary(7));
    for (const id of [1, 3, 5]) {
      const rst = await client.next((f) => f.type === T.RST_STREAM && f.streamId === id);
      expect(rst.payload.readUInt32BE(0)).toBe(E.PROTOCOL_ERROR);
    }
    expect((await client.next(isTrailers(7))).headers?.['grpc-status']).toBe('0');
  });

  it('answers DATA after the client ended its half with RST_STREAM STREAM_CLOSED, a stream WINDOW_UPDATE of 0 with PROTOCOL_ERROR', async () => {
    h = await startHarness({ Telemetry: () => undefined });
    const client = await connect();
    client.send(headersFrame(1, requestBlock('Telemetry'), true), dataFrame(1, Buffer.from('late'), false));
    expect((await client.next((f) => f.type === T.RST_STREAM && f.streamId === 1)).payload.readUInt32BE(0)).toBe(E.STREAM_CLOSED);
    client.send(headersFrame(3, requestBlock('Telemetry'), false), F.windowUpdateFrame(3, 0));
    expect((await client.next((f) => f.type === T.RST_STREAM && f.streamId === 3)).payload.readUInt32BE(0)).toBe(E.PROTOCOL_ERROR);
  });
});

describe('abuse bounds', () => {
  const floods: [string, () => Buffer[]][] = [
    ['a PING flood', () => Array.from({ length: 1100 }, () => F.pingFrame(Buffer.alloc(8), false))],
    ['a SETTINGS flood', () => Array.from({ length: 110 }, () => F.settingsFrame([]))],
    ['empty DATA frames', () => [headersFrame(1, requestBlock('Telemetry'), false), ...Array.from({ length: 1100 }, () => F.dataHeader(1, 0, false))]],
    [
      'endless CONTINUATION',
      () => [F.frame(T.HEADERS, 0, 1, requestBlock('QueryRoute')), ...Array.from({ length: 100 }, () => F.frame(T.CONTINUATION, 0, 1, Buffer.alloc(0)))],
    ],
    [
      'a header block over the header list size',
      () => [F.frame(T.HEADERS, 0, 1, requestBlock('QueryRoute')), ...Array.from({ length: 5 }, () => F.frame(T.CONTINUATION, 0, 1, Buffer.alloc(16_000, 0x82)))],
    ],
    [
      'a header list over the bound from a small block',
      () => [headersFrame(1, Buffer.concat([Buffer.from([0x40, 0x01, 0x78, 0x7f, 0xa1, 0x1e]), Buffer.alloc(4000, 0x78), Buffer.alloc(5000, 0xbe)]), true)],
    ],
    ['rapid reset', () => Array.from({ length: 1100 }, (_, i) => [headersFrame(2 * i + 1, requestBlock('Telemetry'), false), F.rstStreamFrame(2 * i + 1, E.CANCEL)]).flat()],
  ];
  for (const [what, frames] of floods) {
    it(`ends the connection on ${what} with ENHANCE_YOUR_CALM`, async () => {
      h = await startHarness({ Telemetry: () => undefined }, { maxConcurrentStreams: 10_000 });
      const client = await connect();
      client.send(...frames());
      expect((await client.goaway()).code).toBe(E.ENHANCE_YOUR_CALM);
    });
  }
});
