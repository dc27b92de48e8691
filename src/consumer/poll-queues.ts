// Owns who a wake-up of a waiting receive goes to: the long polls of each (topic, group) wait in
// arrival order, and the `appended` events of a topic at one moment (one microtask turn: the
// appends of one group commit) wake the first poll of each of its groups, not all of them (every woken poll of a group would look at the same log; all but one would
// find nothing). A woken poll that took a full batch hands the wake-up on to the next one, since
// more may be waiting; one that returns without looking does too. Wake-ups stay hints: every
// poll also has its own deadline.
import type { EventBus } from '../runtime/event-bus.js';

/** A long poll in its (topic, group) queue; `wake` resolves its wait. */
export interface PollWaiter {
  readonly topic: string;
  readonly group: string;
  readonly wake: () => void;
}

export class PollQueues {
  /** Per topic, per group: the waiting polls, oldest first. */
  private readonly byTopic = new Map<string, Map<string, Set<PollWaiter>>>();
  /** The `appended` subscription of each topic with waiting polls. */
  private readonly unsubscribe = new Map<string, () => void>();

  constructor(private readonly events: EventBus) {}

  /** Queues a poll (before it looks, so that an append during its look wakes it); `wake` may be called any number of times. */
  add(topic: string, group: string, wake: () => void): PollWaiter {
    const waiter: PollWaiter = { topic, group, wake };
    this.enqueue(waiter);
    return waiter;
  }

  /** Puts a woken poll back at the end of its queue (it waits again). */
  enqueue(waiter: PollWaiter): void {
    let groups = this.byTopic.get(waiter.topic);
    if (!groups) {
      this.byTopic.set(waiter.topic, (groups = new Map<string, Set<PollWaiter>>()));
      this.unsubscribe.set(
        waiter.topic,
        this.events.on('appended', waiter.topic, () => this.appended(waiter.topic)),
      );
    }
    let queue = groups.get(waiter.group);
    if (!queue) groups.set(waiter.group, (queue = new Set<PollWaiter>()));
    queue.add(waiter);
  }

  /** Takes a poll out of its queue (it returns, or looks again on its own). */
  remove(waiter: PollWaiter): void {
    const groups = this.byTopic.get(waiter.topic);
    const queue = groups?.get(waiter.group);
    if (!groups || !queue) return;
    queue.delete(waiter);
    if (queue.size > 0) return;
    groups.delete(waiter.group);
    if (groups.size > 0) return;
    this.byTopic.delete(waiter.topic);
    this.unsubscribe.get(waiter.topic)?.();
    this.unsubscribe.delete(waiter.topic);
  }

  /** Wakes the first waiting poll of a (topic, group), if any (more may be there for it). */
  handOff(topic: string, group: string): void {
    const first = this.byTopic.get(topic)?.get(group)?.values().next();
    if (first && !first.done) this.wakeUp(first.value);
  }

  /** Topics whose appends of this moment are announced together, once (the appends of one group commit end together). */
  private readonly announcing = new Set<string>();

  private appended(topic: string): void {
    if (this.announcing.has(topic)) return;
    this.announcing.add(topic);
    queueMicrotask(() => {
      this.announcing.delete(topic);
      this.wakeFirsts(topic);
    });
  }

  private wakeFirsts(topic: string): void {
    const groups = this.byTopic.get(topic);
    if (!groups) return;
    const firsts: PollWaiter[] = [];
    for (const queue of groups.values()) {
      const first = queue.values().next();
      if (!first.done) firsts.push(first.value);
    }
    for (const w of firsts) this.wakeUp(w);
  }

  /** A woken poll leaves its queue: the next event goes to the next one. */
  private wakeUp(waiter: PollWaiter): void {
    this.remove(waiter);
    waiter.wake();
  }
}
