// Wrong protocol on the gRPC port: a plain HTTP/1.1 request gets a text naming this endpoint and
// the MQ HTTP gateway, a RocketMQ 4 remoting client gets a response in its own framing, garbage
// and silent connections are closed, and gRPC clients keep working on the same port.
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { rawClient } from '../helpers/raw-client.js';

let tb: TestBroker;

beforeAll(async () => {
  tb = await startTestBroker({ httpEnabled: true, grpcSniffTimeoutMs: 300, grpcIdleTimeoutMs: 300 });
});
afterAll(async () => {
  await tb.close();
});

/** Writes `bytes` to the gRPC port and collects what comes back until the server closes. */
function exchange(bytes: Buffer | string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect(tb.broker.grpcPort, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('close', () => resolve(Buffer.concat(chunks)));
    socket.on('error', reject);
    if (bytes.length > 0) socket.write(bytes);
  });
}

/** A RocketMQ 4 remoting request (RemotingCommand, JSON header): GET_ROUTEINFO_BY_TOPIC (105). */
function remotingRequest(opaque: number): Buffer {
  const header = Buffer.from(JSON.stringify({ code: 105, language: 'JAVA', version: 453, opaque, flag: 0, extFields: { topic: 'T' }, serializeTypeCurrentRPC: 'JSON' }));
  const frame = Buffer.alloc(8 + header.length);
  frame.writeUInt32BE(4 + header.length, 0);
  frame.writeUInt32BE(header.length, 4);
  header.copy(frame, 8);
  return frame;
}

describe('the gRPC port', () => {
  it('answers a plain HTTP/1.1 request with a text naming the endpoint and the HTTP gateway', async () => {
    const reply = (await exchange('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n')).toString('utf8');
    expect(reply.split('\r\n')[0]).toBe('HTTP/1.1 426 Upgrade Required');
    expect(reply).toContain('This is a RocketMQ 5 gRPC endpoint');
    expect(reply).toContain(`MQ HTTP gateway (ApsaraMQ HTTP protocol) of this broker is at http://127.0.0.1:${tb.broker.httpPort}`);
  });

  it('answers a RocketMQ 4 remoting request in its own framing, with its opaque, as a response', async () => {
    const reply = await exchange(remotingRequest(4242));
    const length = reply.readUInt32BE(0);
    expect(length).toBe(reply.length - 4);
    expect(reply[4]).toBe(0); // JSON serialization
    const headerLength = reply.readUInt32BE(4) & 0xffffff;
    const header = JSON.parse(reply.subarray(8, 8 + headerLength).toString('utf8')) as { code: number; opaque: number; flag: number; remark: string };
    expect(header).toMatchObject({ code: 3, opaque: 4242, flag: 1 });
    expect(header.remark).toContain('is a RocketMQ 5 gRPC proxy endpoint');
  });

  it('closes connections that send garbage or nothing', async () => {
    expect((await exchange(Buffer.from([0xff, 0xfe, 0x01, 0x02]))).length).toBe(0);
    expect((await exchange('')).length).toBe(0); // closed after grpcSniffTimeoutMs
    expect((await exchange('GE')).length).toBe(0); // a prefix of a method, then silence
  });

  it('closes an HTTP/2 connection that stops in the middle of a frame (found by the fuzzer: it stayed open for ever)', async () => {
    const preface = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
    const frameHead = Buffer.from('cba0f20434e01574d1', 'hex'); // a 13 MB SETTINGS frame, never sent
    const reply = await exchange(Buffer.concat([preface, frameHead])); // resolves once the broker closes it (grpcIdleTimeoutMs)
    const frameTypes: number[] = [];
    for (let at = 0; at + 9 <= reply.length; at += 9 + reply.readUIntBE(at, 3)) frameTypes.push(reply[at + 3]!);
    expect(frameTypes[0]).toBe(0x04); // the server's SETTINGS: it was HTTP/2 to grpc-js
    expect(frameTypes).toContain(0x07); // then GOAWAY, and the connection closed
  });

  it('keeps serving gRPC on the same port', async () => {
    const raw = rawClient(tb.endpoint);
    try {
      const res = await raw.unary('QueryRoute', { topic: { name: 'NoSuchTopicHere' }, endpoints: { addresses: [{ host: '127.0.0.1', port: tb.broker.grpcPort }] } });
      expect(res.status.code).toBe('TOPIC_NOT_FOUND');
    } finally {
      raw.close();
    }
  });
});

describe('the gRPC port connection cap', () => {
  let capped: TestBroker;
  beforeAll(async () => {
    capped = await startTestBroker({ grpcMaxConnections: 2, grpcSniffTimeoutMs: 30_000 });
  });
  afterAll(async () => {
    await capped.close();
  });

  it('closes connections past grpcMaxConnections at once and keeps the others', async () => {
    const opened = (): Promise<Socket> =>
      new Promise((resolve) => {
        const s = connect(capped.broker.grpcPort, '127.0.0.1', () => resolve(s));
        s.on('error', () => undefined);
      });
    const held = [await opened(), await opened()];
    const third = await opened();
    await new Promise<void>((resolve) => third.once('close', () => resolve()));
    expect(held.map((s) => s.destroyed)).toEqual([false, false]);
    for (const s of held) s.destroy();
    const raw = rawClient(capped.endpoint);
    try {
      // Served once the broker has seen the two go (a call before that is refused and retried here).
      await vi.waitFor(async () => expect((await raw.unary('QueryRoute', { topic: { name: 'NoSuchTopicHere' } })).status.code).toBe('TOPIC_NOT_FOUND'), {
        timeout: 10_000,
        interval: 200,
      });
    } finally {
      raw.close();
    }
  });
});
