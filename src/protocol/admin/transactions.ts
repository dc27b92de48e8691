// Admin RPCs for transactions: list pending/abandoned (by key: decided ones too, newest first),
// describe one, resolve by hand, counters.
import { BrokerError, Code } from '../../errors.js';
import type { CheckRecord, HalfMessage, TransactionDecision } from '../../domain/transactions.js';
import { actorOf, type CallInfo } from '../context.js';
import type { ServiceContext } from '../../services.js';
import { OK_STATUS } from '../status.js';

const checkRecords = (checks: CheckRecord[] | undefined) => (checks ?? []).map((c) => ({ at_ms: String(c.atMs), client_id: c.clientId }));

export function fromHalf(h: HalfMessage) {
  return {
    transaction_id: h.transactionId,
    topic: h.message.topic,
    message_id: h.message.messageId,
    state: h.state,
    producer_group: h.producerGroup,
    sender_client_id: h.senderClientId,
    check_count: h.checkCount,
    received_at_ms: String(h.receivedAtMs),
    next_check_at_ms: String(h.state === 'PENDING' ? h.nextCheckAtMs : 0),
    last_check_at_ms: String(h.lastCheckAtMs ?? 0),
    last_check_client_id: h.lastCheckClientId ?? '',
    decided_by: '',
    decided_at_ms: '0',
    reason: h.abandonReason ?? '',
    tag: h.message.tag ?? '',
    keys: h.message.keys,
    body_size: h.message.body.length,
    checks: checkRecords(h.checks),
  };
}

export function fromDecision(d: TransactionDecision) {
  return {
    transaction_id: d.transactionId,
    topic: d.topic,
    message_id: d.messageId,
    state: d.state,
    producer_group: '',
    sender_client_id: '',
    check_count: d.checkCount,
    received_at_ms: String(d.receivedAtMs),
    next_check_at_ms: '0',
    last_check_at_ms: '0',
    last_check_client_id: '',
    decided_by: d.source,
    decided_at_ms: String(d.decidedAtMs),
    reason: d.reason ?? '',
    tag: '',
    keys: d.keys ?? [],
    body_size: 0,
    checks: checkRecords(d.checks),

    decided_by_user: d.decidedBy?.user ?? '',
    decided_by_client_id: d.decidedBy?.clientId ?? '',
    decided_by_address: d.decidedBy?.address ?? '',
  };
}

const UNDECIDED = ['PENDING', 'ABANDONED'];
const DECIDED = ['COMMITTED', 'ROLLED_BACK'];

/**
 * Undecided transactions (optionally of one topic, one state); with `key`, the decided ones whose
 * message carried that key too — the audit trail by business key.
 */
export async function listTransactions(req: { topic: string; state: string; limit: number; key?: string }, _c: CallInfo, svc: ServiceContext) {
  const state = req.state.toUpperCase();
  const key = req.key || undefined;
  if (state && !UNDECIDED.includes(state) && !(key && DECIDED.includes(state))) {
    throw new BrokerError(
      Code.BAD_REQUEST,
      `state "${req.state}" is not listable: use PENDING or ABANDONED, or with --key also COMMITTED or ROLLED_BACK (a decided transaction without a key: describe it by id)`,
    );
  }
  const limit = req.limit > 0 ? req.limit : 100;
  // By key, everything that carried the key is gathered first (a key names few transactions), then
  // the newest are kept: the limit must cut off the oldest, not the latest.
  const fetchLimit = key ? Number.MAX_SAFE_INTEGER : limit;
  let out = [];
  if (!state || UNDECIDED.includes(state)) {
    const list = await svc.transactions.list({
      ...(req.topic ? { topic: req.topic } : {}),
      ...(state ? { state: state as 'PENDING' | 'ABANDONED' } : {}),
      ...(key ? { key } : {}),
      limit: fetchLimit,
    });
    out.push(...list.map(fromHalf));
  }
  if (key && (!state || DECIDED.includes(state))) {
    const decided = await svc.transactions.findDecided({
      key,
      limit: fetchLimit,
      ...(state ? { state: state as 'COMMITTED' | 'ROLLED_BACK' } : {}),
      ...(req.topic ? { topic: req.topic } : {}),
    });
    out.push(...decided.map(fromDecision));
  }
  if (key) out = newestFirst(out).slice(0, limit);
  return { status: OK_STATUS, transactions: out };
}

/** By the time the broker received the half message, newest first (then by id, for a stable order). */
function newestFirst<T extends { received_at_ms: string; transaction_id: string }>(list: T[]): T[] {
  return [...list].sort((a, b) => Number(b.received_at_ms) - Number(a.received_at_ms) || (a.transaction_id < b.transaction_id ? 1 : -1));
}

export async function describeTransaction(req: { transaction_id: string }, _c: CallInfo, svc: ServiceContext) {
  const { half, decision } = await svc.transactions.describe(req.transaction_id);
  return { status: OK_STATUS, transaction: half ? fromHalf(half) : fromDecision(decision!), applied: false };
}

export async function resolveTransaction(req: { transaction_id: string; resolution: string; reason: string }, call: CallInfo, svc: ServiceContext) {
  const resolution = req.resolution.toUpperCase();
  if (resolution !== 'COMMIT' && resolution !== 'ROLLBACK') {
    throw new BrokerError(Code.BAD_REQUEST, `resolution "${req.resolution}" is unknown: use COMMIT or ROLLBACK`);
  }
  const outcome = await svc.transactions.endTransaction({
    transactionId: req.transaction_id,
    resolution,
    source: 'ADMIN',
    reason: req.reason || 'resolved by an operator',
    actor: actorOf(call),
  });
  svc.log.info({ transactionId: req.transaction_id, resolution, applied: outcome.applied }, 'transaction resolved by admin');
  return { status: OK_STATUS, transaction: fromDecision(outcome.decision), applied: outcome.applied };
}

export async function recheckTransaction(req: { transaction_id: string }, _c: CallInfo, svc: ServiceContext) {
  const half = await svc.transactions.recheck(req.transaction_id);
  svc.checks.kick();
  return { status: OK_STATUS, transaction: fromHalf(half), applied: true };
}

export async function getTransactionStats(_req: unknown, _c: CallInfo, svc: ServiceContext) {
  const c = await svc.transactions.counters();
  const waiting = await svc.transactions.waitingForProducer();
  return {
    status: OK_STATUS,
    pending: String(c.pending),
    abandoned: String(c.abandoned),
    committed: String(c.committed),
    rolled_back: String(c.rolledBack),
    checks_sent: String(c.checksSent),
    checks_answered: String(c.checksAnswered),
    pending_without_producer: String(waiting.reduce((n, w) => n + w.pending, 0)),
    groups_without_producer: waiting.map((w) => w.producerGroup),
  };
}
