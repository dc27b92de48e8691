// Owns the apache.rocketmq.v2.MessagingService implementation table: RPC name → handler.
import type { ServiceContext } from '../services.js';
import { ackMessage } from './handlers/ack-message.js';
import { changeInvisibleDuration } from './handlers/change-invisible-duration.js';
import { endTransaction } from './handlers/end-transaction.js';
import { forwardMessageToDeadLetterQueue } from './handlers/forward-message-to-dead-letter-queue.js';
import { heartbeat } from './handlers/heartbeat.js';
import { notImplementedStream, notImplementedUnary } from './handlers/not-implemented.js';
import { notifyClientTermination } from './handlers/notify-client-termination.js';
import { queryAssignment } from './handlers/query-assignment.js';
import { queryRoute } from './handlers/query-route.js';
import { receiveMessage } from './handlers/receive-message.js';
import { sendMessage } from './handlers/send-message.js';
import { telemetry } from './handlers/telemetry.js';
import type { ServiceImplementation } from './transport/types.js';
import { unary } from './unary.js';

export function messagingServiceImpl(svc: ServiceContext): ServiceImplementation {
  return {
    QueryRoute: unary('QueryRoute', queryRoute, svc),
    Heartbeat: unary('Heartbeat', heartbeat, svc),
    SendMessage: unary('SendMessage', sendMessage, svc),
    QueryAssignment: unary('QueryAssignment', queryAssignment, svc),
    ReceiveMessage: receiveMessage(svc),
    AckMessage: unary('AckMessage', ackMessage, svc),
    ForwardMessageToDeadLetterQueue: unary('ForwardMessageToDeadLetterQueue', forwardMessageToDeadLetterQueue, svc),
    EndTransaction: unary('EndTransaction', endTransaction, svc),
    Telemetry: telemetry(svc),
    NotifyClientTermination: unary('NotifyClientTermination', notifyClientTermination, svc),
    ChangeInvisibleDuration: unary('ChangeInvisibleDuration', changeInvisibleDuration, svc),
    PullMessage: notImplementedStream('PullMessage'),
    UpdateOffset: notImplementedUnary('UpdateOffset'),
    GetOffset: notImplementedUnary('GetOffset'),
    QueryOffset: notImplementedUnary('QueryOffset'),
    RecallMessage: notImplementedUnary('RecallMessage'),
    SyncLiteSubscription: notImplementedUnary('SyncLiteSubscription'),
  };
}
