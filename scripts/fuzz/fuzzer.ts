// Owns a fuzzing run against a live broker: gRPC cases to every RPC and HTTP cases to every
// gateway route, a few at a time, until the case budget or the time is spent; then checks that
// the broker still serves ordinary traffic. Reports cases tried per kind and outcome, the
// findings (hangs, internal errors, undecodable replies, 5xx), and the broker's memory.
import { Agent } from 'node:http';
import http2 from 'node:http2';
import { LeanGrpc } from '../bench/lean-grpc.js';
import { allRpcs, runGrpcCase, type CaseKind } from './grpc-cases.js';
import { runGrpcPortBytes, runHttpCase } from './http-cases.js';
import { stringPool } from './protobuf-mutate.js';
import { rng } from './random.js';

export interface FuzzTarget {
  grpcEndpoint: string;
  httpPort?: number;
  /** Topics that exist (one per type) and a group, so that cases reach past name checks. */
  topics: string[];
  group: string;
  /** The broker's resident memory now (bytes), if it can be read. */
  rss?: () => number;
}

export interface FuzzOptions {
  seed: number;
  durationMs: number;
  /** Stop after this many cases (whichever of time and cases comes first). */
  maxCases?: number;
  concurrency?: number;
  onProgress?: (report: FuzzReport) => void;
}

export interface Finding {
  target: string;
  kind: string;
  outcome: string;
  detail: string;
}

export interface FuzzReport {
  seed: number;
  cases: number;
  /** "grpc <kind> <outcome>" or "http <outcome>" → count */
  outcomes: Record<string, number>;
  /** Cases per gRPC method and per HTTP route. */
  targets: Record<string, number>;
  findings: Finding[];
  rssStartBytes?: number;
  rssPeakBytes?: number;
  rssEndBytes?: number;
  /** The broker answered ordinary requests after the run. */
  servedAfter: boolean;
  servedAfterDetail: string;
}

const KINDS: CaseKind[] = ['valid', 'mutated', 'mutated', 'mutated', 'random', 'frame', 'cancel'];

export async function fuzz(target: FuzzTarget, options: FuzzOptions): Promise<FuzzReport> {
  const r = rng(options.seed);
  const rpcs = allRpcs();
  const strings = stringPool([...target.topics, target.group]);
  const report: FuzzReport = { seed: options.seed, cases: 0, outcomes: {}, targets: {}, findings: [], servedAfter: false, servedAfterDetail: '' };
  if (target.rss) report.rssStartBytes = report.rssPeakBytes = target.rss();
  const agent = new Agent({ keepAlive: true, maxSockets: 8 });
  let session = http2.connect(`http://${target.grpcEndpoint}`);
  session.on('error', () => undefined);
  const endAt = Date.now() + options.durationMs;
  const more = (): boolean => Date.now() < endAt && (options.maxCases === undefined || report.cases < options.maxCases);
  const count = (key: string): void => {
    report.outcomes[key] = (report.outcomes[key] ?? 0) + 1;
  };

  const worker = async (): Promise<void> => {
    while (more()) {
      report.cases += 1;
      if (r.chance(0.03)) {
        const res = await runGrpcPortBytes(Number(target.grpcEndpoint.slice(target.grpcEndpoint.lastIndexOf(':') + 1)), r);
        count(`grpc-port ${res.outcome}`);
        report.targets['grpc-port raw bytes'] = (report.targets['grpc-port raw bytes'] ?? 0) + 1;
        if (res.finding) report.findings.push({ target: 'grpc port', kind: 'raw', outcome: res.outcome, detail: res.finding });
      } else if (target.httpPort !== undefined && r.chance(0.35)) {
        const res = await runHttpCase(target.httpPort, agent, r, target.topics);
        count(`http ${res.outcome}`);
        report.targets[`http ${res.route}`] = (report.targets[`http ${res.route}`] ?? 0) + 1;
        if (res.finding) report.findings.push({ target: `http ${res.route}`, kind: 'http', outcome: res.outcome, detail: res.finding });
      } else {
        if (session.closed || session.destroyed) {
          session = http2.connect(`http://${target.grpcEndpoint}`);
          session.on('error', () => undefined);
        }
        const rpc = r.pick(rpcs);
        const kind = r.pick(KINDS);
        const res = await runGrpcCase(session, rpc, r, strings, kind);
        count(`grpc ${kind} ${res.outcome}`);
        report.targets[`grpc ${rpc.name}`] = (report.targets[`grpc ${rpc.name}`] ?? 0) + 1;
        if (res.finding) report.findings.push({ target: `grpc ${rpc.name}`, kind, outcome: res.outcome, detail: res.finding });
      }
      if (target.rss && report.cases % 50 === 0) {
        report.rssPeakBytes = Math.max(report.rssPeakBytes ?? 0, target.rss());
        options.onProgress?.(report);
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency ?? 8 }, worker));
  session.destroy();
  agent.destroy();
  await servedAfter(target, report);
  if (target.rss) report.rssEndBytes = target.rss();
  return report;
}

