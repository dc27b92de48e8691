// Owns consumption semantics shared by adapters: validation of receive parameters, consumer
// groups (created on first use), long polling (woken by appends, one poll of a group at a time
// (poll-queues.ts), and by redelivery deadlines, bounded by the caller's deadline), ack, invisibility changes and dead-lettering, and handing
// push consumer (auto_renew) deliveries to the renewal service.
import type { TopicService } from '../admin/topic-service.js';
import type { BrokerConfig } from '../config.js';
import { BrokerError, Code } from '../errors.js';
import type { Logger } from '../logger.js';
import { validateGroupName } from '../domain/names.js';
import { parseTagExpression } from '../domain/tag-filter.js';
import type { BrokerStore } from '../store/broker-store.js';
import type { RetryBackoff } from '../domain/backoff.js';
import type { AckResult, Delivery } from '../domain/consumption.js';
import type { GroupRecord } from '../domain/groups.js';
import type { TagFilter } from '../domain/tag-filter.js';
import type { Clock } from '../util/clock.js';
import type { AutoRenewService } from './auto-renew.js';
import type { BrokerMetrics } from '../metrics/broker-metrics.js';
import { InflightLimit } from './inflight-limit.js';
import { PollQueues } from './poll-queues.js';

export interface ReceiveParams {
  group: string;
  topic: string;
  filter: { type: 'TAG' | 'SQL'; expression: string };
  batchSize: number;
  /** Absent for auto-renewed (push consumer) deliveries; ignored when autoRenew is set. */
  invisibleDurationMs?: number;
  autoRenew: boolean;
  longPollingTimeoutMs?: number;
  /** Absolute deadline of the caller (gRPC call deadline); the poll returns before it. */
  deadlineMs?: number;
  /**
   * Hold exactly this long, bypassing the long-polling clamp and deadline (added for the MQ HTTP
   * gateway, whose waitseconds 0–30 is validated there: 0 is a short poll, 30 must not be cut to 20).
   */
  holdMs?: number;
  /** The receiving client (x-mq-client-id): auto-renewal lasts while it is alive. */
  clientId?: string;
}

export interface ConsumerServiceDeps {
  store: BrokerStore;
  topics: TopicService;
  config: BrokerConfig;
  clock: Clock;
  log: Logger;
  /** Server-side renewal of auto_renew deliveries; without it they just get autoRenewInvisibleDurationMs. */
  renewals?: AutoRenewService;
  /** This broker's id, recorded on the push deliveries it keeps alive. */
  brokerId: string;
  /** Counts deliveries and dead-lettering (once per receive call). */
  metrics?: BrokerMetrics;
}

export const MAX_RECEIVE_BATCH = 1024;

/** The retry back-off advertised to push consumers (and enforced on their nacks). */
export function consumerBackoff(config: Pick<BrokerConfig, 'consumerBackoffInitialMs' | 'consumerBackoffMaxMs'>): RetryBackoff {
  return { initialMs: config.consumerBackoffInitialMs, maxMs: config.consumerBackoffMaxMs, multiplier: 2 };
}

export class ConsumerService {
  /** Received, not yet acked deliveries per client (maxInflightPerClient). */
  private readonly inflight: InflightLimit;

  /** Waiting long polls per (topic, group): who an append wakes. */
  private readonly polls: PollQueues;

  constructor(private readonly deps: ConsumerServiceDeps) {
    this.inflight = new InflightLimit(deps.config.maxInflightPerClient);
    this.polls = new PollQueues(deps.store.events);
  }

  /** First-use creations, one at a time, so that maxAutoCreatedGroups holds under a burst. */
  private creating: Promise<unknown> = Promise.resolve();

  /** The group's record, created with the broker defaults on first use (at most maxAutoCreatedGroups such). */
  async group(name: string): Promise<GroupRecord> {
    validateGroupName(name);
    const existing = await this.deps.store.getGroup(name);
    if (existing) return existing;
    const created = this.creating.then(() => this.createOnFirstUse(name));
    this.creating = created.catch(() => undefined);
    return created;
  }

