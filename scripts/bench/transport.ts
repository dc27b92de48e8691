// `npm run bench -- transport`: what the gRPC transport alone costs the broker per call, to decide
// what replacing grpc-js paid. Three servers in this process answer SendMessage with a fixed
// reply and do nothing else — grpc-js (as the broker used it: proto-loader definitions), Halfmoon's
// own transport on its own HTTP/2 (src/protocol/transport/ and transport/h2/, as the broker uses
// it now: same definitions) and a bare `node:http2` handler (protobufjs decode and encode, gRPC
// framing and trailers by hand: the floor of anything on node:http2) — while
// the lean client (scripts/bench/lean-grpc.ts) in a child process keeps 64 calls of 1 KiB in
// flight. Printed: calls/s and this process's CPU per call, alternating A B C A B C.
//
//   npm run bench -- transport [--calls 30000] [--rounds 2]
import { fork } from 'node:child_process';
import http2 from 'node:http2';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { silentLogger } from '../../src/logger.js';
import { messagingService } from '../../src/protocol/proto.js';
import { GrpcTransport } from '../../src/protocol/transport/server.js';
import type { ServiceImplementation, UnaryCallHandler } from '../../src/protocol/transport/types.js';
import { systemClock } from '../../src/util/clock.js';
import { f1, isMain, numFlag, type BenchOutcome, type Flags, type Log } from './common.js';
import { leanRoot, LeanGrpc } from './lean-grpc.js';

const SELF = fileURLToPath(import.meta.url);
const WINDOW = 64;
const REPLY = { status: { code: 'OK', message: 'OK' }, entries: [{ status: { code: 'OK', message: 'OK' }, message_id: 'm', transaction_id: '', offset: '1' }] };

export interface TransportOptions {
  calls: number;
  rounds: number;
}

export function transportOptions(flags: Flags): TransportOptions {
  return { calls: numFlag(flags, 'calls', flags.quick ? 2_000 : 30_000), rounds: numFlag(flags, 'rounds', flags.quick ? 1 : 2) };
}

/** The load: `calls` SendMessage calls, WINDOW in flight; reports its wall time to the parent. */
async function client(endpoint: string, calls: number): Promise<void> {
  const c = await LeanGrpc.connect(endpoint, 'transport-bench');
  const message = {
    topic: { name: 't', resource_namespace: '' },
    system_properties: { message_id: 'm', message_type: 'NORMAL', body_encoding: 'IDENTITY' },
    body: Buffer.alloc(1024, 1),
  };
  let started = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: WINDOW }, async () => {
      while (started < calls) {
        started++;
        await c.unary('SendMessage', { messages: [message] });
      }
    }),
  );
  process.send!({ ms: performance.now() - t0 });
  c.close();
}

async function grpcJsServer(): Promise<{ port: number; close(): void }> {
  const server = new grpc.Server();
  const impl: grpc.UntypedServiceImplementation = {};
  for (const name of Object.keys(messagingService().service))
    impl[name] = ((_call: unknown, done: grpc.sendUnaryData<unknown>) => done(null, REPLY)) as grpc.UntypedHandleCall;
  server.addService(messagingService().service, impl);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
  );
  return { port, close: () => server.forceShutdown() };
}

async function halfmoonServer(): Promise<{ port: number; close(): void }> {
  const transport = new GrpcTransport({
    maxReceiveBytes: 5 << 20,
    maxConcurrentStreams: 1000,
    idleTimeoutMs: 300_000,
    keepaliveTimeMs: 60_000,
    keepaliveTimeoutMs: 20_000,
    clock: systemClock,
    log: silentLogger(),
  });
  const reply: UnaryCallHandler<unknown, unknown> = (_call, done) => done(null, REPLY);
  const impl: ServiceImplementation = {};
  for (const name of Object.keys(messagingService().service)) impl[name] = reply;
  transport.addService(messagingService().service, impl);
  const listener = createServer((socket) => transport.inject(socket));
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  return {
    port: (listener.address() as { port: number }).port,
    close: () => {
      listener.close();
      void transport.close(0);
    },
  };
}

async function bareHttp2Server(): Promise<{ port: number; close(): void }> {
  const method = leanRoot().lookupService('apache.rocketmq.v2.MessagingService').methods.SendMessage!;
  method.resolve();
  const req = method.resolvedRequestType!;
  const res = method.resolvedResponseType!;
  const server = http2.createServer();
  server.on('stream', (stream) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      req.toObject(req.decode(Buffer.concat(chunks).subarray(5)), { longs: String, enums: String, defaults: true });
      const body = res.encode(res.fromObject(REPLY)).finish();
      const out = Buffer.allocUnsafe(5 + body.length);
      out[0] = 0;
      out.writeUInt32BE(body.length, 1);
      out.set(body, 5);
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0', 'grpc-message': '' }));
      stream.end(out);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as { port: number }).port, close: () => server.close() };
}

async function measure(port: number, calls: number): Promise<{ callsPerSec: number; usPerCall: number }> {
  const cpu0 = process.cpuUsage();
  const ms = await new Promise<number>((resolve, reject) => {
    const child = fork(SELF, ['client', `127.0.0.1:${port}`, String(calls)], { execArgv: ['--import', 'tsx'] });
    child.once('message', (m: { ms: number }) => resolve(m.ms));
    child.once('exit', (code) => (code === 0 ? undefined : reject(new Error(`transport load exited with ${code}`))));
  });
  const cpu = process.cpuUsage(cpu0);
  return { callsPerSec: calls / (ms / 1000), usPerCall: (cpu.user + cpu.system) / calls };
}

export async function runTransport(o: TransportOptions, log: Log): Promise<BenchOutcome<Record<string, { callsPerSec: number; usPerCall: number }[]>>> {
  const servers = { 'grpc-js': await grpcJsServer(), halfmoon: await halfmoonServer(), 'bare node:http2': await bareHttp2Server() };
  const data: Record<string, { callsPerSec: number; usPerCall: number }[]> = { 'grpc-js': [], halfmoon: [], 'bare node:http2': [] };
  try {
    for (let r = 0; r < o.rounds; r++) {
      for (const [name, s] of Object.entries(servers)) {
        const m = await measure(s.port, o.calls);
        data[name]!.push(m);
        log(`  transport: ${name.padEnd(16)} ${Math.round(m.callsPerSec).toString().padStart(6)} calls/s  server CPU ${f1(m.usPerCall)} µs/call`);
      }
    }
  } finally {
    for (const s of Object.values(servers)) s.close();
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
  return {
    name: 'transport',
    rows: Object.entries(data).map(([name, ms]) => ({
      bench: 'transport',
      metric: `${name} server CPU per SendMessage`,
      value: `${f1(median(ms.map((m) => m.usPerCall)))} µs`,
    })),
    data,
  };
}

if (isMain(import.meta.url) && process.argv[2] === 'client') {
  await client(process.argv[3]!, Number(process.argv[4]));
  process.exit(0);
}
