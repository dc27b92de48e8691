// One measured phase of the peers benchmark: samples the broker's process tree (CPU, bytes
// written), the devices' flush count and the load average around a load-generator task (or an
// end-to-end pair: the consumer process attached first, then the producer process), and turns
// them into one PhaseFigures record.
import { startLoad, runLoadTask } from './fork-load.js';
import type { LoadOutcome, LoadTask } from './load-child.js';
import type { PeerConfig } from './method.js';
import { deviceFlushes, load1, sampleTree } from './proc.js';

export interface PhaseFigures {
  config: PeerConfig | 'halfmoon-tx' | 'halfmoon-tx-mixed' | 'halfmoon-batch32' | 'halfmoon-official';
  phase: string;
  round: number;
  count: number;
  errors: number;
  seconds: number;
  msgsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  /** Broker CPU (all threads of its process tree) per message, µs. */
  brokerUsPerMsg: number;
  /** Broker CPU over the phase, in cores. */
  brokerCores: number;
  /** Load generator CPU (all its processes) per message, µs. */
  clientUsPerMsg: number;
  /** write_bytes of the broker's process tree per message. */
  bytesPerMsg: number;
  /** Flush requests completed by the block devices per second (whole machine). */
  flushesPerSec: number;
  load1: number;
  extra: Record<string, number>;
}

interface Window {
  cpuS: number;
  writeBytes: number;
  flushes: number;
  t: number;
}

function open(pid: number): Window {
  const s = sampleTree(pid);
  return { cpuS: s.cpuS, writeBytes: s.writeBytes, flushes: deviceFlushes(), t: performance.now() };
}

function figures(
  config: PhaseFigures['config'],
  phase: string,
  round: number,
  brokerPid: number,
  w0: Window,
  count: number,
  seconds: number,
  clientCpuS: number,
  o: LoadOutcome,
  lat: { p50Ms: number; p99Ms: number },
  errors: number,
): PhaseFigures {
  const w1 = open(brokerPid);
  const wallS = (w1.t - w0.t) / 1000;
  const n = Math.max(1, count);
  return {
    config,
    phase,
    round,
    count,
    errors,
    seconds,
    msgsPerSec: seconds > 0 ? count / seconds : 0,
    p50Ms: lat.p50Ms,
    p99Ms: lat.p99Ms,
    brokerUsPerMsg: ((w1.cpuS - w0.cpuS) * 1e6) / n,
    brokerCores: wallS > 0 ? (w1.cpuS - w0.cpuS) / wallS : 0,
    clientUsPerMsg: (clientCpuS * 1e6) / n,
    bytesPerMsg: (w1.writeBytes - w0.writeBytes) / n,
    flushesPerSec: wallS > 0 ? (w1.flushes - w0.flushes) / wallS : 0,
    load1: load1(),
    extra: o.extra,
  };
}

/** A publish or drain task in one load-generator process. */
export async function measureTask(config: PhaseFigures['config'], phase: string, round: number, brokerPid: number, task: LoadTask): Promise<PhaseFigures> {
  // The child's own boot (tsx, connect, prepare) happens before its task starts; the broker
  // window opens here, so it also holds the idle broker's CPU for that second (small).
  const w0 = open(brokerPid);
  const o = await runLoadTask(task);
  const r = o.publish ?? o.consume!;
  const errors = o.publish?.errors ?? 0;
  return figures(config, phase, round, brokerPid, w0, r.count, r.elapsedMs / 1000, o.cpuS, o, r.latency, errors);
}

/** End to end: the consumer process attached first, then the producer process. */
export async function measureE2e(config: PhaseFigures['config'], round: number, brokerPid: number, consumer: LoadTask, producer: LoadTask): Promise<PhaseFigures> {
  const w0 = open(brokerPid);
  const c = startLoad(consumer);
  await c.ready;
  await new Promise((r) => setTimeout(r, 300));
  const p = await runLoadTask(producer);
  const co = await c.done;
  const cons = co.consume!;
  const firstSend = p.startWall;
  const seconds = (cons.lastAtWall - firstSend) / 1000;
  const errors = (p.publish?.errors ?? 0) + (p.publish && cons.count < p.publish.count ? p.publish.count - cons.count : 0);
  return figures(config, 'e2e', round, brokerPid, w0, cons.count, seconds, p.cpuS + co.cpuS, co, cons.latency, errors);
}
