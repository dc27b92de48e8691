// Halfmoon's gRPC transport, call by call at the wire: unary, server-streaming and bidi calls;
// requests split over DATA frames and several messages per frame; grpc-timeout deadlines and
// client resets reaching the handler as 'cancelled'; and what the transport refuses itself —
// unknown methods, non-gRPC content types, oversized, undecodable, compressed and extra messages —
// with trailers-only answers and percent-encoded grpc-message.
import http2 from 'node:http2';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import type { BidiCall, ServerStreamCall, UnaryCall, UnaryCallback } from '../../../src/protocol/transport/types.js';
import { call, request, startHarness, until, type Harness } from './harness.js';

type Obj = Record<string, unknown>;
const OK = { code: 'OK', message: 'OK' };
const send = (id: string, body = 'x'): Obj => ({ messages: [{ topic: { name: 'T' }, system_properties: { message_id: id }, body: Buffer.from(body) }] });

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** SendMessage answers with the message ids it got and the client id it saw. */
const echoSend = (c: UnaryCall<{ messages: { system_properties: { message_id: string } }[] }>, done: UnaryCallback<unknown>): void =>
  done(null, {
    status: { code: 'OK', message: String(c.metadata.get('x-mq-client-id')[0] ?? '') },
    entries: c.request.messages.map((m) => ({ status: OK, message_id: m.system_properties.message_id })),
  });

describe('unary calls', () => {
  it('answers with headers, one message and OK trailers', async () => {
    h = await startHarness({ SendMessage: echoSend });
    const reply = await call(await h.connect(), 'SendMessage', request('SendMessage', send('m1')), { headers: { 'x-mq-client-id': 'c-1' } });
    expect(reply.headers[':status']).toBe(200);
    expect(reply.headers['content-type']).toBe('application/grpc+proto');
    expect(reply.headers['grpc-status']).toBeUndefined();
    expect(reply.trailers?.['grpc-status']).toBe('0');
    expect(reply.replies).toEqual([{ status: { code: 'OK', message: 'c-1' }, entries: [{ status: OK, message_id: 'm1' }] }]);
  });

  it('gathers a request split over several DATA frames, and accepts application/grpc+proto', async () => {
    h = await startHarness({ SendMessage: echoSend });
    const framed = request('SendMessage', send('split', 'b'.repeat(3000)));
    const chunks = [framed.subarray(0, 3), framed.subarray(3, 100), framed.subarray(100, 2000), framed.subarray(2000)];
    const reply = await call(await h.connect(), 'SendMessage', chunks, { headers: { 'content-type': 'application/grpc+proto' } });
    expect(reply.status).toBe(0);
    expect(reply.replies[0]).toMatchObject({ entries: [{ message_id: 'split' }] });
  });

  it('refuses a second request message, and a missing one, with UNIMPLEMENTED', async () => {
    h = await startHarness({ SendMessage: echoSend });
    const session = await h.connect();
    const two = await call(session, 'SendMessage', Buffer.concat([request('SendMessage', send('a')), request('SendMessage', send('b'))]));
    expect(two.status).toBe(12);
    expect((await call(session, 'SendMessage', [])).status).toBe(12);
  });

  it('answers a handler error trailers-only, its grpc-message percent-encoded', async () => {
    h = await startHarness({ Heartbeat: (_c: UnaryCall<unknown>, done: UnaryCallback<unknown>) => done({ code: 9, details: 'not now: 100% ✓' }) });
    const reply = await call(await h.connect(), 'Heartbeat', request('Heartbeat', {}));
    expect(reply.headers['grpc-status']).toBe('9');
    expect(reply.headers['grpc-message']).toBe('not now: 100%25 %E2%9C%93');
    expect(reply.message).toBe('not now: 100% ✓');
    expect(reply.trailers).toBeUndefined();
  });
});