/** Ordinary traffic after the run (on a topic and group of its own: the run may delete others): create, route, send, receive. */
async function servedAfter(target: FuzzTarget, report: FuzzReport): Promise<void> {
  const topic = `FuzzAfter${report.seed}`;
  const group = `GID_after_${report.seed}`;
  let client: LeanGrpc | undefined;
  try {
    client = await LeanGrpc.connect(target.grpcEndpoint, 'fuzz-after');
    const steps: string[] = [];
    const check = (name: string, reply: { status: { code: string } }): void => {
      steps.push(`${name} ${reply.status.code}`);
    };
    check('CreateTopic', await client.unary('admin.CreateTopic', { name: topic, message_type: 'NORMAL' }));
    check('CreateGroup', await client.unary('admin.CreateGroup', { name: group }));
    check('QueryRoute', await client.unary('QueryRoute', { topic: { name: topic }, endpoints: { addresses: [{ host: '127.0.0.1', port: 1 }] } }));
    const body = `after-fuzz-${report.seed}`;
    const system = {
      message_id: `FUZZAFTER${Date.now()}`,
      message_type: 'NORMAL',
      body_encoding: 'IDENTITY',
      born_host: 'fuzz',
      born_timestamp: { seconds: String(Math.floor(Date.now() / 1000)) },
    };
    check('SendMessage', await client.unary('SendMessage', { messages: [{ topic: { name: topic }, body: Buffer.from(body), system_properties: system }] }));
    const received = await client.serverStream(
      'ReceiveMessage',
      {
        group: { name: group },
        message_queue: { topic: { name: topic }, id: 0 },
        filter_expression: { type: 'TAG', expression: '*' },
        batch_size: 1,
        invisible_duration: { seconds: '30' },
        long_polling_timeout: { seconds: '2' },
      },
      5000,
    );
    const got = received.some((r) => (r.message as { body?: Buffer } | undefined)?.body?.toString() === body);
    steps.push(`ReceiveMessage ${got ? 'got it' : 'did not get it'}`);
    report.servedAfter = got && steps.every((s) => s.endsWith(' OK') || s === 'ReceiveMessage got it');
    report.servedAfterDetail = steps.join(', ');
  } catch (err) {
    report.servedAfterDetail = `ordinary requests failed after the run: ${(err as Error).message}`;
  } finally {
    client?.close();
  }
}

/** A short text report: cases, outcomes, findings (grouped), memory. */
export function formatReport(report: FuzzReport): string {
  const MiB = 1024 * 1024;
  const lines = [`seed ${report.seed}: ${report.cases} cases, ${report.findings.length} findings`];
  for (const [k, v] of Object.entries(report.outcomes).sort()) lines.push(`  ${k.padEnd(40)} ${v}`);
  const grouped = new Map<string, { n: number; first: Finding }>();
  for (const f of report.findings) {
    const key = `${f.target} ${f.outcome} ${f.detail.slice(0, 80)}`;
    const g = grouped.get(key);
    if (g) g.n += 1;
    else grouped.set(key, { n: 1, first: f });
  }
  for (const { n, first } of grouped.values()) lines.push(`  FINDING x${n}: ${first.target} (${first.kind}) ${first.outcome}: ${first.detail}`);
  if (report.rssStartBytes !== undefined) {
    lines.push(
      `  rss start ${(report.rssStartBytes / MiB).toFixed(0)} MiB, peak ${((report.rssPeakBytes ?? 0) / MiB).toFixed(0)} MiB, end ${((report.rssEndBytes ?? 0) / MiB).toFixed(0)} MiB`,
    );
  }
  lines.push(`  served after: ${report.servedAfter ? 'yes' : 'NO'} (${report.servedAfterDetail})`);
  return lines.join('\n');
}
