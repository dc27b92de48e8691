// Owns the broker's Prometheus instruments (prom-client, on a registry of its own so that several
// brokers in one process never share series): the names follow RocketMQ 5's own metrics where one
// exists (BrokerMetricsConstant / ProxyMetricsConstant, see docs/operations.md), the rest are
// Halfmoon's (`halfmoon_*`). Services record events through the methods here — once per batch on
// the hot paths, never per message; the gauges are filled at scrape time from a ScrapeSource.
// prom-client (about 4 MB of an idle broker's memory) is loaded on the first event or scrape.
import { createRequire } from 'node:module';
import type { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { DecisionSource, TransactionDecision } from '../domain/transactions.js';
import type { MessageType } from '../domain/messages.js';

/** Millisecond buckets of rocketmq_rpc_latency (upstream: 1, 3, 5, 10, 100 ms, 1 s, 3 s). */
const RPC_BUCKETS_MS = [1, 3, 5, 10, 100, 1000, 3000];
/** Half received → decided, in ms: from a fast commit to the checks of a day-long transaction. */
const FINISH_BUCKETS_MS = [10, 100, 1000, 10_000, 60_000, 600_000, 3_600_000, 86_400_000];
/** How late a check went out after its transaction came due, in ms. */
const CHECK_DELAY_BUCKETS_MS = [10, 50, 100, 500, 1000, 5000, 30_000, 300_000];
const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];
const FSYNC_BUCKETS_MS = [0.5, 1, 2, 5, 10, 25, 50, 100, 250, 1000];

/** One consumer group's progress in one topic, as the group service reports it. */
export interface GroupTopicGauge {
  group: string;
  topic: string;
  /** Not yet delivered to the group. */
  ready: number;
  /** Delivered, not yet acked. */
  inFlight: number;
}

/** Where the scrape-time gauges come from (the broker wires it to its services and store). */
export interface ScrapeSource {
  groups(): Promise<GroupTopicGauge[]>;
  /** PENDING transactions per producer group. */
  pendingTransactions(): Promise<{ producerGroup: string; count: number }[]>;
  /** ABANDONED transactions per topic. */
  abandonedTransactions(): Promise<{ topic: string; count: number }[]>;
  /** Clients with an open Telemetry stream on this broker. */
  liveClients(): { producers: Map<string, number>; consumers: Map<string, number> };
  topicCount(): Promise<number>;
  storeSizeBytes(): Promise<number | undefined>;
}

export type CheckOutcome = 'sent' | 'answered' | 'undeliverable';

/** The prom-client instruments of one broker, on a registry of their own. */
class Instruments {
  readonly registry: Registry;

  readonly messagesIn: Counter<'topic' | 'message_type'>;
  readonly throughputIn: Counter<'topic' | 'message_type'>;
  readonly messagesOut: Counter<'topic' | 'consumer_group'>;
  readonly throughputOut: Counter<'topic' | 'consumer_group'>;
  readonly toDlq: Counter<'topic' | 'consumer_group'>;
  readonly rpcLatency: Histogram<'protocol_type' | 'request_code' | 'response_code'>;
  readonly commits: Counter<'topic'>;
  readonly rollbacks: Counter<'topic'>;
  readonly finishLatency: Histogram<'topic'>;
  readonly decisions: Counter<'source' | 'state'>;
  readonly checks: Counter<'outcome'>;
  readonly checkDelay: Histogram;
  readonly batchSize: Histogram;
  readonly fsyncLatency: Histogram;

  readonly ready: Gauge<'topic' | 'consumer_group'>;
  readonly lag: Gauge<'topic' | 'consumer_group'>;
  readonly inflight: Gauge<'topic' | 'consumer_group'>;
  readonly halfMessages: Gauge<'producer_group'>;
  readonly abandoned: Gauge<'topic'>;
  readonly liveProducers: Gauge<'producer_group'>;
  readonly consumerConnections: Gauge<'consumer_group'>;
  readonly topics: Gauge;
  readonly groupsGauge: Gauge;
  readonly storeSize: Gauge;

