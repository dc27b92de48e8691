// Halfmoon's gRPC transport, connection by connection: the HTTP/2 settings it announces (max
// concurrent streams), the idle timeout (GOAWAY, then closed), keepalive pings (a client that
// does not answer is dropped), TLS with ALPN h2, and a graceful close: calls in flight finish
// within the grace period, what is left is destroyed and its handlers hear 'cancelled'.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http2 from 'node:http2';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { BidiCall, UnaryCall, UnaryCallback } from '../../../src/protocol/transport/types.js';
import { call, request, startHarness, TIMINGS, until, type Harness } from './harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
const EMPTY_SETTINGS = Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0]);

/** A raw TCP client that speaks the HTTP/2 preface and then never answers anything. */
function silentClient(port: number): Promise<{ socket: Socket; closed: Promise<void>; received: () => Buffer }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(Buffer.concat([H2_PREFACE, EMPTY_SETTINGS]));
      resolve({ socket, closed, received: () => Buffer.concat(chunks) });
    });
    const closed = new Promise<void>((r) => socket.on('close', () => r()));
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', () => undefined);
  });
}

function frameTypes(bytes: Buffer): number[] {
  const types: number[] = [];
  for (let at = 0; at + 9 <= bytes.length; at += 9 + bytes.readUIntBE(at, 3)) types.push(bytes[at + 3]!);
  return types;
}

describe('connections', () => {
  it('announces grpcMaxConcurrentStreams in its SETTINGS', async () => {
    h = await startHarness({}, { maxConcurrentStreams: 7 });
    const session = await h.connect();
    await until(() => session.remoteSettings.maxConcurrentStreams === 7);
    expect(session.remoteSettings.maxConcurrentStreams).toBe(7);
  });

  it('closes a connection idle for idleTimeoutMs with a GOAWAY, and keeps one with a call open', async () => {
    let pending: UnaryCallback<unknown> | undefined;
    // Keepalive pings later than the idle timeout: advancing the fake clock past a ping and its timeout at once would drop both.
    h = await startHarness({ QueryRoute: (_c: UnaryCall<unknown>, done: UnaryCallback<unknown>) => (pending = done) }, { keepaliveTimeMs: 10 * 60_000 });
    const idle = await h.connect();
    const busy = await h.connect();
    const goaway = new Promise<void>((resolve) => idle.once('goaway', () => resolve()));
    const inFlight = call(busy, 'QueryRoute', request('QueryRoute', {}));
    await until(() => pending !== undefined);
    h.clock.advance(TIMINGS.idleTimeoutMs);
    await goaway;
    await until(() => idle.closed || idle.destroyed);
    expect(busy.closed).toBe(false);
    pending!(null, { status: { code: 'OK', message: 'OK' } });
    expect((await inFlight).status).toBe(0);
  });

  it('pings every keepaliveTimeMs and drops a client that does not answer within keepaliveTimeoutMs', async () => {
    h = await startHarness({}, { idleTimeoutMs: 10 * 60_000 });
    const answering = await h.connect();
    const pinged = new Promise<void>((resolve) => answering.once('ping', () => resolve()));
    const silent = await silentClient(h.port);
    await until(() => h!.transport.connections === 2);
    h.clock.advance(TIMINGS.keepaliveTimeMs);
    await pinged;
    // A call after the PING: once it is answered, the server has read the PING's ACK sent before it.
    expect((await call(answering, 'QueryRoute', request('QueryRoute', {}))).status).toBe(0);
    await until(() => frameTypes(silent.received()).includes(0x06)); // the server's PING reached the silent client
    h.clock.advance(TIMINGS.keepaliveTimeoutMs);
    await silent.closed;
    expect(answering.closed).toBe(false);
    expect(h.transport.connections).toBe(1);
  });

  it('closes gracefully: calls in flight finish, new connections are refused, the rest is destroyed after the grace', async () => {
    let answer: UnaryCallback<unknown> | undefined;
    let streamCancelled = false;
    h = await startHarness({
      QueryRoute: (_c: UnaryCall<unknown>, done: UnaryCallback<unknown>) => (answer = done),
      Telemetry: (c: BidiCall<unknown, unknown>) => c.on('cancelled', () => (streamCancelled = true)),
    });
    const session = await h.connect();
    const unaryCall = call(session, 'QueryRoute', request('QueryRoute', {}));
    const streamCall = call(session, 'Telemetry', [], { keepOpen: true });
    await until(() => answer !== undefined && h!.transport.connections === 1);
    const closed = h.transport.close(5000);
    answer!(null, { status: { code: 'OK', message: 'finished in the grace period' } });
    expect((await unaryCall).status).toBe(0);
    const refused = await silentClient(h.port);
    await refused.closed;
    expect(streamCancelled).toBe(false);
    h.clock.advance(5000);
    await closed;
    await streamCall;
    expect(streamCancelled).toBe(true);
    expect(h.transport.connections).toBe(0);
  });
});

describe('TLS', () => {
  it('serves gRPC over TLS with ALPN h2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'halfmoon-transport-tls-'));
    try {
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'ec',
          '-pkeyopt',
          'ec_paramgen_curve:prime256v1',
          '-nodes',
          '-keyout',
          'key.pem',
          '-out',
          'cert.pem',
          '-days',
          '1',
          '-subj',
          '/CN=localhost',
          '-addext',
          'subjectAltName=IP:127.0.0.1',
        ],
        { cwd: dir, stdio: 'ignore' },
      );
      const cert = readFileSync(join(dir, 'cert.pem'));
      h = await startHarness({}, { tls: { cert, key: readFileSync(join(dir, 'key.pem')) } });
      const session = http2.connect(`https://127.0.0.1:${h.port}`, { ca: cert });
      session.on('error', () => undefined);
      await new Promise<void>((resolve) => session.once('connect', () => resolve()));
      expect(session.alpnProtocol).toBe('h2');
      expect((await call(session, 'QueryRoute', request('QueryRoute', {}))).status).toBe(0);
      session.destroy();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
