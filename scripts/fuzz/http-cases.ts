// Owns the fuzzer's MQ HTTP cases: requests to every gateway route (publish, consume, consume
// orderly, consume half, ack, commit, rollback, and wrong ones) with random query strings and
// headers and with XML bodies mutated from valid <Message> and <ReceiptHandles> documents (DTDs,
// entities, CDATA, nesting, attributes, truncation, bad UTF-8, huge text), plus raw bytes that
// are not HTTP at all. What every request must get: a status before its timeout, and never a 500.
import { request, type Agent } from 'node:http';
import { connect } from 'node:net';
import type { Rng } from './random.js';

export interface HttpCaseResult {
  route: string;
  outcome: string;
  finding?: string;
}

const TIMEOUT_MS = 5000;

const MESSAGE =
  '<?xml version="1.0" encoding="UTF-8"?><Message xmlns="http://mq.aliyuncs.com/doc/v1/"><MessageBody>hello</MessageBody><MessageTag>TagA</MessageTag><Properties>KEYS:k1|a:b|</Properties></Message>';
const HANDLES =
  '<?xml version="1.0" encoding="UTF-8"?><ReceiptHandles xmlns="http://mq.aliyuncs.com/doc/v1/"><ReceiptHandle>1-ZVRo</ReceiptHandle><ReceiptHandle>AAAA</ReceiptHandle></ReceiptHandles>';

const SNIPPETS = [
  '<!DOCTYPE Message [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>',
  '<!ENTITY x SYSTEM "file:///etc/passwd">',
  '&a;',
  '&amp;',
  '&lt;&gt;&quot;&apos;',
  '&#0;',
  '&#x110000;',
  '&#xD800;',
  '&#65;',
  '&',
  '&unknown;',
  '<![CDATA[<x>&amp;]]>',
  ']]>',
  '<!-- c -->',
  '<?pi x?>',
  '<a:MessageBody>',
  '</Message>',
  '<Message>',
  '<x y="1" z=\'2\'/>',
  '<x y=1>',
  '\uFEFF',
  '\u0000',
  '\uFFFF',
  '<' + 'n><'.repeat(40),
];

export function mutateXml(doc: string, r: Rng): string {
  let out = doc;
  for (let i = 1 + r.int(3); i > 0; i--) {
    const at = r.int(out.length + 1);
    switch (r.int(7)) {
      case 0:
        out = out.slice(0, at) + r.pick(SNIPPETS) + out.slice(at);
        break;
      case 1:
        out = out.slice(0, at);
        break;
      case 2:
        out = out.slice(0, at) + out.slice(at + 1 + r.int(10));
        break;
      case 3: {
        const depth = r.pick([17, 100, 5000]);
        out = out.slice(0, at) + '<d>'.repeat(depth) + '</d>'.repeat(depth) + out.slice(at);
        break;
      }
      case 4:
        out = out.replace('hello', r.pick(['&amp;'.repeat(20_000), 'x'.repeat(200_000), '<![CDATA[' + 'y'.repeat(1000) + ']]>']));
        break;
      case 5:
        out = out.replace(/<(\w+)/, `<$1 ${'a="b" '.repeat(r.int(50))}`);
        break;
      default:
        out = out.slice(0, at) + String.fromCharCode(r.int(0x10000)) + out.slice(at);
    }
  }
  return out;
}

/** Mostly an operation the method has (so that cases reach the handlers), sometimes a wrong one. */
const TRANS_OF: Record<string, (string | undefined)[]> = { POST: [undefined], GET: [undefined, 'pop', 'order'], DELETE: [undefined, 'commit', 'rollback'] };
const TRANS = [undefined, 'pop', 'order', 'commit', 'rollback', 'x', ''];
const WAIT = ['0', '1', '', 'x', '-1', '31', '1e9'];
const NUMS = ['1', '16', '17', '0', '-1', 'abc', '99999999999'];

function query(r: Rng, method: string, topicNames: readonly string[]): string {
  const q = new URLSearchParams();
  if (r.chance(0.9)) q.set('consumer', r.chance(0.7) ? 'GID_fuzz' : r.pick(['GID_fuzz2', '', 'bad group!', 'x'.repeat(300)]));
  if (r.chance(0.6)) q.set('numOfMessages', r.chance(0.6) ? '16' : r.pick(NUMS));
  if (r.chance(0.6)) q.set('waitseconds', r.chance(0.7) ? '0' : r.pick(WAIT));
  const trans = r.chance(0.8) && TRANS_OF[method] ? r.pick(TRANS_OF[method]) : r.pick(TRANS);
  if (trans !== undefined) q.set('trans', trans);
  if (r.chance(0.2)) q.set('ns', r.pick(['', 'MQ_INST_1', '%%']));
  if (r.chance(0.2)) q.set('tag', r.pick(['TagA', '*', '||', 'a'.repeat(200)]));
  if (r.chance(0.1)) q.set(r.pick(topicNames), '');
  return q.toString();
}

