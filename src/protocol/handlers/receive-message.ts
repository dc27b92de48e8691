// ReceiveMessage (server stream): status, then the messages, then delivery_timestamp, then the
// stream ends with gRPC OK. Long polls until a message arrives, bounded by the call deadline;
// messages taken for a call that was cancelled meanwhile are released at once. Each call holds a
// long-poll slot of its client (ClientLimits) until it ends.
import { Code } from '../../errors.js';
import { admitCall } from '../access.js';
import { callInfo } from '../context.js';
import type { ServiceContext } from '../../services.js';
import { fromMs, resourceName, toMs, toProtoMessage } from '../convert.js';
import { OK_STATUS, status, statusOf } from '../status.js';
import type { Delivery } from '../../domain/consumption.js';
import type { ServerStreamCallHandler } from '../transport/types.js';
import type { Message, ReceiveMessageRequest, Status, Timestamp } from '../types.js';

type ReceiveMessageResponse = { status: Status } | { message: Message } | { delivery_timestamp: Timestamp };

export function receiveMessage(svc: ServiceContext): ServerStreamCallHandler<ReceiveMessageRequest, ReceiveMessageResponse> {
  const log = svc.log.child({ rpc: 'ReceiveMessage' });
  return (call) => {
    const info = callInfo(call);
    const req = call.request;
    const started = svc.clock.now();
    const abort = new AbortController();
    call.on('cancelled', () => abort.abort());
    /** What this call took from the store, to give back if the caller is gone before it is written. */
    let taken: { group: string; topic: string; deliveries: Delivery[] } | undefined;
    let release = (): void => {};
    call.on('cancelled', () => release());
    const run = async (): Promise<ReceiveMessageResponse[]> => {
      admitCall('ReceiveMessage', req, call.metadata, info, svc);
      release = svc.limits.acquire('longPoll', info.clientId);
      const group = resourceName(req.group, 'group', Code.ILLEGAL_CONSUMER_GROUP, info.namespace);
      const topic = resourceName(req.message_queue?.topic, 'message_queue.topic', Code.ILLEGAL_TOPIC, info.namespace);
      const filter = req.filter_expression;
      const invisible = toMs(req.invisible_duration);
      const longPolling = toMs(req.long_polling_timeout);
      const deliveries = await svc.consumer.receive(
        {
          group,
          topic,
          filter: { type: filter?.type === 'SQL' ? 'SQL' : 'TAG', expression: filter?.expression ?? '*' },
          batchSize: req.batch_size,
          autoRenew: req.auto_renew,
          clientId: info.clientId,
          ...(invisible !== undefined ? { invisibleDurationMs: invisible } : {}),
          ...(longPolling !== undefined ? { longPollingTimeoutMs: longPolling } : {}),
          ...(info.deadlineMs !== undefined ? { deadlineMs: info.deadlineMs } : {}),
        },
        abort.signal,
      );
      if (deliveries.length === 0) return [{ status: status(Code.MESSAGE_NOT_FOUND, 'no new message') }];
      taken = { group, topic, deliveries };
      const storeHost = endpointText(svc);
      return [
        { status: OK_STATUS },
        ...deliveries.map((d) => ({
          message: toProtoMessage(d.message, {
            namespace: info.namespace,
            storeHost,
            receiptHandle: d.receiptHandle,
            deliveryAttempt: d.deliveryAttempt,
            invisibleDurationMs: Math.max(0, d.invisibleUntilMs - svc.clock.now()),
          }),
        })),
      ];
    };
    run()
      .catch((err: unknown) => [{ status: statusOf(err, log) }] as ReceiveMessageResponse[])
      .then((responses) => {
        const first = responses[0];
        svc.metrics.rpc('grpc', 'ReceiveMessage', String((first && 'status' in first ? first.status.code : undefined) ?? 'OK'), svc.clock.now() - started);
        release();
        if (call.cancelled) {
          // Cancelled (client gone, deadline passed) while the poll completed: nobody got these
          // messages, so make them visible again now instead of after their invisible time (or,
          // for auto-renewed ones, never while the client lives).
          if (taken) {
            const { group, topic, deliveries } = taken;
            void svc.consumer.release(group, topic, deliveries).catch((err: unknown) => log.warn({ err }, 'could not release undelivered messages'));
          }
          return;
        }
        for (const r of responses) call.write(r);
        call.write({ delivery_timestamp: fromMs(svc.clock.now()) });
        call.end();
      })
      .catch((err: unknown) => log.warn({ err }, 'could not finish a ReceiveMessage stream'));
  };
}

export function endpointText(svc: ServiceContext): string {
  const a = svc.brokerEndpoints().addresses[0];
  return a ? `${a.host}:${a.port}` : '';
}
