// Owns the consumer state cache of the LevelDB backend: per (topic, group, queue) the cursor and
// the in-flight deliveries, loaded from the `consumer` sublevel on first use (concurrent first
// uses share one load) and authoritative from then on (every change is written in the same
// batch as it is made). Also the ops and receipt handles of in-flight records, the lookup of the
// delivery a handle names under the consumer lock, moving groups up after a purge, and
// forgetting a deleted topic's consumers.
import { BrokerError, Code } from '../../errors.js';
import { isCurrentDelivery, type InflightRecord } from '../../domain/receive-plan.js';
import { decodeReceiptHandle, encodeReceiptHandle } from '../receipt-handle.js';
import { json, parse, type LevelDb, type Op } from './db.js';
import { cursorKey, inflightKey, join, parseU64, prefixRange, split, u64 } from './keys.js';
import type { Queues } from './queues.js';
import type { Topics } from './topics.js';

export interface ConsumerState {
  topic: string;
  group: string;
  queueId: number;
  cursor: number;
  inflight: Map<number, InflightRecord>;
}

/** What a transition on one delivery returns: its write, its answer, and topics to wake. */
export interface DeliveryOutcome<T> {
  done: Promise<void>;
  value: T;
  topics?: string[];
}

export class ConsumerStates {
  private readonly states = new Map<string, ConsumerState>();
  /** Consumer states being loaded, so concurrent first uses share one load (and one object). */
  private readonly loads = new Map<string, Promise<ConsumerState>>();

  constructor(
    private readonly d: LevelDb,
    private readonly queues: Queues,
    private readonly topics: Topics,
  ) {}

  /** The lock of a consumer queue: every change of its state happens under it. */
  lock(topic: string, group: string, queueId: number): string {
    return `consumer\x00${join(topic, group, u64(queueId))}`;
  }

  isLoaded(topic: string, group: string, queueId: number): boolean {
    return this.states.has(join(topic, group, u64(queueId)));
  }

  /** Loaded states (authoritative for their queues). */
  loaded(): IterableIterator<ConsumerState> {
    return this.states.values();
  }

  get(topic: string, group: string, queueId: number): Promise<ConsumerState> {
    const key = join(topic, group, u64(queueId));
    const cached = this.states.get(key);
    if (cached) return Promise.resolve(cached);
    let loading = this.loads.get(key);
    if (!loading) {
      loading = this.load(topic, group, queueId)
        .then((state) => {
          this.states.set(key, state);
          return state;
        })
        .finally(() => this.loads.delete(key));
      this.loads.set(key, loading);
    }
    return loading;
  }

  private async load(topic: string, group: string, queueId: number): Promise<ConsumerState> {
    const stored = await this.d.consumer.get(cursorKey(topic, group, queueId));
    let cursor: number;
    if (stored) cursor = Number(stored.toString('utf8'));
    else if ((await this.topics.getGroup(group))?.startFrom === 'latest') {
      // Only messages sent from now on: the next offset (appends already queued keep theirs),
      // kept at once so that a restart before the first delivery does not move it past them.
      cursor = await this.queues.head(topic, queueId);
      await this.d.write([this.cursorOp(topic, group, queueId, cursor)]);
    } else {
      // A new group starts at the beginning of the retained log (see Queues.retainedStart).
      cursor = await this.queues.retainedStart(topic, queueId);
    }
    const inflight = new Map<number, InflightRecord>();
    for await (const value of this.d.consumer.values(prefixRange('i', topic, group, u64(queueId)))) {
      const entry = parse<InflightRecord>(value);
      inflight.set(entry.offset, entry);
    }
    return { topic, group, queueId, cursor, inflight };
  }

  cursorOp(topic: string, group: string, queueId: number, cursor: number): Op {
    return { type: 'put', sublevel: this.d.consumer, key: cursorKey(topic, group, queueId), value: Buffer.from(String(cursor)) };
  }

  inflightOp(state: ConsumerState, entry: InflightRecord): Op {
    return { type: 'put', sublevel: this.d.consumer, key: inflightKey(state.topic, state.group, state.queueId, entry.offset), value: json(entry) };
  }

