// Owns the fuzzer's gRPC cases: for every RPC of both services, a request sampled from its type
// (valid-ish, with real topic and group names), then sent as is, mutated at field level, as
// random bytes, or in a broken frame (truncated, a length that lies, compressed flag, oversized),
// over raw HTTP/2. What every call must get: a grpc-status (and for status OK a body that
// decodes, with a status that is not an internal error) before its deadline plus a grace.
import http2 from 'node:http2';
import type protobuf from 'protobufjs';
import { leanRoot } from '../bench/lean-grpc.js';
import { mutate, sample } from './protobuf-mutate.js';
import type { Rng } from './random.js';

const SERVICES = ['apache.rocketmq.v2.MessagingService', 'halfmoon.admin.v1.AdminService'] as const;

export interface Rpc {
  path: string;
  name: string;
  req: protobuf.Type;
  res: protobuf.Type;
}

export function allRpcs(): Rpc[] {
  const out: Rpc[] = [];
  for (const s of SERVICES) {
    const service = leanRoot().lookupService(s);
    for (const m of service.methodsArray) {
      m.resolve();
      out.push({ path: `/${s}/${m.name}`, name: m.name, req: m.resolvedRequestType!, res: m.resolvedResponseType! });
    }
  }
  return out;
}

export type CaseKind = 'valid' | 'mutated' | 'random' | 'frame' | 'cancel';

export interface CaseResult {
  rpc: string;
  kind: CaseKind;
  /** 'status:<grpc-status>' | 'hang' | 'reset' | 'bad-reply' | 'internal-error' */
  outcome: string;
  /** Set when the outcome is a finding (a hang, an undecodable reply, an internal error, a crash). */
  finding?: string;
}

const DEADLINE_MS = 1500;
const GRACE_MS = 4000;
const MAX_FRAME = 2 ** 31 - 1;

function payloadFor(rpc: Rpc, r: Rng, strings: readonly string[], kind: CaseKind): Buffer {
  if (kind === 'random') return r.bytes(r.pick([0, 1, 5, 64, 1024]));
  // 'cancel': a valid request whose caller goes away (RST_STREAM) while it runs.
  const obj = sample(rpc.req, r, strings);
  let bytes: Buffer;
  try {
    bytes = Buffer.from(rpc.req.encode(rpc.req.fromObject(obj)).finish());
  } catch {
    bytes = Buffer.alloc(0);
  }
  return kind === 'valid' || kind === 'cancel' ? bytes : mutate(bytes, r);
}

function framed(payload: Buffer, r: Rng, kind: CaseKind): Buffer {
  const prefix = Buffer.alloc(5);
  prefix.writeUInt32BE(payload.length, 1);
  if (kind !== 'frame') return Buffer.concat([prefix, payload]);
  switch (r.int(5)) {
    case 0: // truncated
      return Buffer.concat([prefix, payload]).subarray(0, r.int(payload.length + 5));
    case 1: // declares more than it sends
      prefix.writeUInt32BE(payload.length + 1 + r.int(1000), 1);
      return Buffer.concat([prefix, payload]);
    case 2: // oversized declared length
      prefix.writeUInt32BE(MAX_FRAME, 1);
      return Buffer.concat([prefix, payload]);
    case 3: // compressed flag without a grpc-encoding
      prefix[0] = 1;
      return Buffer.concat([prefix, payload]);
    default: // two messages on a unary call
      return Buffer.concat([prefix, payload, prefix, payload]);
  }
}

export async function runGrpcCase(session: http2.ClientHttp2Session, rpc: Rpc, r: Rng, strings: readonly string[], kind: CaseKind): Promise<CaseResult> {
  const body = framed(payloadFor(rpc, r, strings, kind), r, kind);
  const headers: http2.OutgoingHttpHeaders = {
    ':method': 'POST',
    ':path': rpc.path,
    'content-type': 'application/grpc',
    te: 'trailers',
    'grpc-timeout': `${DEADLINE_MS}m`,
  };
  if (r.chance(0.9)) headers['x-mq-client-id'] = `fuzz-${r.int(8)}`;
  if (r.chance(0.1)) headers['x-mq-namespace'] = r.pick(strings).slice(0, 64);
  const reply = await call(session, headers, body, kind === 'cancel' ? r.int(300) : undefined);
  const base = { rpc: rpc.name, kind };
  if (reply.grpcStatus === -3) return { ...base, outcome: 'cancelled' };
  if (reply.grpcStatus === -2) return { ...base, outcome: 'hang', finding: `no answer ${DEADLINE_MS + GRACE_MS} ms after the call started (deadline ${DEADLINE_MS} ms)` };
  if (reply.grpcStatus === -1) return { ...base, outcome: 'reset' };
  if (reply.grpcStatus === 2) return { ...base, outcome: 'status:2', finding: `grpc-status UNKNOWN (a handler threw): ${reply.grpcMessage}` };
  if (reply.grpcStatus !== 0) return { ...base, outcome: `status:${reply.grpcStatus}` };
  for (let at = 0; at + 5 <= reply.body.length;) {
    const len = reply.body.readUInt32BE(at + 1);
    let decoded: { status?: { code?: number; message?: string } };
    try {
      decoded = rpc.res.decode(reply.body.subarray(at + 5, at + 5 + len)) as typeof decoded;
    } catch (err) {
      return { ...base, outcome: 'bad-reply', finding: `a reply that does not decode: ${(err as Error).message}` };
    }
    const code = decoded.status?.code;
    if (code === 50000 || code === 50001) return { ...base, outcome: 'internal-error', finding: `body status ${code}: ${decoded.status?.message ?? ''}` };
    at += 5 + len;
  }
  return { ...base, outcome: 'status:0' };
}

interface Reply {
  grpcStatus: number;
  grpcMessage: string;
  body: Buffer;
}

/** One call; with `cancelAfterMs`, the caller resets the stream then (grpcStatus -3 unless it ended first). */
function call(session: http2.ClientHttp2Session, headers: http2.OutgoingHttpHeaders, body: Buffer, cancelAfterMs?: number): Promise<Reply> {
  return new Promise((resolve) => {
    let stream: http2.ClientHttp2Stream;
    try {
      stream = session.request(headers);
    } catch {
      resolve({ grpcStatus: -1, grpcMessage: 'session unusable', body: Buffer.alloc(0) });
      return;
    }
    const chunks: Buffer[] = [];
    let grpcStatus = -1;
    let grpcMessage = '';
    let size = 0;
    const read = (h: http2.IncomingHttpHeaders): void => {
      if (h['grpc-status'] !== undefined) grpcStatus = Number(h['grpc-status']);
      if (h['grpc-message'] !== undefined) grpcMessage = String(h['grpc-message']);
    };
    let done = false;
    const finish = (status?: number): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve({ grpcStatus: status ?? grpcStatus, grpcMessage, body: Buffer.concat(chunks) });
    };
    const timer = setTimeout(() => {
      finish(-2);
      stream.close(http2.constants.NGHTTP2_CANCEL);
    }, DEADLINE_MS + GRACE_MS);
    if (cancelAfterMs !== undefined) {
      setTimeout(() => {
        if (done) return;
        stream.close(http2.constants.NGHTTP2_CANCEL);
        finish(-3);
      }, cancelAfterMs);
    }
    stream.on('response', read);
    stream.on('trailers', read);
    stream.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= 1 << 20) chunks.push(c);
    });
    stream.on('close', () => finish());
    stream.on('error', () => finish());
    stream.end(body);
  });
}
