// ForwardMessageToDeadLetterQueue: moves an in-flight message to %DLQ%<group> (and acks it).
import { Code } from '../../errors.js';
import type { CallInfo } from '../context.js';
import type { ServiceContext } from '../../services.js';
import { resourceName } from '../convert.js';
import { OK_STATUS } from '../status.js';
import type { ForwardMessageToDeadLetterQueueRequest, Status } from '../types.js';

export async function forwardMessageToDeadLetterQueue(req: ForwardMessageToDeadLetterQueueRequest, call: CallInfo, svc: ServiceContext): Promise<{ status: Status }> {
  const group = resourceName(req.group, 'group', Code.ILLEGAL_CONSUMER_GROUP, call.namespace);
  const topic = resourceName(req.topic, 'topic', Code.ILLEGAL_TOPIC, call.namespace);
  await svc.consumer.forwardToDeadLetter(group, topic, req.receipt_handle);
  return { status: OK_STATUS };
}
