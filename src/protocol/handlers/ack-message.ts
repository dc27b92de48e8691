// AckMessage: acks each entry by receipt handle (all of them in one store call); one result entry
// per request entry, in order.
import { Code } from '../../errors.js';
import type { CallInfo } from '../context.js';
import type { ServiceContext } from '../../services.js';
import { resourceName } from '../convert.js';
import { combinedStatus, OK_STATUS, statusOf } from '../status.js';
import type { AckMessageRequest, Status } from '../types.js';

interface AckResultEntry {
  message_id: string;
  receipt_handle: string;
  status: Status;
}

export async function ackMessage(req: AckMessageRequest, call: CallInfo, svc: ServiceContext): Promise<{ status: Status; entries: AckResultEntry[] }> {
  const group = resourceName(req.group, 'group', Code.ILLEGAL_CONSUMER_GROUP, call.namespace);
  const topic = resourceName(req.topic, 'topic', Code.ILLEGAL_TOPIC, call.namespace);
  const entries = req.entries ?? [];
  let statuses: Status[];
  try {
    const errors = await svc.consumer.ackMany(
      group,
      topic,
      entries.map((e) => e.receipt_handle),
    );
    statuses = errors.map((err) => (err ? statusOf(err, svc.log) : OK_STATUS));
  } catch (err) {
    // Not about one entry (the group or topic, the store): every entry failed with it.
    const st = statusOf(err, svc.log);
    statuses = entries.map(() => st);
  }
  const results: AckResultEntry[] = entries.map((e, i) => ({ message_id: e.message_id, receipt_handle: e.receipt_handle, status: statuses[i]! }));
  return { status: combinedStatus(statuses), entries: results };
}
