// `npm run bench -- profile`: where the broker's CPU goes under the peers method's load. For each
// phase (NORMAL publish W=64, transactions W=64, backlog drain, batched sends of 32 with 256
// messages in flight) it starts `halfmoon start` under
// `node --cpu-prof`, runs the lean load generator against it, stops the broker (the profile is
// written at exit) and prints a summary of the .cpuprofile: the top functions by self time and
// the share of time per area (gRPC/HTTP/2, LevelDB, protobuf, Halfmoon by folder, GC, idle).
//
//   npm run bench -- profile [--phase publish|tx|drain|batch] [--messages 20000] [--top 25] [--keep DIR]
//     [--node-args="--max-semi-space-size=32"]   (Node.js flags for the broker, to compare V8 settings)
//     [--client]   (profile the load generator of the phase's own task instead of the broker)
//     [--fill N]   (a filled data directory: N runs of the phase's load against an unprofiled broker
//                   first, each printing its broker CPU per message; the profiled broker then
//                   starts on the same data directory)
//     [--drain-only]   (drain: the backlog is written by a broker without the profiler, which then
//                      restarts on the same data under it, so the profile covers the drain alone)
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { numFlag, type BenchOutcome, type Flags, type Log } from './common.js';
import { startHalfmoon } from './peers/brokers.js';
import { runLoadTask } from './peers/fork-load.js';
import { sampleTree } from './peers/proc.js';
import type { LoadTask } from './peers/load-child.js';
import type { DriverTarget, PublishMode } from './peers/method.js';

const PHASES = ['publish', 'tx', 'drain', 'batch'] as const;
type Phase = (typeof PHASES)[number];

export interface ProfileOptions {
  phases: Phase[];
  messages: number;
  top: number;
  /** Keep the .cpuprofile files here (default: a temp dir, removed). */
  keep?: string;
  /** More Node.js flags for the broker (A/B of V8 settings), space-separated. */
  nodeArgs: string[];
  /** Profile the load generator process (the phase's last task) instead of the broker. */
  client: boolean;
  /** Runs of the phase's load against an unprofiled broker on the same data directory before the profiled one. */
  fill: number;
  /** Drain: write the backlog without the profiler, then profile a restarted broker draining it. */
  drainOnly: boolean;
}