describe('server-streaming calls', () => {
  it('sends every message written, then OK', async () => {
    h = await startHarness({
      ReceiveMessage: (c: ServerStreamCall<{ batch_size: number }, unknown>) => {
        c.write({ status: OK });
        for (let i = 0; i < c.request.batch_size; i++) c.write({ message: { system_properties: { message_id: `r${i}` } } });
        c.end();
      },
    });
    const reply = await call(await h.connect(), 'ReceiveMessage', request('ReceiveMessage', { batch_size: 3 }));
    expect(reply.status).toBe(0);
    expect(reply.replies.map((r) => (r.message as { system_properties: { message_id: string } } | undefined)?.system_properties.message_id ?? 'status')).toEqual([
      'status',
      'r0',
      'r1',
      'r2',
    ]);
  });

  it('ends trailers-only with OK when nothing was written', async () => {
    h = await startHarness({ ReceiveMessage: (c: ServerStreamCall<unknown, unknown>) => c.end() });
    const reply = await call(await h.connect(), 'ReceiveMessage', request('ReceiveMessage', {}));
    expect(reply.headers['grpc-status']).toBe('0');
    expect(reply.replies).toEqual([]);
  });
});

describe('bidi calls', () => {
  it('delivers several messages of one frame in order, answers each, runs write callbacks, ends on the client end', async () => {
    const flushed: number[] = [];
    let ended = false;
    h = await startHarness({
      Telemetry: (c: BidiCall<{ status?: { message: string } }, unknown>) => {
        let n = 0;
        c.on('data', (cmd) => {
          const i = n++;
          c.write({ status: { code: 'OK', message: `echo ${cmd.status?.message ?? ''}` } }, () => flushed.push(i));
        });
        c.on('end', () => {
          ended = true;
          c.end();
        });
      },
    });
    const cmds = ['a', 'b', 'c'].map((m) => request('Telemetry', { status: { code: 'OK', message: m } }));
    const reply = await call(await h.connect(), 'Telemetry', [Buffer.concat(cmds)]);
    expect(reply.status).toBe(0);
    expect(reply.replies.map((r) => (r.status as { message: string }).message)).toEqual(['echo a', 'echo b', 'echo c']);
    expect(flushed).toEqual([0, 1, 2]);
    expect(ended).toBe(true);
  });

  it('ends a failed call with its status in trailers after messages', async () => {
    h = await startHarness({
      Telemetry: (c: BidiCall<unknown, unknown>) => {
        c.write({ status: OK });
        c.fail(13, 'broken');
      },
    });
    const reply = await call(await h.connect(), 'Telemetry', [], { keepOpen: true });
    expect(reply.replies).toHaveLength(1);
    expect(reply.trailers?.['grpc-status']).toBe('13');
    expect(reply.message).toBe('broken');
  });
});

describe('deadlines and cancellation', () => {
  it('ends a call past its grpc-timeout with DEADLINE_EXCEEDED; the handler hears cancelled and knows the deadline', async () => {
    let seen: { deadline: unknown; cancelled: boolean } | undefined;
    let late: UnaryCallback<unknown> | undefined;
    h = await startHarness({
      QueryRoute: (c: UnaryCall<unknown>, done: UnaryCallback<unknown>) => {
        seen = { deadline: c.getDeadline(), cancelled: c.cancelled };
        c.on('cancelled', () => (seen!.cancelled = c.cancelled));
        late = done;
      },
    });
    const start = h.clock.now();
    const pending = call(await h.connect(), 'QueryRoute', request('QueryRoute', {}), { headers: { 'grpc-timeout': '1500m' } });
    await until(() => seen !== undefined);
    expect(seen).toEqual({ deadline: start + 1500, cancelled: false });
    h.clock.advance(1500);
    const reply = await pending;
    expect(reply.status).toBe(4);
    expect(seen!.cancelled).toBe(true);
    late!(null, { status: OK }); // an answer after the deadline goes nowhere
  });

  it('refuses a malformed grpc-timeout with INTERNAL', async () => {
    h = await startHarness({});
    expect((await call(await h.connect(), 'QueryRoute', request('QueryRoute', {}), { headers: { 'grpc-timeout': '10 seconds' } })).status).toBe(13);
  });

  it('tells a streaming handler its call was cancelled when the client resets the stream', async () => {
    let cancelled = false;
    let started = false;
    h = await startHarness({
      Telemetry: (c: BidiCall<unknown, unknown>) => {
        started = true;
        c.on('cancelled', () => (cancelled = true));
      },
    });
    const reply = call(await h.connect(), 'Telemetry', [], { keepOpen: true, onStream: (s) => setTimeout(() => s.close(http2.constants.NGHTTP2_CANCEL), 50) });
    await reply;
    await until(() => cancelled);
    expect(started).toBe(true);
  });
});

