// The RPCs Halfmoon does not serve (PullConsumer offsets, pull, recall, lite topics): answered
// in the body with NOT_IMPLEMENTED, as the protocol asks, never with a gRPC error.
import { Code } from '../../errors.js';
import { status } from '../status.js';
import type { ServerStreamCallHandler, UnaryCallHandler } from '../transport/types.js';
import type { Status } from '../types.js';

function notImplementedStatus(rpc: string): Status {
  return status(Code.NOT_IMPLEMENTED, `${rpc} is not implemented by Halfmoon; use SimpleConsumer or PushConsumer`);
}

export function notImplementedUnary(rpc: string): UnaryCallHandler<unknown, { status: Status }> {
  return (_call, callback) => callback(null, { status: notImplementedStatus(rpc) });
}

export function notImplementedStream(rpc: string): ServerStreamCallHandler<unknown, { status: Status }> {
  return (call) => {
    call.write({ status: notImplementedStatus(rpc) });
    call.end();
  };
}