export function profileOptions(flags: Flags): ProfileOptions {
  const phase = typeof flags.phase === 'string' ? flags.phase : undefined;
  if (phase && !(PHASES as readonly string[]).includes(phase)) throw new Error(`--phase must be one of ${PHASES.join(', ')}`);
  return {
    phases: phase ? [phase as Phase] : [...PHASES],
    messages: numFlag(flags, 'messages', flags.quick ? 500 : 20_000),
    top: numFlag(flags, 'top', 25),
    ...(typeof flags.keep === 'string' ? { keep: flags.keep } : {}),
    nodeArgs: typeof flags['node-args'] === 'string' ? flags['node-args'].split(' ').filter(Boolean) : [],
    client: flags.client === true,
    fill: numFlag(flags, 'fill', 0),
    drainOnly: flags['drain-only'] === true,
  };
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** The area a frame belongs to, from its script URL and name. */
export function areaOf(url: string, name: string): string {
  if (name === '(garbage collector)') return 'GC';
  if (name === '(idle)') return 'idle';
  if (name === '(program)' || name === '(root)') return 'V8/native';
  if (url.includes('node_modules')) {
    if (url.includes('@grpc/grpc-js')) return 'grpc-js';
    if (url.includes('protobufjs')) return 'protobufjs';
    if (/classic-level|abstract-level/.test(url)) return 'LevelDB (JS)';
    if (url.includes('pino')) return 'pino';
    return 'other packages';
  }
  const src = /\/src\/([a-z-]+)\//.exec(url)?.[1];
  if (src) return `halfmoon ${src}`;
  if (url.includes('/src/')) return 'halfmoon (root)';
  if (url.includes('/scripts/bench/')) return 'load generator';
  if (url === '') return 'V8/native';
  if (url.startsWith('node:internal/http2') || url === 'node:http2') return 'node http2';
  if (url.startsWith('node:')) return url.includes('esm') || url.includes('modules') ? 'node module loading' : 'node (other)';
  return 'other';
}

export interface ProfileSummary {
  totalMs: number;
  areas: { area: string; ms: number; share: number }[];
  top: { fn: string; where: string; ms: number; share: number }[];
  /** Halfmoon's own functions by inclusive time (what they and everything they call cost). */
  inclusive: { fn: string; where: string; ms: number; share: number }[];
}

export function summarize(profile: CpuProfile, top: number): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) self.set(profile.samples[i]!, (self.get(profile.samples[i]!) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  const totalMs = [...self.values()].reduce((a, b) => a + b, 0);
  const areas = new Map<string, number>();
  const fns = new Map<string, { fn: string; where: string; ms: number }>();
  for (const [id, ms] of self) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    const area = areaOf(url, functionName);
    areas.set(area, (areas.get(area) ?? 0) + ms);
    const where = `${url.replace(/^.*\/(node_modules|src)\//, '$1/')}:${lineNumber + 1}`;
    const key = `${functionName}@${where}`;
    const f = fns.get(key) ?? { fn: functionName || '(anonymous)', where, ms: 0 };
    f.ms += ms;
    fns.set(key, f);
  }
  const busy = totalMs - (areas.get('idle') ?? 0);
  // Inclusive time: each sample counts once for every distinct Halfmoon function on its stack.
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const incl = new Map<string, { fn: string; where: string; ms: number }>();
  for (const [id, ms] of self) {
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const { functionName, url, lineNumber } = byId.get(at)!.callFrame;
      if (!url.includes('/src/') || url.includes('node_modules')) continue;
      const where = `${url.replace(/^.*\/src\//, 'src/')}:${lineNumber + 1}`;
      const key = `${functionName}@${where}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const f = incl.get(key) ?? { fn: functionName || '(anonymous)', where, ms: 0 };
      f.ms += ms;
      incl.set(key, f);
    }
  }
  const share = (ms: number): number => (busy > 0 ? ms / busy : 0);
  return {
    totalMs,
    areas: [...areas]
      .filter(([a]) => a !== 'idle')
      .map(([area, ms]) => ({ area, ms, share: share(ms) }))
      .sort((a, b) => b.ms - a.ms),
    top: [...fns.values()]
      .filter((f) => f.fn !== '(idle)')
      .sort((a, b) => b.ms - a.ms)
      .slice(0, top)
      .map((f) => ({ ...f, share: share(f.ms) })),
    inclusive: [...incl.values()]
      .sort((a, b) => b.ms - a.ms)
      .slice(0, top)
      .map((f) => ({ ...f, share: share(f.ms) })),
  };
}

function taskOf(phase: Phase, endpoint: string, n: number): LoadTask[] {
  const target = (name: string, mode: PublishMode): DriverTarget => ({ config: 'halfmoon', endpoint, name, mode, prefetch: 256, ackBatch: 32 });
  const publish = (t: DriverTarget, window = 64, perCall = 1): LoadTask => ({ op: 'publish', target: t, n, window, perCall, bodyBytes: 1024, timeoutMs: 180_000 });
  if (phase === 'publish') return [publish(target('ProfilePublish', 'normal'))];
  if (phase === 'tx') return [publish(target('ProfileTx', 'tx'))];
  if (phase === 'batch') return [publish(target('ProfileBatch', 'batch32'), 256, 32)];
  // The backlog is written first; the profile then covers both (the drain dominates the table below only if it costs more).
  const backlog = target('ProfileDrain', 'normal');
  return [publish(backlog), { op: 'drain', target: backlog, n, timeoutMs: 180_000 }];
}

/** Runs of the phase's load against a broker without the profiler on `dir`, the one the profiled broker then opens. */
async function fillDir(phase: Phase, dir: string, o: ProfileOptions, log: Log): Promise<void> {
  const broker = await startHalfmoon({ dir, nodeArgs: o.nodeArgs });
  try {
    for (let run = 1; run <= o.fill; run++) {
      const tasks = taskOf(phase, broker.endpoint, o.messages);
      for (const task of tasks) {
        const before = sampleTree(broker.pid).cpuS;
        const t0 = performance.now();
        await runLoadTask(task, []);
        if (task !== tasks[tasks.length - 1]) continue;
        const cpu = sampleTree(broker.pid).cpuS - before;
        const wall = (performance.now() - t0) / 1000;
        log(
          `  fill ${run}/${o.fill}: ${phase} (${o.messages} messages, ${Math.round(o.messages / wall)} msgs/s, broker CPU ${((cpu * 1e6) / o.messages).toFixed(0)} µs/msg, no profiler)`,
        );
      }
    }
  } finally {
    await broker.stop();
  }
}

const pct = (x: number): string => `${(x * 100).toFixed(1)} %`;

export async function runProfile(o: ProfileOptions, log: Log): Promise<BenchOutcome<Record<string, ProfileSummary>>> {
  const out: Record<string, ProfileSummary> = {};
  const scratch = mkdtempSync(join(tmpdir(), 'halfmoon-profile-'));
  try {
    for (const phase of o.phases) {
      const profDir = o.keep ? join(o.keep, phase) : join(scratch, `prof-${phase}`);
      const prof = ['--cpu-prof', '--cpu-prof-dir', profDir];
      if (o.fill > 0) await fillDir(phase, join(scratch, phase), o, log);
      const backlogFirst = o.drainOnly && phase === 'drain' && !o.client;
      if (backlogFirst) {
        const writer = await startHalfmoon({ dir: join(scratch, phase), nodeArgs: o.nodeArgs });
        try {
          await runLoadTask(taskOf(phase, writer.endpoint, o.messages)[0]!, []);
        } finally {
          await writer.stop();
        }
      }
      const broker = await startHalfmoon({ dir: join(scratch, phase), nodeArgs: [...o.nodeArgs, ...(o.client ? [] : prof)] });
      let cpu = 0;
      let wall = 0;
      try {
        const all = taskOf(phase, broker.endpoint, o.messages);
        const tasks = backlogFirst ? all.slice(-1) : all;
        for (const task of tasks) {
          const before = sampleTree(broker.pid).cpuS;
          const t0 = performance.now();
          await runLoadTask(task, o.client && task === tasks[tasks.length - 1] ? prof : []);
          // The last task is the phase's own (the drain's backlog is written first).
          cpu = sampleTree(broker.pid).cpuS - before;
          wall = (performance.now() - t0) / 1000;
        }
      } finally {
        await broker.stop();
      }
      const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
      if (!file) throw new Error(`the ${o.client ? 'load generator' : 'broker'} wrote no .cpuprofile into ${profDir}`);
      const s = summarize(JSON.parse(readFileSync(join(profDir, file), 'utf8')) as CpuProfile, o.top);
      out[phase] = s;
      log(
        `  profile${o.client ? ' of the load generator' : ''}: ${phase} (${o.messages} messages, ${Math.round(o.messages / wall)} msgs/s, broker CPU ${((cpu * 1e6) / o.messages).toFixed(0)} µs/msg under the profiler, ${(s.totalMs / 1000).toFixed(1)} s sampled)`,
      );
      for (const a of s.areas) if (a.share >= 0.002) log(`    ${a.area.padEnd(24)} ${a.ms.toFixed(0).padStart(7)} ms  ${pct(a.share).padStart(7)}`);
      log('    top functions by self time:');
      for (const f of s.top) log(`    ${pct(f.share).padStart(7)}  ${f.fn.slice(0, 40).padEnd(40)} ${f.where}`);
      log("    Halfmoon's functions by inclusive time:");
      for (const f of s.inclusive) log(`    ${pct(f.share).padStart(7)}  ${f.fn.slice(0, 40).padEnd(40)} ${f.where}`);
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return {
    name: 'profile',
    rows: Object.entries(out).map(([phase, s]) => ({
      bench: 'profile',
      metric: `${phase}: Halfmoon's own share of busy CPU`,
      value: pct(s.areas.filter((a) => a.area.startsWith('halfmoon')).reduce((x, a) => x + a.share, 0)),
    })),
    data: out,
  };
}
