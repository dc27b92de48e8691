// docs/grpcurl.md, executed. grpcurl cannot be installed here, so test/helpers/reflection-client.ts
// does what grpcurl does: server reflection (no local copy of our protos), descriptors linked by
// protodesc's rules, requests from the -d JSON and responses printed in proto3 JSON. Every
// command in the doc's ```sh blocks runs, in order, against a real broker (the doc's
// 127.0.0.1:8081 replaced by the broker's address, <RECEIPT_HANDLE>/<TRANSACTION_ID> by the values
// captured from earlier outputs), and its output is compared with the block shown under it. The
// README's short grpcurl section must use commands of the walkthrough, so it is covered too.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { runCli } from '../helpers/broker-process.js';
import { grpcurl, shellCommands, type GrpcurlResult, type LinkMode } from '../helpers/reflection-client.js';

const DOC = fileURLToPath(new URL('../../docs/grpcurl.md', import.meta.url));
const README = fileURLToPath(new URL('../../README.md', import.meta.url));
const README_SECTION = '## Manual testing with grpcurl';
const WHERE = 'docs/grpcurl.md';
const DOC_ENDPOINT = '127.0.0.1:8081';
/** Programs the doc may show without the test running them (setup steps). */
const SETUP_PROGRAMS = new Set(['npm']);

// ---------------------------------------------------------------------------------------------
// The doc: ```sh blocks are commands, the fenced block after one (before the next ```sh) is
// its expected output: ```json (one JSON value per response) or ```text.
// ---------------------------------------------------------------------------------------------

interface Step {
  line: number;
  commands: string[][];
  expected?: { lang: string; text: string };
}

function readSteps(markdown: string, firstLine: number): Step[] {
  const steps: Step[] = [];
  const fence = /^```([\w-]*)[ \t]*\n([\s\S]*?)^```[ \t]*$/gm;
  for (let m = fence.exec(markdown); m; m = fence.exec(markdown)) {
    const [, lang = '', text = ''] = m;
    const line = firstLine + markdown.slice(0, m.index).split('\n').length - 1;
    if (lang === 'sh') steps.push({ line, commands: shellCommands(text) });
    else {
      const last = steps[steps.length - 1];
      if (!last || last.expected) throw new Error(`${WHERE}:${line}: a \`\`\`${lang} block that follows no command`);
      last.expected = { lang, text };
    }
  }
  return steps;
}

/** The README section from its heading to the next level-2 heading. */
function readmeSection(markdown: string): string {
  const start = markdown.indexOf(`\n${README_SECTION}\n`);
  if (start < 0) throw new Error(`README.md has no "${README_SECTION}" section`);
  const next = markdown.indexOf('\n## ', start + README_SECTION.length + 1);
  return markdown.slice(start + 1, next < 0 ? undefined : next + 1);
}

const steps = readSteps(readFileSync(DOC, 'utf8'), 1);
const program = (cmd: string[]) => (cmd[0] === 'npx' ? `npx ${cmd[1]}` : cmd[0]!);
const grpcurlSteps = steps.filter((s) => s.commands.every((c) => c[0] === 'grpcurl'));
const cliSteps = steps.filter((s) => s.commands.every((c) => program(c) === 'npx halfmoon'));

// ---------------------------------------------------------------------------------------------
// Comparing outputs
// ---------------------------------------------------------------------------------------------

/** `<NAME>` (upper case): a value to capture or, if the step's command used it, to check. */
const CAPTURE = /^<([A-Z][A-Z0-9_]*)>$/;
/** `<anything else>`: any value, as long as the field is there. */
const WILDCARD = /^<[^<>]+>$/;

