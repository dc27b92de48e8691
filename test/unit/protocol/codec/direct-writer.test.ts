// DirectWriter against protobufjs's Writer: the same sequence of calls writes the same bytes —
// varints of every size, negative int32s and int64s (numbers, decimal strings, Longs), strings
// short and long, ASCII and not (lone surrogates included, which protobufjs writes its own way),
// bytes from buffers, arrays and base64, nested messages whose lengths need 1 to 3 bytes, and
// replies larger than the scratch buffer; a writer abandoned half-way does not disturb the next.
import { describe, expect, it } from 'vitest';
import { DirectWriter, type WireWriter } from '../../../../src/protocol/codec/direct-writer.js';
import { LongClass, Writer } from '../../../../src/protocol/codec/schema.js';
import { rng, type Rng } from '../../../../scripts/fuzz/random.js';

type Step = (w: WireWriter) => void;

const STRINGS = ['', 'a', 'topic-a', 'héllo wörld', '\ud800', 'x\udc00y', '😀', 'é'.repeat(39), 'a'.repeat(40), 'ü'.repeat(300), `${'a'.repeat(50)}\ud800`];
const INTS = [0, 1, 127, 128, 16383, 16384, 2 ** 31 - 1, -1, -128, -(2 ** 31), 2 ** 32 + 5, 2 ** 53 - 1, -(2 ** 53 - 1), 1.9, -2.5];

function randomSteps(r: Rng, depth: number): Step[] {
  const steps: Step[] = [];
  const n = 1 + r.int(12);
  for (let i = 0; i < n; i++) {
    const k = r.int(depth > 0 ? 7 : 6);
    const int = INTS[r.int(INTS.length)]!;
    const s = STRINGS[r.int(STRINGS.length)]!;
    if (k === 0) steps.push((w) => w.uint32(int));
    else if (k === 1) steps.push((w) => w.int32(int));
    else if (k === 2) {
      const v = [Math.trunc(int), String(Math.trunc(int)), LongClass.fromValue('-9223372036854775808', false), LongClass.fromValue('18446744073709551615', false)][r.int(4)]!;
      steps.push((w) => w.int64(v as number));
    } else if (k === 3) steps.push((w) => w.string(s));
    else if (k === 4) {
      const len = [0, 1, 200, 20_000][r.int(4)]!;
      const body = Buffer.alloc(len, r.int(256));
      steps.push((w) => w.bytes(body));
    } else if (k === 5) steps.push((w) => w.bytes(Buffer.from(s).toString('base64')));
    else {
      const inner = randomSteps(r, depth - 1);
      steps.push((w) => {
        w.fork();
        for (const step of inner) step(w);
        w.ldelim();
      });
    }
  }
  return steps;
}

function both(steps: Step[]): { mine: Buffer; theirs: Buffer } {
  const d = new DirectWriter();
  const p = Writer.create();
  for (const step of steps) {
    step(d);
    step(p as unknown as WireWriter);
  }
  return { mine: d.finish(), theirs: Buffer.from(p.finish()) };
}

describe('DirectWriter', () => {
  it('writes what protobufjs writes for the same calls (sampled)', () => {
    const r = rng(0xd17ec7);
    for (let i = 0; i < 500; i++) {
      const { mine, theirs } = both(randomSteps(r, 3));
      expect(mine.toString('hex')).toBe(theirs.toString('hex'));
    }
  });

  it('nested lengths of one to three bytes, and a reply larger than its scratch buffer', () => {
    for (const size of [0, 126, 127, 128, 16_382, 16_383, 16_384, 300_000]) {
      const body = Buffer.alloc(size, 7);
      const steps: Step[] = [(w) => w.uint32(18).fork().uint32(10).fork().string('t').ldelim().uint32(34).bytes(body).ldelim()];
      const { mine, theirs } = both(steps);
      expect(mine.equals(theirs)).toBe(true);
    }
  });

  it('each finish returns bytes of its own, and an abandoned writer leaves the next one intact', () => {
    const first = new DirectWriter().string('first').finish();
    const left = new DirectWriter().fork().string('never finished');
    expect(left).toBeDefined();
    const second = new DirectWriter().string('second').finish();
    expect(first.toString('latin1')).toBe('\x05first');
    expect(second.toString('latin1')).toBe('\x06second');
    expect(() => new DirectWriter().ldelim()).toThrow(/ldelim without fork/);
  });
});