  constructor(labels: { nodeId: string }) {
    const prom = createRequire(import.meta.url)('prom-client') as typeof import('prom-client');
    const { Counter, Gauge, Histogram, Registry } = prom;
    this.registry = new Registry();
    const registers = [this.registry];
    this.registry.setDefaultLabels({ node_type: 'broker', node_id: labels.nodeId });
    const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]) => new Counter<L>({ name, help, labelNames, registers });
    const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[]) => new Gauge<L>({ name, help, labelNames, registers });
    const histogram = <L extends string>(name: string, help: string, labelNames: readonly L[], buckets: number[]) =>
      new Histogram<L>({ name, help, labelNames, buckets, registers });

    this.messagesIn = counter('rocketmq_messages_in_total', 'Messages received from producers (transactional: when the half message is stored).', ['topic', 'message_type']);
    this.throughputIn = counter('rocketmq_throughput_in_total', 'Message body bytes received from producers.', ['topic', 'message_type']);
    this.messagesOut = counter('rocketmq_messages_out_total', 'Messages delivered to consumers (redeliveries included).', ['topic', 'consumer_group']);
    this.throughputOut = counter('rocketmq_throughput_out_total', 'Message body bytes delivered to consumers.', ['topic', 'consumer_group']);
    this.toDlq = counter('rocketmq_send_to_dlq_messages_total', 'Messages moved to a dead-letter topic.', ['topic', 'consumer_group']);
    this.rpcLatency = histogram(
      'rocketmq_rpc_latency',
      'RPC handling time in ms (ReceiveMessage includes its long poll).',
      ['protocol_type', 'request_code', 'response_code'],
      RPC_BUCKETS_MS,
    );
    this.commits = counter('rocketmq_commit_messages_total', 'Transactions committed.', ['topic']);
    this.rollbacks = counter('rocketmq_rollback_messages_total', 'Transactions rolled back.', ['topic']);
    this.finishLatency = histogram('rocketmq_finish_message_latency', 'Half message received to transaction decided, in ms.', ['topic'], FINISH_BUCKETS_MS);
    this.decisions = counter('halfmoon_transaction_decisions_total', 'Transaction decisions by who made them (CLIENT, SERVER_CHECK, ADMIN, POLICY, HTTP).', [
      'source',
      'state',
    ]);
    this.checks = counter('halfmoon_transaction_checks_total', 'Transaction checks: sent to a producer, answered by one, or undeliverable (its stream was gone).', [
      'outcome',
    ]);
    this.checkDelay = histogram('halfmoon_transaction_check_delay_ms', 'How long after a transaction came due its check was sent, in ms.', [], CHECK_DELAY_BUCKETS_MS);
    this.batchSize = histogram('halfmoon_store_group_commit_batch_size', 'State transitions written per LevelDB batch (group commit).', [], BATCH_BUCKETS);
    this.fsyncLatency = histogram('halfmoon_store_group_commit_latency_ms', 'Time to write (and fsync, when durable) one LevelDB batch, in ms.', [], FSYNC_BUCKETS_MS);

    this.ready = gauge('rocketmq_consumer_ready_messages', 'Messages retained and not yet delivered to the group.', ['topic', 'consumer_group']);
    this.lag = gauge('rocketmq_consumer_lag_messages', 'Messages not yet acked by the group: ready plus in flight.', ['topic', 'consumer_group']);
    this.inflight = gauge('rocketmq_consumer_inflight_messages', 'Messages delivered to the group and not yet acked.', ['topic', 'consumer_group']);
    this.halfMessages = gauge('rocketmq_half_messages', 'Half messages waiting for a decision (PENDING), per producer group (the topic, for gRPC producers).', [
      'producer_group',
    ]);
    this.abandoned = gauge('halfmoon_transactions_abandoned', 'Transactions out of checks, kept for an operator (KEEP policy), per topic.', ['topic']);
    this.liveProducers = gauge('rocketmq_producer_connections', 'Producers with an open Telemetry stream to this broker, per producer group (topic).', ['producer_group']);
    this.consumerConnections = gauge('rocketmq_consumer_connections', 'Consumers with an open Telemetry stream to this broker, per group.', ['consumer_group']);
    this.topics = gauge('rocketmq_topic_number', 'Topics.', []);
    this.groupsGauge = gauge('rocketmq_consumer_group_number', 'Consumer groups that consume at least one topic.', []);
    this.storeSize = gauge('halfmoon_store_size_bytes', 'Size of the store (LevelDB directory, or the PostgreSQL schema).', []);
  }
}