/** Splits concatenated JSON values (as grpcurl prints a stream) into their texts. */
function jsonSequence(text: string): unknown[] {
  const values: unknown[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{' || c === '[') {
      if (depth++ === 0) start = i;
    } else if (c === '}' || c === ']') {
      if (--depth === 0) values.push(JSON.parse(text.slice(start, i + 1)));
    }
  }
  if (depth !== 0 || inString) throw new Error(`unbalanced JSON in:\n${text}`);
  return values;
}

/** Expected ⊆ actual: every expected field present and equal; arrays element by element. */
function matchJson(expected: unknown, actual: unknown, path: string, captures: Map<string, string>, used: Set<string>, seen: Set<string>, problems: string[]): void {
  if (typeof expected === 'string' && CAPTURE.test(expected)) {
    const name = CAPTURE.exec(expected)![1]!;
    if (typeof actual !== 'string' || actual === '') problems.push(`${path}: expected a value for ${expected}, got ${JSON.stringify(actual)}`);
    else if (used.has(name) || seen.has(name)) {
      if (captures.get(name) !== actual) problems.push(`${path}: expected ${expected} = ${JSON.stringify(captures.get(name))}, got ${JSON.stringify(actual)}`);
    } else {
      captures.set(name, actual);
      seen.add(name);
    }
    return;
  }
  if (typeof expected === 'string' && WILDCARD.test(expected)) {
    if (actual === undefined || actual === null) problems.push(`${path}: missing (expected ${expected})`);
    return;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length) {
      problems.push(`${path}: expected ${expected.length} element(s), got ${JSON.stringify(actual)}`);
      return;
    }
    expected.forEach((e, i) => matchJson(e, actual[i], `${path}[${i}]`, captures, used, seen, problems));
    return;
  }
  if (expected !== null && typeof expected === 'object') {
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) {
      problems.push(`${path}: expected an object, got ${JSON.stringify(actual)}`);
      return;
    }
    for (const [k, v] of Object.entries(expected)) {
      if (!(k in actual)) problems.push(`${path}.${k}: missing`);
      else matchJson(v, (actual as Record<string, unknown>)[k], `${path}.${k}`, captures, used, seen, problems);
    }
    return;
  }
  if (expected !== actual) problems.push(`${path}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
}

/** Expected text lines, where a `...` line stands for any number of lines. */
function matchText(expected: string, actual: string): string | undefined {
  const want = expected.trimEnd().split('\n');
  const got = actual.trimEnd().split('\n');
  const segments: string[][] = [[]];
  for (const l of want) {
    if (l.trim() === '...') segments.push([]);
    else segments[segments.length - 1]!.push(l);
  }
  const at = (seg: string[], i: number) => seg.every((l, j) => got[i + j] === l);
  let pos = 0;
  for (let s = 0; s < segments.length; s++) {
    const seg = segments[s]!;
    const first = s === 0;
    const last = s === segments.length - 1;
    if (first && last) return at(seg, 0) && got.length === seg.length ? undefined : 'output differs';
    if (first) {
      if (!at(seg, 0)) return `output does not start with:\n${seg.join('\n')}`;
      pos = seg.length;
    } else if (last) {
      const from = got.length - seg.length;
      if (from < pos || !at(seg, from)) return `output does not end with:\n${seg.join('\n')}`;
    } else {
      let i = pos;
      while (i <= got.length - seg.length && !at(seg, i)) i++;
      if (i > got.length - seg.length) return `missing, in this order:\n${seg.join('\n')}`;
      pos = i + seg.length;
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Running the doc's grpcurl steps
// ---------------------------------------------------------------------------------------------

interface StepRun {
  step: Step;
  results: GrpcurlResult[];
}

/** Replaces the doc's endpoint and `<NAME>` placeholders; returns the names used. */
function substitute(cmd: string[], endpoint: string, captures: Map<string, string>, used: Set<string>): string[] {
  return cmd.map((arg) => {
    if (arg === DOC_ENDPOINT) return endpoint;
    return arg.replace(/<([A-Z][A-Z0-9_]*)>/g, (whole, name: string) => {
      const value = captures.get(name);
      if (value === undefined) throw new Error(`${whole} is used before any output showed it`);
      used.add(name);
      return JSON.stringify(value).slice(1, -1);
    });
  });
}

async function runGrpcurlStep(step: Step, endpoint: string, captures: Map<string, string>, link: LinkMode): Promise<StepRun> {
  const where = `${WHERE}:${step.line}`;
  const used = new Set<string>();
  const results: GrpcurlResult[] = [];
  for (const cmd of step.commands) {
    const args = substitute(cmd.slice(1), endpoint, captures, used);
    const res = await grpcurl(args, { link });
    expect(res.exitCode, `${where}: grpcurl ${cmd.slice(1).join(' ')}\n${res.stderr}`).toBe(0);
    results.push(res);
  }
  const output = results.map((r) => r.stdout).join('');
  if (!step.expected) throw new Error(`${where}: the command has no expected output under it`);
  if (step.expected.lang === 'json') {
    const want = jsonSequence(step.expected.text);
    const got = jsonSequence(output);
    expect(got.length, `${where}: number of JSON objects printed\n${output}`).toBe(want.length);
    const problems: string[] = [];
    const seen = new Set<string>();
    want.forEach((w, i) => matchJson(w, got[i], `[${i}]`, captures, used, seen, problems));
    expect(problems, `${where}: output differs from the doc:\n${output}`).toEqual([]);
  } else {
    expect(matchText(step.expected.text, output), `${where}: output differs from the doc:\n${output}`).toBeUndefined();
  }
  return { step, results };
}

/** The walkthrough links descriptors exactly as grpcurl does (strict). */
const WALKTHROUGH_LINK: LinkMode = 'grpcurl';

const rpcOf = (r: StepRun) => r.step.commands[0]!.at(-1)!;
const responses = (r: StepRun) => r.results.flatMap((x) => x.call?.json ?? []) as Record<string, any>[];

// ---------------------------------------------------------------------------------------------

describe('docs/grpcurl.md: manual testing with grpcurl', () => {
  let tb: TestBroker;
  beforeAll(async () => {
    // The doc's invisibleDuration / longPollingTimeout must pass the minimums `npm start` has, and
    // its transaction must stay pending the way it does there (no check before the commit).
    tb = await startTestBroker({
      minLongPollingTimeoutMs: 5_000,
      minInvisibleDurationMs: 10_000,
      transactionTimeoutMs: 6_000,
      transactionCheckIntervalMs: 30_000,
    });
  });
  afterAll(async () => tb?.close());

  it('has a command for every step it promises, and only commands this test runs', () => {
    for (const s of steps) {
      for (const c of s.commands) {
        const p = program(c);
        expect(p === 'grpcurl' || p === 'npx halfmoon' || SETUP_PROGRAMS.has(p), `${WHERE}:${s.line}: ${c.join(' ')}`).toBe(true);
      }
      if (s.commands.some((c) => c[0] === 'grpcurl' || c[0] === 'npx')) expect(s.expected, `${WHERE}:${s.line}: expected output`).toBeDefined();
    }
    const rpcs = grpcurlSteps.flatMap((s) => s.commands.map((c) => c.at(-1)));
    expect(rpcs).toEqual([
      'list',
      'apache.rocketmq.v2.MessagingService',
      'halfmoon.admin.v1.AdminService/CreateTopic',
      'halfmoon.admin.v1.AdminService/CreateTopic',
      'apache.rocketmq.v2.MessagingService/QueryRoute',
      'apache.rocketmq.v2.MessagingService/SendMessage',
      'apache.rocketmq.v2.MessagingService/ReceiveMessage',
      'apache.rocketmq.v2.MessagingService/AckMessage',
      'apache.rocketmq.v2.MessagingService/SendMessage',
      'halfmoon.admin.v1.AdminService/ListTransactions',
      'apache.rocketmq.v2.MessagingService/EndTransaction',
      'apache.rocketmq.v2.MessagingService/ReceiveMessage',
      'halfmoon.admin.v1.AdminService/ListTransactions',
    ]);
    // Each placeholder is first shown in the output of the call that produces it.
    const firstShown = (placeholder: string) => grpcurlSteps.find((s) => s.expected?.text.includes(placeholder))?.commands[0]?.at(-1);
    expect(firstShown('<RECEIPT_HANDLE>')).toBe('apache.rocketmq.v2.MessagingService/ReceiveMessage');
    expect(firstShown('<TRANSACTION_ID>')).toBe('apache.rocketmq.v2.MessagingService/SendMessage');
    expect(cliSteps.flatMap((s) => s.commands)).toEqual([
      ['npx', 'halfmoon', 'topic', 'create', 'Orders', '--type', 'NORMAL'],
      ['npx', 'halfmoon', 'topic', 'create', 'OrdersTx', '--type', 'TRANSACTION'],
    ]);
  });

  it("the README's grpcurl commands are commands of the walkthrough", () => {
    const walkthrough = new Set(grpcurlSteps.flatMap((s) => s.commands.map((c) => JSON.stringify(c))));
    const fence = /^```sh[ \t]*\n([\s\S]*?)^```[ \t]*$/gm;
    const readme = [...readmeSection(readFileSync(README, 'utf8')).matchAll(fence)].flatMap((m) => shellCommands(m[1]!));
    expect(readme.length).toBeGreaterThanOrEqual(3);
    for (const c of readme) expect(walkthrough.has(JSON.stringify(c)), `README.md: ${c.join(' ')}`).toBe(true);
  });

  // Real grpcurl (protoreflect ≥ 1.15, i.e. Go's protodesc) links what reflection returns strictly:
  // a file sees only the types of the files it declares as imports, and map entries must be
  // named <Field>Entry. This checks every service the doc uses under those rules.
  it('serves reflection descriptors that grpcurl can link', async () => {
    const failures: string[] = [];
    for (const service of ['apache.rocketmq.v2.MessagingService', 'halfmoon.admin.v1.AdminService']) {
      const res = await grpcurl(['-plaintext', tb.endpoint, 'describe', service], { link: 'grpcurl' });
      if (res.exitCode !== 0) failures.push(res.stderr.trim());
      else expect(res.stdout).toContain(`${service} is a service:`);
    }
    expect(failures).toEqual([]);
  });

  it('runs every grpcurl command of the walkthrough, in order, with the outputs it shows', async () => {
    const captures = new Map<string, string>();
    const runs: StepRun[] = [];
    for (const step of grpcurlSteps) runs.push(await runGrpcurlStep(step, tb.endpoint, captures, WALKTHROUGH_LINK));

    // list / describe
    expect(runs[0]!.results[0]!.stdout).toBe('apache.rocketmq.v2.MessagingService\nhalfmoon.admin.v1.AdminService\n');
    const described = runs[1]!.results[0]!.stdout;
    for (const rpc of ['QueryRoute', 'SendMessage', 'ReceiveMessage', 'AckMessage', 'EndTransaction', 'ChangeInvisibleDuration', 'Telemetry']) {
      expect(described).toMatch(new RegExp(`^  rpc ${rpc} \\( `, 'm'));
    }

    // Every RPC: gRPC OK (checked per command) and a RocketMQ status OK.
    for (const run of runs.slice(2)) {
      for (const r of responses(run).filter((x) => 'status' in x)) expect(r.status.code, rpcOf(run)).toBe('OK');
    }

    // Topics exist with the documented types.
    expect((await tb.broker.services.topics.describe('Orders')).topic.messageType).toBe('NORMAL');
    expect((await tb.broker.services.topics.describe('OrdersTx')).topic.messageType).toBe('TRANSACTION');

    // The normal message comes back with its body, and the ack is accepted.
    const [, , , , , received, acked] = runs;
    const delivered = responses(received!).find((r) => r.message)!.message;
    expect(Buffer.from(delivered.body, 'base64').toString()).toBe('{"orderId":1001,"item":"coffee"}');
    expect(delivered.systemProperties.invisibleDuration).toMatch(/^(29|30)(\.\d+)?s$/);
    expect(responses(acked!)[0]!.entries[0].status.code).toBe('OK');

    // The transaction: pending while undecided, delivered once committed, then no longer listed.
    const txId = captures.get('TRANSACTION_ID')!;
    expect(txId).toBeTruthy();
    const [, , , , , , , , pending, , txReceived, after] = runs;
    expect(responses(pending!)[0]!.transactions.map((t: any) => [t.transactionId, t.state])).toEqual([[txId, 'PENDING']]);
    const txMessage = responses(txReceived!).find((r) => r.message)!.message;
    expect(Buffer.from(txMessage.body, 'base64').toString()).toBe('{"orderId":1002,"paid":true}');
    expect(responses(after!)[0]!.transactions).toBeUndefined();
    const decided = await grpcurl(['-plaintext', '-d', JSON.stringify({ transactionId: txId }), tb.endpoint, 'halfmoon.admin.v1.AdminService/DescribeTransaction'], {
      link: WALKTHROUGH_LINK,
    });
    expect(decided.call?.json[0]).toMatchObject({ status: { code: 'OK' }, transaction: { state: 'COMMITTED', decidedBy: 'CLIENT' } });
  });

  it('the CLI topic commands print what the doc shows', async () => {
    const fresh = await startTestBroker();
    try {
      for (const step of cliSteps) {
        let output = '';
        for (const cmd of step.commands) {
          const res = await runCli(cmd.slice(2), { HALFMOON_ENDPOINTS: fresh.endpoint });
          expect(res.code, `${cmd.join(' ')}\n${res.stderr}`).toBe(0);
          output += res.stdout;
        }
        expect(matchText(step.expected!.text, output), output).toBeUndefined();
      }
      expect((await fresh.broker.services.topics.describe('Orders')).topic.messageType).toBe('NORMAL');
      expect((await fresh.broker.services.topics.describe('OrdersTx')).topic.messageType).toBe('TRANSACTION');
    } finally {
      await fresh.close();
    }
  });
});
