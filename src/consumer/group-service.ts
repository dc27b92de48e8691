// Owns consumer-group administration: creating groups (FIFO flag, max delivery attempts),
// updating them, their progress per topic (consumed offset, lag, in flight) and dead-letter
// count, and resetting a group's offset in a topic to re-consume or skip messages.
import { GROUP_STARTS } from '../config.js';
import { BrokerError, Code } from '../errors.js';
import { deadLetterTopic, validateGroupName } from '../domain/names.js';
import type { BrokerStore } from '../store/broker-store.js';
import { startOf, type GroupChange, type GroupRecord, type GroupStart, type GroupTopicStats, type OffsetResetResult, type OffsetResetTarget } from '../domain/groups.js';
import type { ConsumerService } from './consumer-service.js';

export const MAX_DELIVERY_ATTEMPTS_LIMIT = 1000;

/** A group with its totals over all topics it consumes. */
export interface GroupSummary {
  group: GroupRecord;
  lag: number;
  inFlight: number;
  /** Messages retained in the group's dead-letter topic `%DLQ%<group>`. */
  deadLetters: number;
}

export interface GroupDescription extends GroupSummary {
  progress: GroupTopicStats[];
  deadLetterTopic: string;
}

/** Parses --start-from / start_from. */
export function parseGroupStart(value: string): GroupStart {
  const start = GROUP_STARTS.find((s) => s === value.trim().toLowerCase());
  if (start) return start;
  throw new BrokerError(Code.BAD_REQUEST, `start position "${value}" is not understood: use earliest (the first retained message) or latest (only new messages)`);
}

function checkAttempts(attempts: number): void {
  if (!Number.isInteger(attempts) || attempts < 1 || attempts > MAX_DELIVERY_ATTEMPTS_LIMIT) {
    throw new BrokerError(Code.BAD_REQUEST, `max delivery attempts ${attempts} is out of range: use 1 to ${MAX_DELIVERY_ATTEMPTS_LIMIT}`);
  }
}

/**
 * Parses where `reset-offset` goes: `earliest`, `latest`, epoch milliseconds (digits), or an ISO
 * 8601 date-time such as 2024-05-01T12:00:00Z.
 */
export function parseResetTarget(to: string): OffsetResetTarget {
  const v = to.trim();
  if (/^earliest$/i.test(v)) return { kind: 'earliest' };
  if (/^latest$/i.test(v)) return { kind: 'latest' };
  if (/^\d+$/.test(v)) {
    const ms = Number(v);
    if (Number.isSafeInteger(ms)) return { kind: 'timestamp', timestampMs: ms };
  } else if (/^\d{4}-\d{2}-\d{2}/.test(v)) {
    const ms = Date.parse(v);
    if (Number.isFinite(ms)) return { kind: 'timestamp', timestampMs: ms };
  }
  throw new BrokerError(Code.BAD_REQUEST, `reset target "${to}" is not understood: use earliest, latest, epoch milliseconds or an ISO 8601 time such as 2024-05-01T12:00:00Z`);
}

export class GroupService {
  constructor(private readonly deps: { store: BrokerStore; consumer: ConsumerService }) {}