export class BrokerMetrics {
  private source: ScrapeSource | undefined;
  private instruments: Instruments | undefined;

  constructor(private readonly labels: { nodeId: string }) {}

  private get m(): Instruments {
    return (this.instruments ??= new Instruments(this.labels));
  }

  /** Where scrape-time gauges are read from (set once the services exist). */
  setScrapeSource(source: ScrapeSource): void {
    this.source = source;
  }

  /** A send call stored `count` messages of `bytes` body bytes. */
  received(topic: string, type: MessageType, count: number, bytes: number): void {
    const labels = { topic, message_type: type.toLowerCase() };
    this.m.messagesIn.inc(labels, count);
    this.m.throughputIn.inc(labels, bytes);
  }

  /** A receive call delivered `count` messages of `bytes` body bytes to `group`. */
  delivered(topic: string, group: string, count: number, bytes: number): void {
    const labels = { topic, consumer_group: group };
    this.m.messagesOut.inc(labels, count);
    this.m.throughputOut.inc(labels, bytes);
  }

  deadLettered(topic: string, group: string, count: number): void {
    this.m.toDlq.inc({ topic, consumer_group: group }, count);
  }

  rpc(protocol: 'grpc' | 'http', requestCode: string, responseCode: string, ms: number): void {
    this.m.rpcLatency.observe({ protocol_type: protocol, request_code: requestCode, response_code: responseCode }, ms);
  }

  /** A transaction was decided (the first decision only). */
  decided(decision: TransactionDecision, source: DecisionSource = decision.source): void {
    (decision.state === 'COMMITTED' ? this.m.commits : this.m.rollbacks).inc({ topic: decision.topic });
    this.m.decisions.inc({ source, state: decision.state });
    this.m.finishLatency.observe({ topic: decision.topic }, Math.max(0, decision.decidedAtMs - decision.receivedAtMs));
  }

  check(outcome: CheckOutcome, delayAfterDueMs?: number): void {
    this.m.checks.inc({ outcome });
    if (delayAfterDueMs !== undefined) this.m.checkDelay.observe(Math.max(0, delayAfterDueMs));
  }

  /** A group-commit batch of `transitions` was written in `ms`. */
  writeBatch(transitions: number, ms: number): void {
    this.m.batchSize.observe(transitions);
    this.m.fsyncLatency.observe(ms);
  }

  /** The text exposition, with the gauges read now. */
  async scrape(): Promise<string> {
    await this.refreshGauges();
    return this.m.registry.metrics();
  }

  get contentType(): string {
    return this.m.registry.contentType;
  }

  private async refreshGauges(): Promise<void> {
    const s = this.source;
    if (!s) return;
    const [groups, pending, abandoned, topicCount, size] = await Promise.all([
      s.groups(),
      s.pendingTransactions(),
      s.abandonedTransactions(),
      s.topicCount(),
      s.storeSizeBytes(),
    ]);
    for (const g of [this.m.ready, this.m.lag, this.m.inflight, this.m.halfMessages, this.m.abandoned, this.m.liveProducers, this.m.consumerConnections]) g.reset();
    for (const g of groups) {
      const labels = { topic: g.topic, consumer_group: g.group };
      this.m.ready.set(labels, g.ready);
      this.m.inflight.set(labels, g.inFlight);
      this.m.lag.set(labels, g.ready + g.inFlight);
    }
    for (const p of pending) this.m.halfMessages.set({ producer_group: p.producerGroup }, p.count);
    for (const a of abandoned) this.m.abandoned.set({ topic: a.topic }, a.count);
    const live = s.liveClients();
    for (const [group, n] of live.producers) this.m.liveProducers.set({ producer_group: group }, n);
    for (const [group, n] of live.consumers) this.m.consumerConnections.set({ consumer_group: group }, n);
    this.m.topics.set(topicCount);
    this.m.groupsGauge.set(new Set(groups.map((g) => g.group)).size);
    if (size !== undefined) this.m.storeSize.set(size);
  }
}
