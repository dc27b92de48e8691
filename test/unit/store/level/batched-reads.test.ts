// BatchedReads: gets asked for in one turn of the microtask queue go out as one getMany, each
// caller gets its own value (undefined when absent), later gets form a batch of their own, and a
// failed batch rejects exactly its callers.
import { describe, expect, it } from 'vitest';
import { BatchedReads } from '../../../../src/store/level/batched-reads.js';
import type { Sub } from '../../../../src/store/level/db.js';

function fakeSublevel(values: Record<string, string>, fail?: Set<number>) {
  const calls: string[][] = [];
  const sub = {
    getMany: (keys: string[]) => {
      calls.push(keys);
      if (fail?.has(calls.length)) return Promise.reject(new Error('disk unreadable'));
      return Promise.resolve(keys.map((k) => (k in values ? Buffer.from(values[k]!) : undefined)));
    },
  };
  return { sub: sub as unknown as Sub, calls };
}

describe('BatchedReads', () => {
  it('coalesces the gets of one turn into one getMany and gives each caller its value', async () => {
    const { sub, calls } = fakeSublevel({ a: 'A', b: 'B' });
    const reads = new BatchedReads(sub);
    const got = await Promise.all(['a', 'b', 'missing'].map((k) => reads.get(k)));
    expect(got.map((v) => v?.toString())).toEqual(['A', 'B', undefined]);
    expect(calls).toEqual([['a', 'b', 'missing']]);
  });

  it('batches gets made after an await apart, and after a failed batch reads again', async () => {
    const { sub, calls } = fakeSublevel({ a: 'A', b: 'B' }, new Set([1]));
    const reads = new BatchedReads(sub);
    const first = Promise.allSettled([reads.get('a'), reads.get('b')]);
    expect((await first).map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect((await reads.get('b'))?.toString()).toBe('B');
    expect(calls).toEqual([['a', 'b'], ['b']]);
  });
});
