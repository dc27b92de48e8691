// AckMessage: acks each entry by receipt handle; one result entry per request entry, in order.
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
  // Entries are independent: acked concurrently so their writes share one group commit.
  const results: AckResultEntry[] = await Promise.all(
    entries.map(async (e) => {
      let st: Status = OK_STATUS;
      try {
        await svc.consumer.ack(group, topic, e.receipt_handle);
      } catch (err) {
        st = statusOf(err, svc.log);
      }
      return { message_id: e.message_id, receipt_handle: e.receipt_handle, status: st };
    }),
  );
  return { status: combinedStatus(results.map((r) => r.status)), entries: results };
}
