// Admin RPCs for message traces: ShowMessage (by message id) and ListMessages (by business key),
// each message with where it was stored, its transaction and its deliveries per group.
import type { MessageTrace } from '../../admin/message-service.js';
import type { CallInfo } from '../context.js';
import type { ServiceContext } from '../../services.js';
import { OK_STATUS } from '../status.js';
import { fromDecision, fromHalf } from './transactions.js';

/** Body bytes a trace carries (the console and the CLI show a preview, not the message). */
export const BODY_PREVIEW_BYTES = 1024;

function toMessage(t: MessageTrace) {
  const m = t.message;
  return {
    state: t.state,
    message_id: m?.messageId ?? t.decision?.messageId ?? '',
    topic: m?.topic ?? t.decision?.topic ?? '',
    queue_id: m?.queueId ?? 0,
    offset: String(m?.offset ?? -1),
    message_type: m?.messageType ?? '',
    born_at_ms: String(m?.bornTimestampMs ?? 0),
    stored_at_ms: String(m?.storeTimestampMs ?? 0),
    born_host: m?.bornHost ?? '',
    tag: m?.tag ?? '',
    keys: m?.keys ?? t.decision?.keys ?? [],
    properties: m?.userProperties ?? {},
    body_size: m?.body.length ?? 0,
    body_preview: m ? m.body.subarray(0, BODY_PREVIEW_BYTES) : Buffer.alloc(0),
    ...(t.half ? { transaction: fromHalf(t.half) } : t.decision ? { transaction: fromDecision(t.decision) } : {}),
    deliveries: t.deliveries.map((d) => ({
      group: d.group,
      attempt: d.attempt,
      delivered_at_ms: String(d.deliveredAtMs),
      client_id: d.clientId ?? '',
      outcome: d.outcome,
      outcome_at_ms: String(d.outcomeAtMs ?? 0),
    })),
    dead_letter_of_topic: m?.deadLetter?.topic ?? '',
    dead_letter_of_group: m?.deadLetter?.group ?? '',
  };
}

export async function showMessage(req: { message_id: string; topic: string }, _c: CallInfo, svc: ServiceContext) {
  const traces = await svc.messages.show(req.message_id, req.topic || undefined);
  return { status: OK_STATUS, messages: traces.map(toMessage) };
}

export async function listMessages(req: { key: string; topic: string; limit: number }, _c: CallInfo, svc: ServiceContext) {
  const traces = await svc.messages.byKey(req.key, req.topic || undefined, req.limit > 0 ? req.limit : 20);
  return { status: OK_STATUS, messages: traces.map(toMessage) };
}
