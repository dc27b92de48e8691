// Owns the consumer state cache of the LevelDB backend: per (topic, group, queue) the cursor and
// the in-flight deliveries, loaded from the `consumer` sublevel on first use (concurrent first
// uses share one load) and authoritative from then on (every change is written in the same
// batch as it is made). Also the ops and receipt handles of in-flight records (inflight-codec.ts),
// the lookup of the deliveries handles name under the consumer lock (one lock and one write for
// the handles of one queue), moving groups up after a purge, and forgetting a deleted topic's
// consumers.
import { BrokerError, Code } from '../../errors.js';
import { isCurrentDelivery } from '../../domain/receive-plan.js';
import { decodeReceiptHandle, encodeReceiptHandle, type ReceiptHandleParts } from '../receipt-handle.js';
import type { LevelDb, Op } from './db.js';
import { decodeInflight, encodeInflight, type StoredInflight } from './inflight-codec.js';
import { cursorKey, join, parseU64, prefixRange, split, u64 } from './keys.js';
import type { Queues } from './queues.js';
import type { Topics } from './topics.js';

export interface ConsumerState {
  topic: string;
  group: string;
  queueId: number;
  cursor: number;
  inflight: Map<number, StoredInflight>;
  /** The key prefix of the queue's in-flight records (inflightKey without the offset). */
  inflightPrefix: string;
}

/** What a transition on one delivery returns: its write, its answer, and topics to wake. */
export interface DeliveryOutcome<T> {
  done: Promise<void>;
  value: T;
  topics?: string[];
}

/** The parts of a receipt handle of `topic`; INVALID_RECEIPT_HANDLE when it is malformed or another topic's. */
function handleOf(topic: string, receiptHandle: string): ReceiptHandleParts {
  const parts = decodeReceiptHandle(receiptHandle);
  if (parts.topic !== topic) throw new BrokerError(Code.INVALID_RECEIPT_HANDLE, `receipt handle belongs to topic ${parts.topic}, not ${topic}`);
  return parts;
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
    const inflight = new Map<number, StoredInflight>();
    for await (const [key, value] of this.d.consumer.iterator(prefixRange('i', topic, group, u64(queueId)))) {
      const entry = decodeInflight(value, offsetOfKey(key));
      inflight.set(entry.offset, entry);
    }
    return { topic, group, queueId, cursor, inflight, inflightPrefix: prefixRange('i', topic, group, u64(queueId)).gte };
  }

  cursorOp(topic: string, group: string, queueId: number, cursor: number): Op {
    return { type: 'put', sublevel: this.d.consumer, key: cursorKey(topic, group, queueId), value: Buffer.from(String(cursor)) };
  }

  inflightOp(state: ConsumerState, entry: StoredInflight): Op {
    return { type: 'put', sublevel: this.d.consumer, key: state.inflightPrefix + u64(entry.offset), value: encodeInflight(entry) };
  }

  inflightDel(state: ConsumerState, offset: number): Op {
    return { type: 'del', sublevel: this.d.consumer, key: state.inflightPrefix + u64(offset) };
  }

  handleOf(state: ConsumerState, entry: StoredInflight): string {
    return encodeReceiptHandle({ topic: state.topic, queueId: state.queueId, offset: entry.offset, token: entry.token });
  }

  /** In-flight records on disk of queues not loaded, as (topic, group, queue, record). */
  async *unloadedInflight(): AsyncGenerator<[string, string, number, StoredInflight]> {
    for await (const [key, value] of this.d.consumer.iterator(prefixRange('i'))) {
      const [, topic, group, queue, offset] = split(key);
      const queueId = parseU64(queue!);
      if (this.isLoaded(topic!, group!, queueId)) continue;
      yield [topic!, group!, queueId, decodeInflight(value, parseU64(offset!))];
    }
  }

  /** Groups with consumer state in a topic (stored or loaded). */
  async groupsOf(topic: string): Promise<Set<string>> {
    const groups = new Set<string>();
    for await (const key of this.d.consumer.keys(prefixRange('c', topic))) {
      const group = split(key)[2];
      if (group) groups.add(group);
    }
    for (const state of this.states.values()) if (state.topic === topic) groups.add(state.group);
    return groups;
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
    fn: (state: ConsumerState, entry: StoredInflight) => Promise<DeliveryOutcome<T>>,
  ): Promise<T | 'stale'> {
    const parts = handleOf(topic, receiptHandle);
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

  /**
   * Runs fn once per queue (the queues concurrently) on the current in-flight records the handles
   * name, under that consumer lock, in the order given (a handle named twice is stale the second time if fn
   * removes its record); waits for fn's write, then wakes topics. Per handle: the record was
   * handed to fn ('ok'), 'stale', or the INVALID_RECEIPT_HANDLE error of a malformed handle.
   */
  async withDeliveries(
    group: string,
    topic: string,
    receiptHandles: readonly string[],
    fn: (state: ConsumerState, entries: StoredInflight[]) => Promise<Omit<DeliveryOutcome<unknown>, 'value'>>,
  ): Promise<('ok' | 'stale' | BrokerError)[]> {
    const results = receiptHandles.map((): 'ok' | 'stale' | BrokerError => 'stale');
    const byQueue = new Map<number, { index: number; parts: ReceiptHandleParts }[]>();
    receiptHandles.forEach((handle, index) => {
      try {
        const parts = handleOf(topic, handle);
        let list = byQueue.get(parts.queueId);
        if (!list) byQueue.set(parts.queueId, (list = []));
        list.push({ index, parts });
      } catch (err) {
        if (!(err instanceof BrokerError)) throw err;
        results[index] = err;
      }
    });
    // The queues one after the other would each wait for a write of their own; concurrently their
    // batches share one group commit (each queue has its own lock).
    const perQueue = [...byQueue].map(async ([queueId, handles]) => {
      const outcome = await this.d.mutex.run(this.lock(topic, group, queueId), async () => {
        const state = await this.get(topic, group, queueId);
        const entries: StoredInflight[] = [];
        const taken = new Set<number>();
        for (const { index, parts } of handles) {
          const entry = state.inflight.get(parts.offset);
          if (taken.has(parts.offset) || !isCurrentDelivery(entry, parts.token)) continue;
          taken.add(parts.offset);
          entries.push(entry);
          results[index] = 'ok';
        }
        return entries.length > 0 ? fn(state, entries) : undefined;
      });
      if (!outcome) return;
      await outcome.done;
      if (outcome.topics) this.queues.notify(outcome.topics);
    });
    await Promise.all(perQueue);
    return results;
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

/** The offset of an in-flight record's key (its last part). */
function offsetOfKey(key: string): number {
  return parseU64(key.slice(key.lastIndexOf('\x00') + 1));
}
