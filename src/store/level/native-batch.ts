// Owns the store's one use of classic-level's native binding (classic-level is pinned in
// package.json): a chained write batch, filled by direct put/del calls and reused for every
// physical batch of the group-commit writer. classic-level's array batch (what abstract-level's
// batch() ends in) reads `type`, `key` and `value` of each operation object through N-API
// property lookups, about twice the main-thread cost per operation of these calls (measured:
// ~4-5 µs against ~2 µs per op in batches of 100), and allocates a new native batch every
// time; this one keeps its buffer (LevelDB's WriteBatch::Clear keeps the capacity).
import { createRequire } from 'node:module';

/** The functions of classic-level's binding used here (binding.cc: batch_init, batch_put, …). */
interface Binding {
  batch_init(context: unknown): unknown;
  batch_put(batch: unknown, key: string, value: Buffer): void;
  batch_del(batch: unknown, key: string): void;
  batch_clear(batch: unknown): void;
  batch_write(batch: unknown, options: { sync: boolean }): Promise<void>;
}

const binding = createRequire(import.meta.url)('classic-level/binding.js') as Binding;

/** classic-level keeps its native database handle under a private symbol named `context`. */
function contextOf(db: object): unknown {
  const symbol = Object.getOwnPropertySymbols(db).find((s) => s.description === 'context');
  if (!symbol) throw new Error('classic-level has no native context on its database object: the pinned version changed');
  return (db as Record<symbol, unknown>)[symbol];
}

/** What a batch is filled with: puts and deletes of keys already prefixed by their sublevel. */
export interface BatchSink {
  put(key: string, value: Buffer): void;
  del(key: string): void;
}

export class NativeBatch {
  private batch: unknown;
  private readonly sink: BatchSink;

  /** `db`: the classic-level database (open whenever write() is called: the binding checks nothing). */
  constructor(private readonly db: object) {
    this.sink = {
      put: (key, value) => binding.batch_put(this.batch, key, value),
      del: (key) => binding.batch_del(this.batch, key),
    };
  }

  /** Fills the batch through `fill`, writes it (synced when `sync`), and empties it again whatever happened. One at a time. */
  async write(sync: boolean, fill: (sink: BatchSink) => void): Promise<void> {
    this.batch ??= binding.batch_init(contextOf(this.db));
    try {
      fill(this.sink);
      await binding.batch_write(this.batch, { sync });
    } finally {
      binding.batch_clear(this.batch);
    }
  }
}