  private async createOnFirstUse(name: string): Promise<GroupRecord> {
    const { store, config } = this.deps;
    const again = await store.getGroup(name);
    if (again) return again;
    const max = config.maxAutoCreatedGroups;
    const auto = max === 0 ? 0 : (await store.listGroups()).filter((g) => g.autoCreated).length;
    if (auto >= max) {
      throw new BrokerError(
        Code.CONSUMER_GROUP_NOT_FOUND,
        max === 0
          ? `consumer group ${name} does not exist and groups are not created on first use (maxAutoCreatedGroups is 0): create it with halfmoon group create ${name}`
          : `consumer group ${name} does not exist and ${auto} groups were created on first use already (maxAutoCreatedGroups ${max}): create it with halfmoon group create ${name}, or delete unused groups`,
      );
    }
    // Created only if still absent, and marked as auto-created: a concurrent "group create
    // --fifo" either comes first or sets its settings over the defaults (GroupService.create).
    const { maxDeliveryAttempts, groupStartFrom } = config;
    return (await store.createGroup({ name, fifo: false, maxDeliveryAttempts, startFrom: groupStartFrom, autoCreated: true })).group;
  }

  parseFilter(filter: ReceiveParams['filter']): TagFilter {
    if (filter.type === 'SQL') {
      throw new BrokerError(Code.ILLEGAL_FILTER_EXPRESSION, 'SQL92 filters are not supported by Halfmoon; use a TAG expression such as "TagA||TagB"');
    }
    return parseTagExpression(filter.expression);
  }

  /** How long a poll may wait: the requested long-polling time clamped to the configured range and the deadline. */
  holdTimeMs(p: Pick<ReceiveParams, 'longPollingTimeoutMs' | 'deadlineMs'>): number {
    const { config, clock } = this.deps;
    if (p.longPollingTimeoutMs !== undefined && p.longPollingTimeoutMs < 0) {
      throw new BrokerError(Code.ILLEGAL_POLLING_TIME, `long polling timeout ${p.longPollingTimeoutMs} ms is negative`);
    }
    let hold = p.longPollingTimeoutMs ?? config.maxLongPollingTimeoutMs;
    hold = Math.min(Math.max(hold, config.minLongPollingTimeoutMs), config.maxLongPollingTimeoutMs);
    if (p.deadlineMs !== undefined) {
      const left = p.deadlineMs - clock.now() - config.longPollingMarginMs;
      if (left < 0 && p.deadlineMs - clock.now() <= 0) {
        throw new BrokerError(Code.ILLEGAL_POLLING_TIME, 'the call deadline has already passed: give ReceiveMessage a deadline longer than the long polling timeout');
      }
      hold = Math.min(hold, Math.max(0, left));
    }
    return hold;
  }

