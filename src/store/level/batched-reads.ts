// Owns coalesced point reads of one sublevel: the gets asked for within one turn of the microtask
// queue go to LevelDB as one getMany. A claim sweep reads the metadata and the body of hundreds of
// transactions at once, each under its own lock; one native call per key cost more of the event
// loop than the rest of the claim (classic-level's get does its key and promise work per call).
// Each caller still gets its own value, or its own error when the batch read fails.
import type { Sub } from './db.js';

/** Point reads of one sublevel: the sublevel itself, or a BatchedReads over it. */
export interface PointReads {
  get(key: string): Promise<Buffer | undefined>;
}

interface Waiter {
  key: string;
  resolve: (value: Buffer | undefined) => void;
  reject: (err: unknown) => void;
}

export class BatchedReads implements PointReads {
  private waiting: Waiter[] = [];

  constructor(private readonly sublevel: Sub) {}

  get(key: string): Promise<Buffer | undefined> {
    return new Promise((resolve, reject) => {
      if (this.waiting.length === 0) queueMicrotask(() => this.flush());
      this.waiting.push({ key, resolve, reject });
    });
  }

  private flush(): void {
    const batch = this.waiting;
    this.waiting = [];
    this.sublevel.getMany(batch.map((w) => w.key)).then(
      (values) => {
        for (let i = 0; i < batch.length; i++) batch[i]!.resolve(values[i]);
      },
      (err: unknown) => {
        for (const w of batch) w.reject(err);
      },
    );
  }
}
