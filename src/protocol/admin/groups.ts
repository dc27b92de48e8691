// Admin RPCs for consumer groups: update (FIFO flag, max delivery attempts), describe, list.
import type { GroupRecord } from '../../store/types.js';
import type { CallInfo, ServiceContext } from '../context.js';
import { OK_STATUS } from '../status.js';

function groupMessage(g: GroupRecord) {
  return { name: g.name, fifo: g.fifo, max_delivery_attempts: g.maxDeliveryAttempts, created_at_ms: String(g.createdAtMs) };
}

export async function updateGroup(
  req: { name: string; fifo?: boolean | null; max_delivery_attempts?: number | null },
  _c: CallInfo,
  svc: ServiceContext,
) {
  const change: { fifo?: boolean; maxDeliveryAttempts?: number } = {};
  if (req.fifo !== undefined && req.fifo !== null) change.fifo = req.fifo;
  if (req.max_delivery_attempts !== undefined && req.max_delivery_attempts !== null) change.maxDeliveryAttempts = req.max_delivery_attempts;
  const group = await svc.groups.update(req.name, change);
  return { status: OK_STATUS, group: groupMessage(group), progress: [] };
}

export async function describeGroup(req: { name: string }, _c: CallInfo, svc: ServiceContext) {
  const { group, progress } = await svc.groups.describe(req.name);
  return {
    status: OK_STATUS,
    group: groupMessage(group),
    progress: progress.map((p) => ({ topic: p.topic, consumed_offset: String(p.consumedOffset), lag: String(p.lag), in_flight: String(p.inFlight) })),
  };
}

export async function listGroups(_req: unknown, _c: CallInfo, svc: ServiceContext) {
  return { status: OK_STATUS, groups: (await svc.groups.list()).map(groupMessage) };
}
