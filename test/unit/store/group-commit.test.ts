// GroupCommitWriter: writes queued while a batch is in flight share the next batch, in
// arrival order; a failed batch rejects only its own writers; flushed() waits for the queue.
import { describe, expect, it } from 'vitest';
import { GroupCommitWriter } from '../../../src/store/level/group-commit.js';

function deferred(): { promise: Promise<void>; resolve: () => void; reject: (e: unknown) => void } {
  let resolve!: () => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

function controlledWriter(maxOpsPerBatch?: number) {
  const calls: { ops: string[]; done: ReturnType<typeof deferred> }[] = [];
  const writer = new GroupCommitWriter<string>({
    writeBatch: (ops) => {
      const done = deferred();
      calls.push({ ops: [...ops], done });
      return done.promise;
    },
    ...(maxOpsPerBatch !== undefined ? { maxOpsPerBatch } : {}),
  });
  return { writer, calls };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('GroupCommitWriter', () => {
  it('batches writes that queue up while a batch is in flight, in arrival order', async () => {
    const { writer, calls } = controlledWriter();
    const settled: string[] = [];
    const w1 = writer.write(['a']).then(() => settled.push('w1'));
    const w2 = writer.write(['b', 'c']).then(() => settled.push('w2'));
    const w3 = writer.write(['d']).then(() => settled.push('w3'));
    expect(calls.map((c) => c.ops)).toEqual([['a']]);
    calls[0]!.done.resolve();
    await w1;
    await tick();
    expect(calls.map((c) => c.ops)).toEqual([['a'], ['b', 'c', 'd']]);
    expect(settled).toEqual(['w1']);
    calls[1]!.done.resolve();
    await Promise.all([w2, w3]);
    expect(settled).toEqual(['w1', 'w2', 'w3']);
    expect(writer.batches).toBe(2);
    expect(writer.transitions).toBe(3);
  });

  it('splits batches at maxOpsPerBatch without splitting a transition', async () => {
    const { writer, calls } = controlledWriter(3);
    const all = [writer.write(['x']), writer.write(['a', 'b']), writer.write(['c', 'd']), writer.write(['e']), writer.write(['f', 'g', 'h', 'i'])];
    let finished = false;
    const everything = Promise.all(all).then(() => (finished = true));
    for (let i = 0; i < 20 && !finished; i++) {
      for (const c of calls) c.done.resolve();
      await tick();
    }
    await everything;
    expect(calls.map((c) => c.ops)).toEqual([['x'], ['a', 'b'], ['c', 'd', 'e'], ['f', 'g', 'h', 'i']]);
  });

  it('a failed batch rejects its own writers and the next batch still runs', async () => {
    const { writer, calls } = controlledWriter();
    const w1 = writer.write(['a']);
    const w2 = writer.write(['b']);
    const w3 = writer.write(['c']);
    calls[0]!.done.resolve();
    await w1;
    await tick();
    calls[1]!.done.reject(new Error('disk full'));
    await expect(w2).rejects.toThrow('disk full');
    await expect(w3).rejects.toThrow('disk full');
    const w4 = writer.write(['d']);
    expect(calls.at(-1)!.ops).toEqual(['d']);
    calls.at(-1)!.done.resolve();
    await w4;
  });

  it('flushed() resolves once everything queued so far is written', async () => {
    const { writer, calls } = controlledWriter();
    await writer.flushed();
    void writer.write(['a']);
    void writer.write(['b']);
    let flushed = false;
    const f = writer.flushed().then(() => (flushed = true));
    await tick();
    expect(flushed).toBe(false);
    calls[0]!.done.resolve();
    await tick();
    expect(flushed).toBe(false);
    calls[1]!.done.resolve();
    await f;
    expect(flushed).toBe(true);
  });

  it('adds the perBatch operations once to every physical batch, after the transitions', async () => {
    const calls: string[][] = [];
    let n = 0;
    const writer = new GroupCommitWriter<string>({
      writeBatch: (ops) => {
        calls.push([...ops]);
        return Promise.resolve();
      },
      perBatch: () => [`counters${++n}`],
    });
    const first = writer.write(['a']);
    const rest = [writer.write(['b']), writer.write([])];
    await Promise.all([first, ...rest]);
    expect(calls).toEqual([
      ['a', 'counters1'],
      ['b', 'counters2'],
    ]);
  });

  it('with gather, an idle writer starts its batch when gather says, with every write queued until then', async () => {
    const calls: string[][] = [];
    let start: (() => void) | undefined;
    const writer = new GroupCommitWriter<string>({
      writeBatch: async (ops) => void calls.push([...ops]),
      gather: (s) => (start = s),
    });
    const w1 = writer.write(['a']);
    const w2 = writer.write(['b']);
    expect(calls).toEqual([]);
    let flushed = false;
    const f = writer.flushed().then(() => (flushed = true));
    await tick();
    expect(flushed).toBe(false); // queued writes count as under way
    start!();
    await Promise.all([w1, w2, f]);
    expect(calls).toEqual([['a', 'b']]);
    expect(writer.batches).toBe(1);
    // Idle again: the next write waits for gather once more.
    const w3 = writer.write(['c']);
    await tick();
    expect(calls).toHaveLength(1);
    start!();
    await w3;
    expect(calls).toEqual([['a', 'b'], ['c']]);
  });
});
