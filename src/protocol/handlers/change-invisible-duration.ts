// ChangeInvisibleDuration: new invisibility from now (0 ms is a nack), returning the receipt
// handle the client must use from now on.
import { Code } from '../../errors.js';
import type { CallInfo } from '../context.js';
import type { ServiceContext } from '../../services.js';
import { resourceName, toMs } from '../convert.js';
import { OK_STATUS } from '../status.js';
import type { ChangeInvisibleDurationRequest, Status } from '../types.js';

export async function changeInvisibleDuration(req: ChangeInvisibleDurationRequest, call: CallInfo, svc: ServiceContext): Promise<{ status: Status; receipt_handle: string }> {
  const group = resourceName(req.group, 'group', Code.ILLEGAL_CONSUMER_GROUP, call.namespace);
  const topic = resourceName(req.topic, 'topic', Code.ILLEGAL_TOPIC, call.namespace);
  const duration = toMs(req.invisible_duration) ?? 0;
  const { receiptHandle } = await svc.consumer.changeInvisibleDuration(group, topic, req.receipt_handle, duration);
  return { status: OK_STATUS, receipt_handle: receiptHandle };
}
