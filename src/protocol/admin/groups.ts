// Admin RPCs for consumer groups: create, update (FIFO flag, max delivery attempts), describe
// and list (with lag, in-flight and dead-letter counts), reset-offset.
import { parseGroupStart, type GroupSummary } from '../../consumer/group-service.js';
import { deadLetterTopic } from '../../domain/names.js';
import { startOf, type GroupRecord, type GroupStart } from '../../domain/groups.js';
import type { CallInfo } from '../context.js';
import type { ServiceContext } from '../../services.js';
import { OK_STATUS } from '../status.js';

function groupMessage(g: GroupRecord, totals?: Omit<GroupSummary, 'group'>) {
  return {
    name: g.name,
    fifo: g.fifo,
    max_delivery_attempts: g.maxDeliveryAttempts,
    created_at_ms: String(g.createdAtMs),
    lag: String(totals?.lag ?? 0),
    in_flight: String(totals?.inFlight ?? 0),
    dead_letters: String(totals?.deadLetters ?? 0),
    dead_letter_topic: deadLetterTopic(g.name),
    start_from: startOf(g),
  };
}

export async function createGroup(
  req: { name: string; fifo?: boolean | null; max_delivery_attempts?: number | null; start_from?: string | null },
  _c: CallInfo,
  svc: ServiceContext,
) {
  const settings: { fifo?: boolean; maxDeliveryAttempts?: number; startFrom?: GroupStart } = {};
  if (req.fifo) settings.fifo = true;
  if (req.max_delivery_attempts !== undefined && req.max_delivery_attempts !== null) settings.maxDeliveryAttempts = req.max_delivery_attempts;
  if (req.start_from) settings.startFrom = parseGroupStart(req.start_from);
  const { maxDeliveryAttempts, groupStartFrom } = svc.config;
  const { group, created } = await svc.groups.create(req.name, settings, { maxDeliveryAttempts, startFrom: groupStartFrom });
  return { status: OK_STATUS, group: groupMessage(group), progress: [], created };
}

export async function updateGroup(req: { name: string; fifo?: boolean | null; max_delivery_attempts?: number | null }, _c: CallInfo, svc: ServiceContext) {
  const change: { fifo?: boolean; maxDeliveryAttempts?: number } = {};
  if (req.fifo !== undefined && req.fifo !== null) change.fifo = req.fifo;
  if (req.max_delivery_attempts !== undefined && req.max_delivery_attempts !== null) change.maxDeliveryAttempts = req.max_delivery_attempts;
  const group = await svc.groups.update(req.name, change);
  return { status: OK_STATUS, group: groupMessage(group), progress: [], created: false };
}

export async function describeGroup(req: { name: string }, _c: CallInfo, svc: ServiceContext) {
  const d = await svc.groups.describe(req.name);
  return {
    status: OK_STATUS,
    group: groupMessage(d.group, d),
    progress: d.progress.map((p) => ({ topic: p.topic, consumed_offset: String(p.consumedOffset), lag: String(p.lag), in_flight: String(p.inFlight) })),
    created: false,
  };
}

export async function listGroups(_req: unknown, _c: CallInfo, svc: ServiceContext) {
  return { status: OK_STATUS, groups: (await svc.groups.listWithStats()).map((s) => groupMessage(s.group, s)) };
}

export async function resetOffset(req: { group: string; topic: string; to: string }, _c: CallInfo, svc: ServiceContext) {
  const results = await svc.groups.resetOffset(req.group, req.topic, req.to);
  return {
    status: OK_STATUS,
    resets: results.map((r) => ({
      queue_id: r.queueId,
      previous_offset: String(r.previousOffset),
      new_offset: String(r.newOffset),
      dropped_in_flight: String(r.droppedInFlight),
    })),
  };
}