  inflightDel(state: ConsumerState, offset: number): Op {
    return { type: 'del', sublevel: this.d.consumer, key: inflightKey(state.topic, state.group, state.queueId, offset) };
  }

  handleOf(state: ConsumerState, entry: InflightRecord): string {
    return encodeReceiptHandle({ topic: state.topic, queueId: state.queueId, offset: entry.offset, token: entry.token });
  }

  /** In-flight records on disk of queues not loaded, as (topic, group, queue, record). */
  async *unloadedInflight(): AsyncGenerator<[string, string, number, InflightRecord]> {
    for await (const [key, value] of this.d.consumer.iterator(prefixRange('i'))) {
      const [, topic, group, queue] = split(key);
      const queueId = parseU64(queue!);
      if (this.isLoaded(topic!, group!, queueId)) continue;
      yield [topic!, group!, queueId, parse<InflightRecord>(value)];
    }
  }

  /** Topics a group has consumer state in (stored or loaded). */
  async topicsOf(group: string): Promise<Set<string>> {
    const topics = new Set<string>();
    for await (const key of this.d.consumer.keys(prefixRange('c'))) {
      const [, topic, g] = split(key);
      if (g === group && topic) topics.add(topic);
    }
    for (const state of this.states.values()) if (state.group === group) topics.add(state.topic);
    return topics;
  }

  /**
   * Runs fn on the current in-flight record a receipt handle names, under the consumer lock;
   * 'stale' when the handle is not the current delivery. Waits for fn's write, then wakes topics.
   */
  async withDelivery<T>(
    group: string,
    topic: string,
    receiptHandle: string,
    fn: (state: ConsumerState, entry: InflightRecord) => Promise<DeliveryOutcome<T>>,
  ): Promise<T | 'stale'> {
    const parts = decodeReceiptHandle(receiptHandle);
    if (parts.topic !== topic) {
      throw new BrokerError(Code.INVALID_RECEIPT_HANDLE, `receipt handle belongs to topic ${parts.topic}, not ${topic}`);
    }
    const outcome = await this.d.mutex.run(this.lock(topic, group, parts.queueId), async () => {
      const state = await this.get(topic, group, parts.queueId);
      const entry = state.inflight.get(parts.offset);
      if (!isCurrentDelivery(entry, parts.token)) return 'stale' as const;
      return fn(state, entry);
    });
    if (outcome === 'stale') return 'stale';
    await outcome.done;
    if (outcome.topics) this.queues.notify(outcome.topics);
    return outcome.value;
  }

  /** After a purge: groups behind the new first offset move up to it and forget deleted deliveries. */
  async advance(topic: string, queueId: number, minOffset: number): Promise<void> {
    const groups = new Set<string>();
    for await (const key of this.d.consumer.keys(prefixRange('c', topic))) {
      const [, , group, queue] = split(key);
      if (group && parseU64(queue!) === queueId) groups.add(group);
    }
    for (const state of this.states.values()) if (state.topic === topic && state.queueId === queueId) groups.add(state.group);
    for (const group of groups) {
      await this.d.mutex.run(this.lock(topic, group, queueId), async () => {
        const state = await this.get(topic, group, queueId);
        const ops: Op[] = [];
        if (state.cursor < minOffset) {
          state.cursor = minOffset;
          ops.push(this.cursorOp(topic, group, queueId, minOffset));
        }
        for (const offset of [...state.inflight.keys()]) {
          if (offset >= minOffset) continue;
          state.inflight.delete(offset);
          ops.push(this.inflightDel(state, offset));
        }
        if (ops.length > 0) await this.d.write(ops);
      });
    }
  }

  /** Deletes a deleted topic's cursors and deliveries (through the writer) and forgets their states. */
  async deleteTopic(name: string): Promise<void> {
    await this.d.deleteRange(this.d.consumer, prefixRange('c', name));
    await this.d.deleteRange(this.d.consumer, prefixRange('i', name));
    for (const [key, state] of [...this.states]) if (state.topic === name) this.states.delete(key);
  }
}