/** A request to a gateway route; `agent` keeps connections alive between cases. */
export async function runHttpCase(port: number, agent: Agent, r: Rng, topicNames: readonly string[]): Promise<HttpCaseResult> {
  if (r.chance(0.05)) return rawBytes(port, r);
  const method = r.chance(0.9) ? r.pick(['POST', 'GET', 'DELETE']) : r.pick(['PUT', 'HEAD', 'OPTIONS', 'PATCH']);
  const topic = r.chance(0.9) ? r.pick(topicNames) : r.pick(['', '%ZZ', 'a/b', 'x'.repeat(300), '..']);
  const path = r.chance(0.95) ? `/topics/${topic}/messages?${query(r, method, topicNames)}` : r.pick(['/', '/topics', `/topics/${topic}`, '/x?y', '/topics/t/messages/extra']);
  let body: Buffer | undefined;
  if (method === 'POST' || method === 'DELETE' || method === 'PUT' || (method === 'GET' && r.chance(0.1))) {
    const doc = method === 'DELETE' ? HANDLES : MESSAGE;
    body = r.chance(0.1) ? r.bytes(r.int(200)) : Buffer.from(r.chance(0.3) ? doc : mutateXml(doc, r), 'utf8');
  }
  const headers: Record<string, string> = { 'x-mq-version': '2015-06-06', date: new Date().toUTCString(), host: '127.0.0.1' };
  if (body) headers['content-length'] = String(body.length); // Node sends DELETE bodies unframed otherwise
  if (r.chance(0.2)) headers['content-type'] = r.pick(['text/xml', 'application/json', '']);
  if (r.chance(0.1)) headers.authorization = r.pick(['MQ ak:sig', 'garbage', 'MQ :', '']);
  const route = `${method} ${path.split('?')[0]!.replace(topic, '{topic}')}${path.includes('trans=') ? ` trans=${new URLSearchParams(path.split('?')[1]).get('trans')}` : ''}`;
  return new Promise((resolve) => {
    const req = request({ port, host: '127.0.0.1', method, path, headers, agent, timeout: TIMEOUT_MS }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        if (status >= 500) resolve({ route, outcome: `http:${status}`, finding: `HTTP ${status}: ${Buffer.concat(chunks).toString('utf8').slice(0, 300)}` });
        else resolve({ route, outcome: `http:${status}` });
      });
      res.on('error', () => resolve({ route, outcome: 'aborted' }));
    });
    req.on('timeout', () => {
      req.destroy();
      resolve({ route, outcome: 'hang', finding: `no answer within ${TIMEOUT_MS} ms` });
    });
    req.on('error', (err) => resolve({ route, outcome: `error:${(err as NodeJS.ErrnoException).code ?? err.message}` }));
    req.end(body);
  });
}

/** Bytes that are not HTTP (or an HTTP head cut short): the server answers 400 or closes, never hangs. */
function rawBytes(port: number, r: Rng): Promise<HttpCaseResult> {
  const bytes = r.chance(0.5)
    ? r.bytes(1 + r.int(512))
    : Buffer.from(`POST /topics/t/messages HTTP/1.1\r\nContent-Length: ${r.pick(['-1', 'abc', '99999999999999999999', '5, 6'])}\r\n\r\nabc`);
  return rawExchange(port, bytes, 'raw bytes');
}

const GRPC_PORT_PREFIXES = [
  '',
  'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n',
  'GET / HTTP/1.1\r\nHost: x\r\n\r\n',
  'POST /x HTTP/1.1\r\n',
  '\x16\x03\x01\x02\x00',
  '\x00\x00\x00\x10\x00\x00\x00\x08{"code":',
];

/** What connects to the gRPC port speaking something else, or HTTP/2 and TLS garbage: answered or closed, never held. */
export function runGrpcPortBytes(port: number, r: Rng): Promise<HttpCaseResult> {
  const bytes = Buffer.concat([Buffer.from(r.pick(GRPC_PORT_PREFIXES), 'latin1'), r.bytes(r.int(256))]);
  return rawExchange(port, bytes, 'gRPC port raw bytes');
}

function rawExchange(port: number, bytes: Buffer, route: string): Promise<HttpCaseResult> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({
        route,
        outcome: 'hang',
        finding: `${route} not answered or closed within ${TIMEOUT_MS} ms (sent ${bytes.length} bytes: ${bytes.subarray(0, 48).toString('hex')})`,
      });
    }, TIMEOUT_MS);
    let head = '';
    socket.on('data', (c: Buffer) => (head += c.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0);
      if (status >= 500) resolve({ route, outcome: `http:${status}`, finding: `HTTP ${status} for ${route}` });
      else resolve({ route, outcome: status ? `http:${status}` : head.length > 0 ? 'answered' : 'closed' });
    });
    socket.end(bytes);
  });
}
