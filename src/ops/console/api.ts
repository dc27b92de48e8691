// Owns the web console's JSON API under /api/ on the admin listener: a table of endpoints, each a
// thin call into the services (topics, groups, transactions, sessions, cluster, message lookup)
// answered as JSON (see views.ts). Bad input is a BrokerError, answered by the admin listener's
// one error mapper (sendAdminError) with its RocketMQ code and a message saying what to fix.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BrokerError, Code } from '../../errors.js';
import type { ServiceContext } from '../../services.js';
import type { MessageTrace } from '../../admin/message-service.js';
import type { AdminMethod, AdminRoute } from '../admin-server.js';
import { queuesOf, type TrafficSampler } from './traffic.js';
import { clientView, decisionView, halfView, messageView, type TransactionView } from './views.js';

/** Largest JSON request body. */
const MAX_BODY_BYTES = 64 * 1024;
const TRANSACTION_LIST_LIMIT = 500;

type Json = Record<string, unknown>;
interface Call {
  params: string[];
  url: URL;
  body: Json;
}
interface Endpoint {
  method: AdminMethod;
  pattern: RegExp;
  run(call: Call): Promise<unknown>;
}

async function readJson(req: IncomingMessage): Promise<Json> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new BrokerError(Code.PAYLOAD_TOO_LARGE, `request body is over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  if (size === 0) return {};
  try {
    const parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Json;
  } catch {
    // answered below
  }
  throw new BrokerError(Code.BAD_REQUEST, 'request body must be a JSON object, e.g. {"name": "orders"}');
}

function text(body: Json, field: string, required = true): string {
  const v = body[field];
  if (typeof v === 'string' && v.trim()) return v.trim();
  if (v === undefined || v === null || v === '') {
    if (required) throw new BrokerError(Code.BAD_REQUEST, `field "${field}" is missing: pass it as a string in the JSON body`);
    return '';
  }
  throw new BrokerError(Code.BAD_REQUEST, `field "${field}" must be a string`);
}

function nonNegative(url: URL, name: string): number | undefined {
  const v = url.searchParams.get(name);
  if (v === null || v === '') return undefined;
  if (!/^\d+$/.test(v)) throw new BrokerError(Code.BAD_REQUEST, `query parameter ${name}="${v}" must be a whole number of milliseconds`);
  return Number(v);
}

function send(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' }).end(body);
}

function endpoints(svc: ServiceContext, traffic: TrafficSampler): Endpoint[] {
  const { config } = svc;
  const transactionList = async (url: URL): Promise<TransactionView[]> => {
    const state = (url.searchParams.get('state') ?? '').toUpperCase();
    if (state && state !== 'PENDING' && state !== 'ABANDONED')
      throw new BrokerError(Code.BAD_REQUEST, `state "${state}" is not listable: use PENDING or ABANDONED (or leave it empty for both)`);
    const topic = url.searchParams.get('topic') || undefined;
    const key = url.searchParams.get('key') || undefined;
    const group = url.searchParams.get('group') || undefined;
    const minAgeMs = nonNegative(url, 'minAgeMs');
    const list = await svc.transactions.list({
      ...(topic ? { topic } : {}),
      ...(state ? { state: state as 'PENDING' | 'ABANDONED' } : {}),
      ...(key ? { key } : {}),
      limit: group || minAgeMs ? Number.MAX_SAFE_INTEGER : TRANSACTION_LIST_LIMIT,
    });
    const now = svc.clock.now();
    return list
      .filter((h) => (!group || h.producerGroup === group) && (minAgeMs === undefined || now - h.receivedAtMs >= minAgeMs))
      .sort((a, b) => a.receivedAtMs - b.receivedAtMs)
      .slice(0, TRANSACTION_LIST_LIMIT)
      .map(halfView);
  };
  const decide = async (id: string, action: string): Promise<unknown> => {
    if (action === 'recheck') {
      const half = await svc.transactions.recheck(id);
      svc.checks.kick();
      return { transaction: halfView(half), applied: true };
    }
    const resolution = action === 'commit' ? 'COMMIT' : 'ROLLBACK';
    const outcome = await svc.transactions.endTransaction({ transactionId: id, resolution, source: 'ADMIN', reason: 'resolved in the web console' });
    svc.log.info({ transactionId: id, resolution, applied: outcome.applied }, 'transaction resolved in the web console');
    return { transaction: decisionView(outcome.decision), applied: outcome.applied };
  };
  return [
    {
      method: 'GET',
      pattern: /^overview$/,
      async run() {
        const [topics, groups, counters, waiting] = await Promise.all([
          svc.topics.list(),
          svc.groups.list(),
          svc.transactions.counters(),
          svc.transactions.waitingForProducer(),
        ]);
        return {
          brokers: svc.cluster.brokers().map((b) => ({ name: b.name, endpoint: b.endpoints.addresses.map((a) => `${a.host}:${a.port}`).join(',') })),
          store: config.store.startsWith('postgres') ? 'postgresql' : 'leveldb',
          topics: topics.filter((t) => !t.name.startsWith('%')).length,
          groups: groups.length,
          clients: svc.sessions.all().length,
          transactions: { ...counters, pendingWithoutProducer: waiting.reduce((n, w) => n + w.pending, 0), groupsWithoutProducer: waiting.map((w) => w.producerGroup) },
          traffic: { intervalMs: traffic.intervalMs, rates: traffic.rates() },
        };
      },
    },
    {
      method: 'GET',
      pattern: /^topics$/,
      async run() {
        const out = [];
        for (const t of await svc.topics.list()) {
          const queues = await queuesOf(svc.topics, t.name);
          out.push({
            name: t.name,
            messageType: t.messageType,
            checkPolicy: t.checkPolicy ?? '',
            createdAtMs: t.createdAtMs,
            queues: queues.map((q) => ({ queueId: q.queueId, minOffset: q.minOffset, maxOffset: q.maxOffset })),
            messages: queues.reduce((n, q) => n + q.maxOffset - q.minOffset, 0),
            retentionMs: config.retentionMs,
            retentionBytesPerQueue: config.retentionBytes,
          });
        }
        return { topics: out };
      },
    },
    {
      method: 'POST',
      pattern: /^topics$/,
      async run({ body }) {
        const checkPolicy = text(body, 'checkPolicy', false);
        const { topic, created } = await svc.topics.create(text(body, 'name'), text(body, 'messageType', false) || 'NORMAL', checkPolicy ? { checkPolicy } : {});
        if (created) svc.log.info({ topic: topic.name, messageType: topic.messageType }, 'topic created in the web console');
        return { created, topic: { name: topic.name, messageType: topic.messageType, checkPolicy: topic.checkPolicy ?? '' } };
      },
    },
    {
      method: 'DELETE',
      pattern: /^topics\/([^/]+)$/,
      async run({ params }) {
        await svc.topics.delete(params[0]!);
        svc.log.info({ topic: params[0] }, 'topic deleted in the web console');
        return { deleted: params[0] };
      },
    },
    {
      method: 'GET',
      pattern: /^groups$/,
      async run() {
        const online = new Map<string, number>();
        for (const s of svc.sessions.all()) if (s.group && s.clientType !== 'PRODUCER') online.set(s.group, (online.get(s.group) ?? 0) + 1);
        const out = [];
        for (const g of await svc.groups.list()) {
          const d = await svc.groups.describe(g.name);
          out.push({
            name: g.name,
            fifo: g.fifo,
            maxDeliveryAttempts: g.maxDeliveryAttempts,
            lag: d.lag,
            inFlight: d.inFlight,
            deadLetters: d.deadLetters,
            deadLetterTopic: d.deadLetterTopic,
            clientsOnline: online.get(g.name) ?? 0,
            progress: d.progress.map((p) => ({ topic: p.topic, consumedOffset: p.consumedOffset, lag: p.lag, inFlight: p.inFlight })),
          });
        }
        return { groups: out };
      },
    },
    {
      method: 'POST',
      pattern: /^groups\/([^/]+)\/reset-offset$/,
      async run({ params, body }) {
        const results = await svc.groups.resetOffset(params[0]!, text(body, 'topic'), text(body, 'to'));
        svc.log.info({ group: params[0], topic: body.topic, to: body.to }, 'offset reset in the web console');
        return { resets: results };
      },
    },
    { method: 'GET', pattern: /^transactions$/, run: async ({ url }) => ({ transactions: await transactionList(url) }) },
    {
      method: 'GET',
      pattern: /^transactions\/([^/]+)$/,
      async run({ params }) {
        const { half, decision } = await svc.transactions.describe(params[0]!);
        return { transaction: half ? halfView(half) : decisionView(decision!), message: half ? messageView(half.message) : null };
      },
    },
    { method: 'POST', pattern: /^transactions\/([^/]+)\/(commit|rollback|recheck)$/, run: ({ params }) => decide(params[0]!, params[1]!) },
    { method: 'GET', pattern: /^clients$/, run: async () => ({ clients: svc.sessions.all().map(clientView) }) },
    {
      method: 'GET',
      pattern: /^messages$/,
      async run({ url }) {
        const q = (name: string): string | undefined => url.searchParams.get(name) || undefined;
        const messageId = q('id');
        const key = q('key');
        const topic = q('topic');
        if (!messageId && !key) throw new BrokerError(Code.BAD_REQUEST, 'a message lookup needs a message id or a key: pass id=<message id> or key=<message key>');
        const traces = messageId ? await svc.messages.show(messageId, topic).catch(noneFound) : await svc.messages.byKey(key!, topic, MESSAGE_RESULT_LIMIT);
        return {
          messages: traces
            .filter((t) => t.state === 'STORED' && t.message)
            .map((t) => ({ ...messageView(t.message!), transaction: t.decision ? decisionView(t.decision) : null, deliveries: t.deliveries })),
          pending: traces.filter((t) => t.half).map((t) => ({ ...messageView(t.half!.message), transaction: halfView(t.half!) })),
          rolledBack: traces.filter((t) => t.state === 'ROLLED_BACK' && t.decision).map((t) => decisionView(t.decision!)),
        };
      },
    },
  ];
}

/** Messages one console lookup by key shows at most. */
const MESSAGE_RESULT_LIMIT = 50;

/** A lookup by id that found nothing is an empty result on the page, not an error. */
function noneFound(err: unknown): MessageTrace[] {
  if (err instanceof BrokerError && err.code === Code.MESSAGE_NOT_FOUND) return [];
  throw err;
}

/** The /api/* routes of the console, one per method. */
export function apiRoutes(svc: ServiceContext, traffic: TrafficSampler): AdminRoute[] {
  const table = endpoints(svc, traffic);
  const route = (method: AdminMethod): AdminRoute => ({
    method,
    path: '/api/*',
    async handle(req, res, url) {
      const path = url.pathname.slice('/api/'.length);
      const forPath = table.filter((e) => e.pattern.test(path));
      if (forPath.length === 0) throw new BrokerError(Code.NOT_FOUND, `no console API ${url.pathname}: see docs/console.md for the endpoints`);
      const endpoint = forPath.find((e) => e.method === method || (method === 'GET' && req.method === 'HEAD'));
      if (!endpoint) throw new BrokerError(Code.BAD_REQUEST, `${req.method} is not allowed on ${url.pathname}: use ${forPath.map((e) => e.method).join(' or ')}`);
      const params = endpoint.pattern
        .exec(path)!
        .slice(1)
        .map((p) => decodeURIComponent(p));
      // A JSON content type cannot be sent cross-site without a CORS preflight, which this listener never grants.
      if (method !== 'GET' && !/^application\/json\b/i.test(req.headers['content-type'] ?? '')) {
        throw new BrokerError(Code.BAD_REQUEST, `${method} ${url.pathname} needs content-type: application/json`);
      }
      const body = method === 'GET' ? {} : await readJson(req);
      send(res, 200, await endpoint.run({ params, url, body }));
    },
  });
  return (['GET', 'POST', 'DELETE'] as const).map(route);
}
