// Owns what each gRPC call must prove before its handler runs, in one table: every call is
// authenticated from its metadata (MQv2 signature), then SendMessage and EndTransaction need Pub
// on the topic; ReceiveMessage, AckMessage, ChangeInvisibleDuration and
// ForwardMessageToDeadLetterQueue need Sub on the topic and on the group; the other messaging
// calls (routes, heartbeats, assignments, goodbyes, Telemetry) need only a known user (a consumer's
// Telemetry settings: Sub on its group and topics, admitSettings); any other
// RPC — the whole halfmoon.admin.v1 API — needs a super user. The decisions are the auth
// service's (src/auth/auth-service.ts); with auth off everything passes.
import type { Identity } from '../auth/auth-service.js';
import type { Permission } from '../domain/acl.js';
import { Code } from '../errors.js';
import type { ServiceContext } from '../services.js';
import type { CallInfo } from './context.js';
import { resourceName } from './convert.js';
import type { CallMetadata } from './transport/types.js';
import type { Nullable, Resource } from './types.js';

type Needs = (req: Record<string, unknown>, call: CallInfo) => Permission[];

const topicOf = (r: unknown, call: CallInfo): string => resourceName(r as Nullable<Resource>, 'topic', Code.ILLEGAL_TOPIC, call.namespace);
const groupOf = (r: unknown, call: CallInfo): string => resourceName(r as Nullable<Resource>, 'group', Code.ILLEGAL_CONSUMER_GROUP, call.namespace);
const pub = (topic: string): Permission => ({ type: 'Topic', name: topic, action: 'Pub' });
const sub = (topic: string, group: string): Permission[] => [
  { type: 'Topic', name: topic, action: 'Sub' },
  { type: 'Group', name: group, action: 'Sub' },
];
const consuming: Needs = (req, call) => sub(topicOf(req.topic, call), groupOf(req.group, call));
const none: Needs = () => [];

const MESSAGING: Readonly<Record<string, Needs>> = {
  SendMessage: (req, call) => [...new Set(((req.messages as { topic?: unknown }[] | undefined) ?? []).map((m) => topicOf(m.topic, call)))].map(pub),
  EndTransaction: (req, call) => [pub(topicOf(req.topic, call))],
  ReceiveMessage: (req, call) => sub(topicOf((req.message_queue as { topic?: unknown } | undefined)?.topic, call), groupOf(req.group, call)),
  AckMessage: consuming,
  ChangeInvisibleDuration: consuming,
  ForwardMessageToDeadLetterQueue: consuming,
  QueryRoute: none,
  Heartbeat: none,
  QueryAssignment: none,
  NotifyClientTermination: none,
  Telemetry: none,
};

function header(md: CallMetadata, name: string): string | undefined {
  const v = md.get(name)[0];
  return v === undefined ? undefined : v.toString();
}

/** Authenticates the call (UNAUTHORIZED) and checks what its RPC needs (FORBIDDEN); the identity goes on `call`. */
export function admitCall(rpc: string, req: unknown, metadata: CallMetadata, call: CallInfo, svc: ServiceContext): void {
  const { auth } = svc;
  if (!auth.enabled) return;
  const identity: Identity | undefined = auth.authenticateMqv2(header(metadata, 'authorization'), header(metadata, 'x-mq-date-time'));
  if (identity) call.identity = identity;
  const needs = MESSAGING[rpc];
  if (needs) auth.authorize(identity, needs((req ?? {}) as Record<string, unknown>, call));
  else auth.requireSuperUser(identity, `call the admin API (${rpc})`);
}

/**
 * Whether the call's user may act on the session of its client id: always with auth off or for a
 * session no user holds yet; otherwise only the user whose Telemetry stream holds it (one user
 * cannot take over, or end, another user's client session by reusing its client id).
 */
export function mayUseSession(session: { user?: string } | undefined, call: CallInfo): boolean {
  return session?.user === undefined || call.identity === undefined || session.user === call.identity.user;
}

/**
 * Telemetry settings of a consumer (which create its group on first use) need Sub on the group
 * and on each subscribed topic. A producer's settings need nothing more: checks go only to
 * producers with Pub on the topic (the check scheduler's filter).
 */
export function admitSettings(settings: { subscription?: { group?: unknown; subscriptions?: { topic?: unknown }[] } | null }, call: CallInfo, svc: ServiceContext): void {
  const sub = settings.subscription;
  if (!svc.auth.enabled || !sub) return;
  const group = groupOf(sub.group, call);
  const needs: Permission[] = [{ type: 'Group', name: group, action: 'Sub' }];
  for (const s of sub.subscriptions ?? []) needs.push({ type: 'Topic', name: topicOf(s.topic, call), action: 'Sub' });
  svc.auth.authorize(call.identity, needs);
}
