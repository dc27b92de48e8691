// Owns BoundedCache, the in-memory cache the LevelDB backend keeps in front of records it reads
// on the hot path (topic and group records, recent half messages): least recently used first
// out, bounded by a total cost (entries, or bytes) given per entry, and safe against a fill that
// raced a change. One broker process owns its data directory, so the code that writes a record
// updates or drops its cache entry in the same code path; a miss reads the disk as before.
//
// Fills from a disk read use a generation: `generation` is taken before the read, and `fill`
// stores the value only when nothing was set or dropped since (a read that started before a
// concurrent write must not put the old value back after the write updated the cache).

export class BoundedCache<K, V> {
  private readonly entries = new Map<K, { value: V; cost: number }>();
  private total = 0;
  private gen = 0;

  constructor(
    /** Upper bound of the summed cost of the entries. */
    readonly maxCost: number,
  ) {}

  /** The cached value, marked most recently used; undefined on a miss. */
  get(key: K): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.value;
  }

  has(key: K): boolean {
    return this.entries.has(key);
  }

  /** Bumped by every set and delete: take it before a disk read whose result you mean to `fill`. */
  get generation(): number {
    return this.gen;
  }

  /** Stores what the disk read started at `generation` returned, unless the cache changed since. */
  fill(key: K, value: V, cost: number, generation: number): void {
    if (generation !== this.gen) return;
    this.put(key, value, cost);
  }

  /** Stores a value the caller has just written (or is authoritative for). */
  set(key: K, value: V, cost: number): void {
    this.gen++;
    this.put(key, value, cost);
  }

  delete(key: K): void {
    this.gen++;
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.total -= entry.cost;
  }

  clear(): void {
    this.gen++;
    this.entries.clear();
    this.total = 0;
  }

  get size(): number {
    return this.entries.size;
  }

  /** The summed cost of the entries (at most maxCost). */
  get cost(): number {
    return this.total;
  }

  private put(key: K, value: V, cost: number): void {
    const old = this.entries.get(key);
    if (old) {
      this.entries.delete(key);
      this.total -= old.cost;
    }
    if (cost > this.maxCost) return; // larger than the whole cache: never kept
    this.entries.set(key, { value, cost });
    this.total += cost;
    for (const [k, e] of this.entries) {
      if (this.total <= this.maxCost) break;
      this.entries.delete(k);
      this.total -= e.cost;
    }
  }
}
