// Owns the semaphore that bounds concurrent message listener calls (the consumption thread count).

export class Semaphore {
  readonly #limit: number;
  #active = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(limit: number) {
    this.#limit = limit;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#active >= this.#limit) {
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    } else {
      this.#active += 1;
    }
    try {
      return await task();
    } finally {
      const next = this.#waiting.shift();
      // A waiting task gets this slot straight away; otherwise the slot is freed.
      if (next) next();
      else this.#active -= 1;
    }
  }
}
