// Owns the facts of one gRPC call read from its metadata (CallInfo: client id, namespace,
// deadline, peer, and the authenticated user). What every handler gets besides is the broker's ServiceContext (src/services.ts).
import type { CallMetadata, Deadline } from './transport/types.js';
import type { Identity } from '../auth/auth-service.js';
import type { DecisionActor } from '../domain/transactions.js';

export interface CallInfo {
  /** x-mq-client-id; a stand-in derived from the peer when absent (grpcurl). */
  clientId: string;
  hasClientId: boolean;
  /** x-mq-namespace (Node leaves resource namespaces empty; the header is authoritative). */
  namespace: string;
  /** Absolute deadline in epoch ms, if the caller set one. */
  deadlineMs?: number;
  peer: string;
  /** The authenticated user (set by admitCall when auth is on). */
  identity?: Identity;
}

function header(md: CallMetadata, name: string): string {
  const v = md.get(name)[0];
  return v === undefined ? '' : v.toString();
}

export function callInfo(call: { metadata: CallMetadata; getPeer(): string; getDeadline(): Deadline }): CallInfo {
  const clientId = header(call.metadata, 'x-mq-client-id').trim();
  const peer = call.getPeer();
  const info: CallInfo = {
    clientId: clientId || `anonymous@${peer}`,
    hasClientId: clientId !== '',
    namespace: header(call.metadata, 'x-mq-namespace'),
    peer,
  };
  const deadline = call.getDeadline();
  const ms = deadline instanceof Date ? deadline.getTime() : deadline;
  if (Number.isFinite(ms)) info.deadlineMs = ms;
  return info;
}

/** Who a decision made by this call is recorded as (the audit trail). */
export function actorOf(call: CallInfo): DecisionActor {
  const actor: DecisionActor = { clientId: call.clientId, address: call.peer };
  if (call.identity) actor.user = call.identity.user;
  return actor;
}