  async receive(p: ReceiveParams, signal?: AbortSignal): Promise<Delivery[]> {
    const { store, config, clock } = this.deps;
    const group = await this.group(p.group);
    const topic = await this.deps.topics.require(p.topic);
    const filter = this.parseFilter(p.filter);
    if (!Number.isInteger(p.batchSize) || p.batchSize < 1 || p.batchSize > MAX_RECEIVE_BATCH) {
      throw new BrokerError(Code.BAD_REQUEST, `batch size ${p.batchSize} is out of range: ask for 1 to ${MAX_RECEIVE_BATCH} messages`);
    }
    let invisibleMs: number;
    // auto_renew (push consumers): the broker's invisible time, renewed while the client lives
    // (the proxy ignores invisible_duration then, too).
    if (p.autoRenew) invisibleMs = config.autoRenewInvisibleDurationMs;
    else {
      invisibleMs = p.invisibleDurationMs ?? -1;
      if (invisibleMs < config.minInvisibleDurationMs || invisibleMs > config.maxInvisibleDurationMs) {
        throw new BrokerError(
          Code.ILLEGAL_INVISIBLE_TIME,
          `invisible duration ${p.invisibleDurationMs ?? 'missing'} ms is out of range: use ${config.minInvisibleDurationMs} to ${config.maxInvisibleDurationMs} ms`,
        );
      }
    }
    const holdMs = p.holdMs ?? this.holdTimeMs(p);
    const endAt = clock.now() + holdMs;
    const request = {
      group: group.name,
      topic: topic.name,
      filter,
      maxMessages: this.inflight.room(p.clientId, p.batchSize, clock.now()),
      invisibleDurationMs: invisibleMs,
      maxDeliveryAttempts: group.maxDeliveryAttempts,
      fifo: group.fifo && topic.messageType === 'FIFO',
      ...(p.autoRenew && p.clientId ? { autoRenew: { clientId: p.clientId, brokerId: this.deps.brokerId } } : {}),
      ...(p.clientId ? { clientId: p.clientId } : {}),
    };

    // Queued before looking, so an append between the look and the wait is not missed; an append
    // wakes one poll of the group at a time (PollQueues).
    let wake!: () => void;
    let woken = new Promise<void>((resolve) => (wake = resolve));
    /** An append was announced since this poll last started to look. */
    let announced: boolean;
    /** Others of the group may find messages this poll leaves: pass the wake-up on when it returns. */
    let handOff = true;
    const waiter = this.polls.add(topic.name, group.name, () => {
      announced = true;
      wake();
    });
    try {
      for (;;) {
        announced = false;
        const result = await store.receive(request);
        if (result.deadLettered.length > 0) {
          this.deps.metrics?.deadLettered(topic.name, group.name, result.deadLettered.length);
          this.deps.log.info({ group: group.name, topic: topic.name, count: result.deadLettered.length }, 'messages moved to the dead-letter queue');
        }
        if (result.deliveries.length > 0) {
          // A full batch may have left more behind; a partial one took what there was (unless an append came meanwhile).
          handOff = announced || result.deliveries.length >= request.maxMessages;
          let bytes = 0;
          for (const d of result.deliveries) bytes += d.message.body.length;
          this.deps.metrics?.delivered(topic.name, group.name, result.deliveries.length, bytes);
          if (request.autoRenew) this.deps.renewals?.track(group.name, topic.name, request.autoRenew.clientId, result.deliveries);
          // Renewed deliveries count until renewal stops; others until their invisible time ends.
          const renewedUntil = clock.now() + config.autoRenewMaxMs;
          this.inflight.add(
            p.clientId,
            result.deliveries.map((d) => ({ receiptHandle: d.receiptHandle, untilMs: request.autoRenew ? renewedUntil : d.invisibleUntilMs })),
          );
          return result.deliveries;
        }
        const now = clock.now();
        if (now >= endAt || signal?.aborted) {
          handOff = announced;
          return [];
        }
        // The store stopped early (a long run of filtered-out messages), or dead-lettering freed
        // the next message of a FIFO message group: look again at once, not at the next append.
        if (result.scanLimited || result.deadLettered.length > 0) continue;
        const redeliverIn = await store.nextRedeliveryInMs(group.name, topic.name);
        const wakeAt = Math.min(endAt, redeliverIn !== undefined ? now + Math.max(redeliverIn, 1) : endAt);
        const timer = clock.setTimer(() => wake(), wakeAt - now);
        const onAbort = (): void => wake();
        signal?.addEventListener('abort', onAbort, { once: true });
        await woken;
        timer.cancel();
        signal?.removeEventListener('abort', onAbort);
        woken = new Promise<void>((resolve) => (wake = resolve));
        this.polls.enqueue(waiter); // back in the queue (at its end if an append woke it) before looking again
      }
    } finally {
      this.polls.remove(waiter);
      if (handOff) this.polls.handOff(topic.name, group.name);
    }
  }

