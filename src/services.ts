// Owns what every adapter (gRPC handlers, the MQ HTTP gateway, the admin API) gets from the
// broker: its services, configuration, clock, logger and event bus. Adapters never see the store;
// the semantics live in the services, which sit on it.
import type { MessageService } from './admin/message-service.js';
import type { TopicService } from './admin/topic-service.js';
import type { AuthService } from './auth/auth-service.js';
import type { ClusterService } from './cluster/cluster-service.js';
import type { BrokerConfig } from './config.js';
import type { ConsumerService } from './consumer/consumer-service.js';
import type { GroupService } from './consumer/group-service.js';
import type { Logger } from './logger.js';
import type { BrokerMetrics } from './metrics/broker-metrics.js';
import type { SendService } from './producer/send-service.js';
import type { Endpoints } from './protocol/types.js';
import type { EventBus } from './runtime/event-bus.js';
import type { ClientService } from './session/client-service.js';
import type { ClientLimits } from './session/client-limits.js';
import type { SessionRegistry } from './session/session-registry.js';
import type { CheckScheduler } from './transaction/check-scheduler.js';
import type { TransactionService } from './transaction/transaction-service.js';
import type { Clock } from './util/clock.js';

export interface ServiceContext {
  config: BrokerConfig;
  clock: Clock;
  log: Logger;
  /** The broker's wake-up bus (appends, half messages published, producers available). */
  events: EventBus;
  sessions: SessionRegistry;
  /** Connected clients (this broker's, and the other live brokers' on a shared store). */
  clients: ClientService;
  /** Per-client concurrency limits (long polls, Telemetry streams). */
  limits: ClientLimits;
  sender: SendService;
  consumer: ConsumerService;
  groups: GroupService;
  transactions: TransactionService;
  topics: TopicService;
  /** Message traces: lookups by id or key, the transaction, the deliveries per group. */
  messages: MessageService;
  checks: CheckScheduler;
  /** Authentication and authorization (users and ACL rules); allows everything when auth is off. */
  auth: AuthService;
  /** The brokers routes list (all live brokers on a shared store, else this one). */
  cluster: ClusterService;
  /** The broker's Prometheus instruments (its own registry). */
  metrics: BrokerMetrics;
  /** Where clients reach this broker: advertised host (or the one they dialled) and the bound port. */
  brokerEndpoints(requested?: Endpoints | null): Endpoints;
}
