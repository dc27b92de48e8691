// Owns the broker's one wake-up seam: lossy, in-order-per-process hints that something changed
// (messages appended to a topic, a half message published, a producer able to answer checks).
// Correctness never depends on an event arriving; waiters always have a timeout. A shared store
// (PostgreSQL) feeds events from other processes into the same bus.

/** Each event with the key it is announced under. */
export interface BrokerEventKeys {
  /** Messages became readable in a topic; key: the topic. */
  appended: string;
  /** A half message was stored; key: its topic (the producer group). */
  halfPublished: string;
  /** A producer became able to answer checks (stream attached, settings, new topic); key: its client id. */
  producerAvailable: string;
}

export type BrokerEvent = keyof BrokerEventKeys;

export interface EventBus {
  emit(event: BrokerEvent, key: string): void;
  /** Listens to one key of an event. Returns the unsubscribe function. */
  on(event: BrokerEvent, key: string, listener: () => void): () => void;
  /** Listens to every key of an event. Returns the unsubscribe function. */
  onAny(event: BrokerEvent, listener: (key: string) => void): () => void;
}

/** The bus of one process: plain maps (no key is special, unlike EventEmitter's 'error'). */
export class InProcessEventBus implements EventBus {
  private readonly keyed = new Map<BrokerEvent, Map<string, Set<() => void>>>();
  private readonly any = new Map<BrokerEvent, Set<(key: string) => void>>();

  emit(event: BrokerEvent, key: string): void {
    for (const listener of [...(this.keyed.get(event)?.get(key) ?? [])]) safely(() => listener());
    for (const listener of [...(this.any.get(event) ?? [])]) safely(() => listener(key));
  }

  on(event: BrokerEvent, key: string, listener: () => void): () => void {
    let byKey = this.keyed.get(event);
    if (!byKey) this.keyed.set(event, (byKey = new Map<string, Set<() => void>>()));
    let set = byKey.get(key);
    if (!set) byKey.set(key, (set = new Set()));
    const listeners = set;
    const entry = (): void => listener(); // one entry per subscription, even for the same function
    listeners.add(entry);
    return () => {
      listeners.delete(entry);
      if (listeners.size === 0 && byKey.get(key) === listeners) byKey.delete(key);
    };
  }

  onAny(event: BrokerEvent, listener: (key: string) => void): () => void {
    let set = this.any.get(event);
    if (!set) this.any.set(event, (set = new Set()));
    const listeners = set;
    const entry = (key: string): void => listener(key);
    listeners.add(entry);
    return () => listeners.delete(entry);
  }
}

/** Wake-ups are hints: a failing listener must not fail the work that announced them. */
function safely(fn: () => void): void {
  try {
    fn();
  } catch {
    // ignored on purpose
  }
}