  /**
   * Creates a group. A group auto-created by a consumer's first use takes the settings asked for
   * (created: true). Another existing group is returned unchanged (created: false) when it matches
   * what was asked; asking for different settings is refused (use update).
   */
  async create(
    name: string,
    settings: { fifo?: boolean; maxDeliveryAttempts?: number; startFrom?: GroupStart },
    defaults: { maxDeliveryAttempts: number; startFrom: GroupStart },
  ): Promise<{ group: GroupRecord; created: boolean }> {
    validateGroupName(name);
    const attempts = settings.maxDeliveryAttempts ?? defaults.maxDeliveryAttempts;
    checkAttempts(attempts);
    const startFrom = settings.startFrom ?? defaults.startFrom;
    const result = await this.deps.store.createGroup({ name, fifo: settings.fifo ?? false, maxDeliveryAttempts: attempts, startFrom });
    if (!result.created && result.group.autoCreated) {
      const group = await this.deps.store.updateGroup(name, { fifo: settings.fifo ?? false, maxDeliveryAttempts: attempts, startFrom });
      if (group) return { group, created: true };
    }
    if (!result.created) {
      const g = result.group;
      const differs =
        (settings.fifo !== undefined && settings.fifo !== g.fifo) ||
        (settings.maxDeliveryAttempts !== undefined && settings.maxDeliveryAttempts !== g.maxDeliveryAttempts) ||
        (settings.startFrom !== undefined && settings.startFrom !== startOf(g));
      if (differs) {
        throw new BrokerError(
          Code.BAD_REQUEST,
          `consumer group ${name} already exists with fifo=${g.fifo} maxDeliveryAttempts=${g.maxDeliveryAttempts} startFrom=${startOf(g)}; change it with "halfmoon group update", or move it with "halfmoon group reset-offset"`,
        );
      }
    }
    return result;
  }

  /** Changes a group in one store transition (a group not used yet is created with the defaults first). */
  async update(name: string, change: GroupChange): Promise<GroupRecord> {
    if (change.maxDeliveryAttempts !== undefined) checkAttempts(change.maxDeliveryAttempts);
    await this.deps.consumer.group(name);
    const updated = await this.deps.store.updateGroup(name, change);
    if (!updated) throw new BrokerError(Code.CONSUMER_GROUP_NOT_FOUND, `consumer group ${name} was deleted meanwhile`);
    return updated;
  }

  async describe(name: string): Promise<GroupDescription> {
    const group = await this.require(name);
    const progress = await this.deps.store.groupStats(name);
    return { ...(await this.summarize(group, progress)), progress, deadLetterTopic: deadLetterTopic(name) };
  }

  list(): Promise<GroupRecord[]> {
    return this.deps.store.listGroups();
  }

  /** Every group with its lag, in-flight and dead-letter totals. */
  async listWithStats(): Promise<GroupSummary[]> {
    const out: GroupSummary[] = [];
    for (const group of await this.deps.store.listGroups()) out.push(await this.summarize(group, await this.deps.store.groupStats(group.name)));
    return out;
  }

  /**
   * Moves the group's position in a topic (see OffsetResetTarget); rules:
   * - the group and the topic must exist (the group need not have consumed the topic yet);
   * - earliest = first retained message, latest = only messages sent from now on, a time = the
   *   first message stored at or after it (messages are in store-time order);
   * - the group's in-flight and FIFO-waiting deliveries in that topic are dropped (their receipt
   *   handles go stale): everything from the new position is delivered afresh, attempt 1;
   * - consumers may stay connected; their long polls pick up the new position at once.
   */
  async resetOffset(name: string, topicName: string, to: string): Promise<OffsetResetResult[]> {
    await this.require(name);
    const target = parseResetTarget(to);
    const topic = await this.deps.store.getTopic(topicName);
    if (!topic) throw new BrokerError(Code.TOPIC_NOT_FOUND, `topic ${topicName} does not exist`);
    return this.deps.store.resetOffset(name, topicName, target);
  }

  private async require(name: string): Promise<GroupRecord> {
    validateGroupName(name);
    const group = await this.deps.store.getGroup(name);
    if (!group) {
      throw new BrokerError(
        Code.CONSUMER_GROUP_NOT_FOUND,
        `consumer group ${name} does not exist (groups are created when a consumer first uses them, or with "halfmoon group create")`,
      );
    }
    return group;
  }

  private async summarize(group: GroupRecord, progress: GroupTopicStats[]): Promise<GroupSummary> {
    let deadLetters = 0;
    for (const q of await this.deps.store.queueStats(deadLetterTopic(group.name))) deadLetters += q.maxOffset - q.minOffset;
    return {
      group,
      lag: progress.reduce((n, p) => n + p.lag, 0),
      inFlight: progress.reduce((n, p) => n + p.inFlight, 0),
      deadLetters,
    };
  }
}
