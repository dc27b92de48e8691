// Owns the consumer group records, a group's progress per topic, and where an offset reset
// moves a group.

export interface GroupRecord {
  name: string;
  /** FIFO group: one message of each message group in flight at a time. */
  fifo: boolean;
  /** Deliveries before a message is moved to `%DLQ%<group>` (RocketMQ: retryMaxTimes 16 + 1). */
  maxDeliveryAttempts: number;
  /** Where the group starts in a topic it has not consumed yet (absent: earliest). */
  startFrom?: GroupStart;
  /** Created with the broker defaults by a consumer's first use; an explicit create or update then sets its settings. */
  autoCreated?: true;
  createdAtMs: number;
}

/** The settings of a group, as created. */
export type GroupSettings = Omit<GroupRecord, 'createdAtMs'>;

/** What `updateGroup` may change; absent fields stay as they are. */
export type GroupChange = Partial<Pick<GroupRecord, 'fifo' | 'maxDeliveryAttempts' | 'startFrom'>>;

/** earliest = the first retained message; latest = only messages sent from then on. */
export type GroupStart = 'earliest' | 'latest';

/** Where a group starts in a topic it has not consumed yet (records from before this field: earliest). */
export function startOf(group: GroupRecord): GroupStart {
  return group.startFrom ?? 'earliest';
}

/**
 * The record a change makes of a group (pure: every backend applies it inside its own write).
 * A changed group is no longer auto-created: its settings were chosen.
 */
export function applyGroupChange(group: GroupRecord, change: GroupChange): GroupRecord {
  const { autoCreated: _auto, ...rest } = group;
  const record: GroupRecord = {
    ...rest,
    fifo: change.fifo ?? group.fifo,
    maxDeliveryAttempts: change.maxDeliveryAttempts ?? group.maxDeliveryAttempts,
  };
  const startFrom = change.startFrom ?? group.startFrom;
  if (startFrom) record.startFrom = startFrom;
  return record;
}

export interface GroupTopicStats {
  group: string;
  topic: string;
  /** Next offset this group will look at. */
  consumedOffset: number;
  /**
   * Retained messages not yet delivered to the group: not yet looked at, plus FIFO messages
   * waiting behind their message group's head. (Messages skipped by a tag filter count as looked at.)
   */
  lag: number;
  /** Delivered and neither acked nor dead-lettered yet. */
  inFlight: number;
}

/**
 * Where `resetOffset` moves a group's position in a topic:
 * earliest = the first retained message, latest = after the last one (only new messages),
 * timestamp = the first message stored at or after that time (the end if there is none).
 */
export type OffsetResetTarget = { kind: 'earliest' } | { kind: 'latest' } | { kind: 'timestamp'; timestampMs: number };

export interface OffsetResetResult {
  topic: string;
  queueId: number;
  previousOffset: number;
  newOffset: number;
  /** In-flight (and FIFO-waiting) deliveries dropped by the reset; their handles went stale. */
  droppedInFlight: number;
}

/**
 * A group's progress in a queue from its cursor and in-flight records: behind the first retained
 * offset (retention is moving it up) it reads from there; FIFO messages waiting behind their
 * group's head (attempt 0) count as lag, handed-out ones as in flight.
 */
export function groupProgress(
  group: string,
  topic: string,
  queue: { cursor: number; firstOffset: number; headOffset: number },
  inflight: Iterable<{ attempt: number }>,
): GroupTopicStats {
  let inFlight = 0;
  let waiting = 0;
  for (const e of inflight) {
    if (e.attempt > 0) inFlight++;
    else waiting++;
  }
  const consumedOffset = Math.max(queue.cursor, queue.firstOffset);
  return { group, topic, consumedOffset, lag: Math.max(0, queue.headOffset - consumedOffset) + waiting, inFlight };
}
