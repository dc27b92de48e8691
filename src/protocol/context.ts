// Owns what every RPC handler gets: the broker's services (ServiceContext) and the facts of
// one call read from its metadata (CallInfo: client id, namespace, deadline).
import type * as grpc from '@grpc/grpc-js';
import type { TopicService } from '../admin/topic-service.js';
import type { BrokerConfig } from '../config.js';
import type { ConsumerService } from '../consumer/consumer-service.js';
import type { GroupService } from '../consumer/group-service.js';
import type { Logger } from '../logger.js';
import type { SendService } from '../producer/send-service.js';
import type { SessionRegistry } from '../session/session-registry.js';
import type { BrokerStore } from '../store/broker-store.js';
import type { CheckScheduler } from '../transaction/check-scheduler.js';
import type { TransactionService } from '../transaction/transaction-service.js';
import type { Clock } from '../util/clock.js';
import type { Endpoints } from './types.js';

export interface ServiceContext {
  config: BrokerConfig;
  clock: Clock;
  log: Logger;
  store: BrokerStore;
  sessions: SessionRegistry;
  sender: SendService;
  consumer: ConsumerService;
  groups: GroupService;
  transactions: TransactionService;
  topics: TopicService;
  checks: CheckScheduler;
  /** Where clients reach this broker: advertised host (or the one they dialled) and the bound port. */
  brokerEndpoints(requested?: Endpoints | null): Endpoints;
}

export interface CallInfo {
  /** x-mq-client-id; a stand-in derived from the peer when absent (grpcurl). */
  clientId: string;
  hasClientId: boolean;
  /** x-mq-namespace (Node leaves resource namespaces empty; the header is authoritative). */
  namespace: string;
  /** Absolute deadline in epoch ms, if the caller set one. */
  deadlineMs?: number;
  peer: string;
}

function header(md: grpc.Metadata, name: string): string {
  const v = md.get(name)[0];
  return v === undefined ? '' : v.toString();
}

export function callInfo(call: { metadata: grpc.Metadata; getPeer(): string; getDeadline(): grpc.Deadline }): CallInfo {
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
