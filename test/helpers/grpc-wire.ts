// gRPC at the wire for tests that must do what no client does: a raw HTTP/2 session on which a
// stream can be opened and never read (a client that ignores its Telemetry stream). Encoding comes
// from the lean client's proto root (scripts/bench/lean-grpc.ts).
import http2 from 'node:http2';
import type protobuf from 'protobufjs';
import { frame, leanRoot } from '../../scripts/bench/lean-grpc.js';

export const MESSAGING = 'apache.rocketmq.v2.MessagingService';

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

export { frame };
