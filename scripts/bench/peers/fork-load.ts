// Parent side of the load generator processes (measures nothing itself): forks load-child.ts
// with the TypeScript loader, hands it one task and resolves with its outcome; a child that does
// not finish within its task's time plus a margin is killed (only that child, by its pid).
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ChildMessage, LoadOutcome, LoadTask } from './load-child.js';

const CHILD = fileURLToPath(new URL('./load-child.ts', import.meta.url));
const live = new Set<ChildProcess>();

/** Kills every load generator still running (Ctrl-C, errors). */
export function killLoads(): void {
  for (const c of live) c.kill('SIGKILL');
}

export interface RunningLoad {
  /** Resolves when a consumer child says it is attached (at once for other tasks). */
  ready: Promise<void>;
  done: Promise<LoadOutcome>;
  pid: number;
  /** Starts a publish task started with `barrier` (after `ready`). */
  go(): void;
}

/** `nodeArgs`: more Node.js flags for the child (the profile's `--client` passes `--cpu-prof`). */
export function startLoad(task: LoadTask, marginMs = 30_000, nodeArgs: string[] = []): RunningLoad {
  const child = fork(CHILD, [], { execArgv: ['--import', 'tsx', ...nodeArgs], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  live.add(child);
  let onReady: () => void = () => undefined;
  const ready = new Promise<void>((r) => (onReady = r));
  if (task.op !== 'e2e-consumer' && !(task.op === 'publish' && task.barrier)) onReady();
  const done = new Promise<LoadOutcome>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`load generator (${task.op} ${task.target.config}) did not finish within ${task.timeoutMs + marginMs} ms`));
    }, task.timeoutMs + marginMs);
    let settled = false;
    child.on('message', (m: ChildMessage) => {
      if (m.kind === 'ready') onReady();
      else if (m.kind === 'done') {
        settled = true;
        resolve(m.outcome);
      } else {
        settled = true;
        reject(new Error(`load generator (${task.op} ${task.target.config}) failed: ${m.error}`));
      }
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      live.delete(child);
      onReady();
      if (!settled) reject(new Error(`load generator (${task.op} ${task.target.config}) exited with code ${code} before reporting`));
    });
  });
  done.catch(() => undefined);
  child.send(task);
  const go = (): void => {
    if (child.connected) child.send({ kind: 'go' });
  };
  return { ready, done, pid: child.pid!, go };
}

export const runLoadTask = (task: LoadTask, nodeArgs: string[] = []): Promise<LoadOutcome> => startLoad(task, 30_000, nodeArgs).done;