describe('what the transport refuses', () => {
  it('answers an unknown method UNIMPLEMENTED, trailers-only', async () => {
    h = await startHarness({});
    const session = await h.connect();
    const stream = session.request({ ':method': 'POST', ':path': '/no.Such/Method', 'content-type': 'application/grpc', te: 'trailers' });
    stream.end();
    const headers = await new Promise<http2.IncomingHttpHeaders>((resolve) => stream.on('response', resolve));
    expect(headers['grpc-status']).toBe('12');
    expect(headers['grpc-message']).toContain('/no.Such/Method');
  });

  it('answers a non-gRPC content type with HTTP 415', async () => {
    h = await startHarness({});
    const reply = await call(await h.connect(), 'QueryRoute', request('QueryRoute', {}), { headers: { 'content-type': 'application/json' } });
    expect(reply.headers[':status']).toBe(415);
  });

  it('refuses a message declared over the limit with RESOURCE_EXHAUSTED before it is sent whole', async () => {
    let called = false;
    h = await startHarness({ SendMessage: () => (called = true) }, { maxReceiveBytes: 1024 });
    const prefix = Buffer.from([0, 0, 0x10, 0, 0]); // 1 MiB declared, 100 bytes sent, request left open
    const reply = await call(await h.connect(), 'SendMessage', [Buffer.concat([prefix, Buffer.alloc(100)])], { keepOpen: true });
    expect(reply.status).toBe(8);
    expect(called).toBe(false);
  });

  it('answers undecodable protobuf INTERNAL, and the connection keeps serving', async () => {
    h = await startHarness({ SendMessage: echoSend });
    const session = await h.connect();
    const garbage = Buffer.from([0, 0, 0, 0, 3, 0xff, 0xff, 0xff]);
    expect((await call(session, 'SendMessage', garbage)).status).toBe(13);
    expect((await call(session, 'SendMessage', request('SendMessage', send('after')))).status).toBe(0);
  });

  it('inflates a gzip-compressed message; other encodings are UNIMPLEMENTED', async () => {
    h = await startHarness({ SendMessage: echoSend });
    const session = await h.connect();
    const plain = request('SendMessage', send('zipped')).subarray(5);
    const zipped = gzipSync(plain);
    const framed = Buffer.concat([Buffer.from([1, 0, 0, 0, 0]), zipped]);
    framed.writeUInt32BE(zipped.length, 1);
    const ok = await call(session, 'SendMessage', framed, { headers: { 'grpc-encoding': 'gzip' } });
    expect(ok.status).toBe(0);
    expect(ok.replies[0]).toMatchObject({ entries: [{ message_id: 'zipped' }] });
    expect((await call(session, 'SendMessage', framed, { headers: { 'grpc-encoding': 'snappy' } })).status).toBe(12);
  });

  it('answers UNKNOWN when a handler throws, and keeps serving', async () => {
    h = await startHarness({
      Heartbeat: () => {
        throw new Error('handler bug');
      },
    });
    const session = await h.connect();
    expect((await call(session, 'Heartbeat', request('Heartbeat', {}))).status).toBe(2);
    expect((await call(session, 'QueryRoute', request('QueryRoute', {}))).status).toBe(0);
  });
});
