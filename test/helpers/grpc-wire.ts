// gRPC at the wire for tests that must send what no client sends: raw HTTP/2 calls with any
// payload bytes (mutated protobuf, garbage, truncated or oversized frames) and streams that are
// never read. Encoding comes from the lean client's proto root (scripts/bench/lean-grpc.ts).
import http2 from 'node:http2';
import protobuf from 'protobufjs';
import { frame, leanRoot, type PbObject } from '../../scripts/bench/lean-grpc.js';

export const MESSAGING = 'apache.rocketmq.v2.MessagingService';
export const ADMIN = 'halfmoon.admin.v1.AdminService';

export interface WireReply {
  /** grpc-status (-1 when the stream ended without one: reset or the session went away). */
  grpcStatus: number;
  grpcMessage: string;
  /** HTTP/2 :status. */
  httpStatus: number;
  /** Bytes of the response body (gRPC frames, undecoded). */
  body: Buffer;
}

export function connectWire(endpoint: string): Promise<http2.ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(`http://${endpoint}`);
    session.once('connect', () => {
      session.off('error', reject);
      session.on('error', () => undefined); // each call sees its own stream's failure
      resolve(session);
    });
    session.once('error', reject);
  });
}

/** The request and response types of `Service/Method`. */
export function methodTypes(service: string, name: string): { req: protobuf.Type; res: protobuf.Type } {
  const def = leanRoot().lookupService(service).methods[name]!;
  def.resolve();
  return { req: def.resolvedRequestType!, res: def.resolvedResponseType! };
}

/** A valid request message of `type` from a plain object, as bytes (no gRPC prefix). */
export function encode(type: protobuf.Type, obj: PbObject): Buffer {
  return Buffer.from(type.encode(type.fromObject(obj)).finish());
}

/** A gRPC length-prefixed frame around `payload` (declared length may lie). */
export function grpcFrame(payload: Buffer, declaredLength = payload.length): Buffer {
  const out = Buffer.alloc(5 + payload.length);
  out.writeUInt32BE(declaredLength >>> 0, 1);
  payload.copy(out, 5);
  return out;
}

export { frame };

/**
 * One call with `body` as the request bytes, then half-close. Settles when the server ends the
 * stream or resets it; a call still open `deadlineMs` plus `graceMs` after it started is
 * reported as hung (grpcStatus -2) and cancelled.
 */
export function wireCall(
  session: http2.ClientHttp2Session,
  path: string,
  body: Buffer,
  opts: { clientId?: string; deadlineMs?: number; graceMs?: number } = {},
): Promise<WireReply> {
  const deadlineMs = opts.deadlineMs ?? 2000;
  return new Promise((resolve) => {
    const headers: http2.OutgoingHttpHeaders = {
      ':method': 'POST',
      ':path': path,
      'content-type': 'application/grpc',
      te: 'trailers',
      'grpc-timeout': `${deadlineMs}m`,
    };
    if (opts.clientId !== undefined) headers['x-mq-client-id'] = opts.clientId;
    const stream = session.request(headers);
    const chunks: Buffer[] = [];
    let httpStatus = 0;
    let grpcStatus = -1;
    let grpcMessage = '';
    const read = (h: http2.IncomingHttpHeaders): void => {
      if (h[':status'] !== undefined) httpStatus = Number(h[':status']);
      if (h['grpc-status'] !== undefined) grpcStatus = Number(h['grpc-status']);
      if (h['grpc-message'] !== undefined) grpcMessage = decodeURIComponent(String(h['grpc-message']));
    };
    let settled = false;
    const finish = (status?: number): void => {
      if (settled) return;
      settled = true;
      clearTimeout(hang);
      if (status !== undefined) grpcStatus = status;
      resolve({ grpcStatus, grpcMessage, httpStatus, body: Buffer.concat(chunks) });
    };
    const hang = setTimeout(
      () => {
        finish(-2);
        stream.close(http2.constants.NGHTTP2_CANCEL);
      },
      deadlineMs + (opts.graceMs ?? 3000),
    );
    stream.on('response', read);
    stream.on('trailers', read);
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('close', () => finish());
    stream.on('error', () => finish());
    stream.end(body);
  });
}

/** The decoded replies in a response body (frames of `type`); throws on a malformed reply. */
export function decodeReplies(type: protobuf.Type, body: Buffer): PbObject[] {
  const out: PbObject[] = [];
  for (let at = 0; at + 5 <= body.length;) {
    const len = body.readUInt32BE(at + 1);
    out.push(type.toObject(type.decode(body.subarray(at + 5, at + 5 + len)), { enums: String, longs: String, defaults: true }) as PbObject);
    at += 5 + len;
  }
  return out;
}