  /**
   * Acks a delivery; 'stale' when the handle is no longer the message's current delivery (acked
   * already, or redelivered with a newer handle). A malformed handle, or one of another topic, is
   * an INVALID_RECEIPT_HANDLE error.
   */
  async tryAck(groupName: string, topicName: string, receiptHandle: string): Promise<AckResult> {
    validateGroupName(groupName);
    await this.deps.topics.require(topicName);
    const result = await this.deps.store.ack(groupName, topicName, receiptHandle);
    this.deps.renewals?.forget(receiptHandle);
    this.inflight.forget(receiptHandle);
    return result;
  }

  /**
   * Acks the deliveries of one AckMessage (one store transition where the backend can): per
   * handle undefined when acked, else the error `ack` would have thrown for it (a stale handle
   * included).
   */
  async ackMany(groupName: string, topicName: string, receiptHandles: readonly string[]): Promise<(BrokerError | undefined)[]> {
    validateGroupName(groupName);
    await this.deps.topics.require(topicName);
    const results = await this.deps.store.ackMany(groupName, topicName, receiptHandles);
    return results.map((result, i) => {
      const handle = receiptHandles[i]!;
      this.deps.renewals?.forget(handle);
      this.inflight.forget(handle);
      if (result === 'ok') return undefined;
      return result === 'stale' ? staleHandle() : result;
    });
  }

  async changeInvisibleDuration(
    groupName: string,
    topicName: string,
    receiptHandle: string,
    invisibleDurationMs: number,
  ): Promise<{ receiptHandle: string; invisibleUntilMs: number }> {
    validateGroupName(groupName);
    await this.deps.topics.require(topicName);
    const max = this.deps.config.maxInvisibleDurationMs;
    // Tiny durations are a nack (the Node PushConsumer sends ~1 ms): accepted.
    if (!Number.isFinite(invisibleDurationMs) || invisibleDurationMs < 0 || invisibleDurationMs > max) {
      throw new BrokerError(Code.ILLEGAL_INVISIBLE_TIME, `invisible duration ${invisibleDurationMs} ms is out of range: use 0 to ${max} ms`);
    }
    // A push consumer's nack waits at least the advertised back-off (the Node client sends its
    // back-off seconds as milliseconds); other deliveries get exactly what was asked for.
    const result = await this.deps.store.changeInvisibleDuration(groupName, topicName, receiptHandle, invisibleDurationMs, {
      autoRenewBackoff: consumerBackoff(this.deps.config),
    });
    this.deps.renewals?.forget(receiptHandle);
    if (result === 'stale') {
      this.inflight.forget(receiptHandle);
      throw staleHandle();
    }
    this.inflight.replace(receiptHandle, { receiptHandle: result.receiptHandle, untilMs: result.invisibleUntilMs });
    return result;
  }

  async forwardToDeadLetter(groupName: string, topicName: string, receiptHandle: string): Promise<void> {
    validateGroupName(groupName);
    await this.deps.topics.require(topicName);
    const result = await this.deps.store.forwardToDeadLetter(groupName, topicName, receiptHandle);
    this.deps.renewals?.forget(receiptHandle);
    this.inflight.forget(receiptHandle);
    if (result === 'stale') throw staleHandle();
    this.deps.metrics?.deadLettered(topicName, groupName, 1);
  }

  /** Deliveries that never reached their client (its call was cancelled): visible again now. */
  async release(groupName: string, topicName: string, deliveries: Delivery[]): Promise<void> {
    for (const d of deliveries) {
      this.deps.renewals?.forget(d.receiptHandle);
      this.inflight.forget(d.receiptHandle);
      await this.deps.store.changeInvisibleDuration(groupName, topicName, d.receiptHandle, 0);
    }
  }

  /** The client left (NotifyClientTermination): its push deliveries are released for redelivery. */
  async clientTerminated(clientId: string): Promise<void> {
    await this.deps.renewals?.clientGone(clientId);
  }
}

function staleHandle(): BrokerError {
  return new BrokerError(
    Code.INVALID_RECEIPT_HANDLE,
    'receipt handle is stale: the message was acked, or redelivered with a newer handle after its invisible duration expired',
  );
}
