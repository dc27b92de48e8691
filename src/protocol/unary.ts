// Owns the adapter between the transport's unary calls (transport/) and our handlers: every unary RPC answers gRPC OK
// with the real outcome in the body's `status`, as the RocketMQ proxy does. Each call is admitted
// first (authenticated and authorized, src/protocol/access.ts); each call's time is recorded as
// rocketmq_rpc_latency with the body status as its response code.
import type { UnaryCallHandler } from './transport/types.js';
import { admitCall } from './access.js';
import { callInfo, type CallInfo } from './context.js';
import type { ServiceContext } from '../services.js';
import { statusOf } from './status.js';
import type { Status } from './types.js';

export type UnaryHandler<Req, Res extends { status?: Status }> = (req: Req, call: CallInfo, svc: ServiceContext) => Promise<Res>;

export function unary<Req, Res extends { status?: Status }>(rpc: string, handler: UnaryHandler<Req, Res>, svc: ServiceContext): UnaryCallHandler<Req, Res> {
  const log = svc.log.child({ rpc });
  return (call, callback) => {
    const info = callInfo(call);
    const started = svc.clock.now();
    Promise.resolve()
      .then(() => admitCall(rpc, call.request, call.metadata, info, svc))
      .then(() => handler(call.request, info, svc))
      .then(
        (res) => {
          svc.metrics.rpc('grpc', rpc, String(res.status?.code ?? 'OK'), svc.clock.now() - started);
          callback(null, res);
        },
        (err: unknown) => {
          const status = statusOf(err, log);
          log.debug({ clientId: info.clientId, code: status.code, message: status.message }, 'request refused');
          svc.metrics.rpc('grpc', rpc, String(status.code), svc.clock.now() - started);
          callback(null, { status } as Res);
        },
      );
  };
}
