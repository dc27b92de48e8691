// Owns the MQ HTTP gateway's server: node:http with keep-alive above the SDK's long polls, the
// life of one request (request id, signature check, body, dispatch, response headers every SDK
// needs, error documents) and shutdown (long polls end first, then connections close). It
// protects the broker (docs/limits.md): a cap on connections, header/request/idle timeouts
// (slowloris), a cap on bodies read at once, and bodies bounded before they are read
// (Content-Length first, then a streaming cap); a refused body is never read: the answer
// closes the connection.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { ServiceContext } from '../services.js';
import { authenticateHttp, authorizeHttp } from './access.js';
import type { HttpContext, MqRequest, MqResponse } from './context.js';
import { errorResponse } from './documents.js';
import { Code } from '../errors.js';
import { MqHttpError, toMqError } from './errors.js';
import { readPem } from '../util/read-pem.js';
import { listenError } from '../protocol/listen-error.js';
import { parseTarget } from './params.js';
import { dispatch } from './routes.js';

export const MQ_VERSION = '2015-06-06';
/** Room for the XML around a message body: the document, tag and properties (escaped). */
export const XML_OVERHEAD_BYTES = 64 * 1024;
const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', '']);

export interface HttpGateway {
  /** The port actually bound. */
  port: number;
  /** The gateway's URL as clients reach it (advertised host or the bound one). */
  url: string;
  close(): Promise<void>;
}

/** The MQ HTTP operation a request names, as rocketmq_rpc_latency's request_code (a fixed set: bad input adds no series). */
const OPERATIONS: Readonly<Record<string, string>> = {
  POST: 'publishMessage',
  GET: 'consumeMessage',
  'GET order': 'consumeMessageOrderly',
  'GET pop': 'consumeHalfMessage',
  DELETE: 'ackMessage',
  'DELETE commit': 'commitMessage',
  'DELETE rollback': 'rollbackMessage',
};
function operationOf(method = 'GET', url = '/'): string {
  const trans = /[?&]trans=([a-z]+)(?:&|$)/.exec(url)?.[1];
  return OPERATIONS[trans ? `${method} ${trans}` : method] ?? 'other';
}

export async function startHttpGateway(svc: ServiceContext, host: string, port: number): Promise<HttpGateway> {
  const log = svc.log.child({ component: 'http' });
  const ctx: HttpContext = { svc, log };
  const closing = new AbortController();
  const inFlight = new Set<Promise<void>>();
  const { config } = svc;
  // The body as sent (XML-escaped) is bounded: a body heavy in markup characters is sent base64.
  const maxBodyBytes = config.maxMessageSizeBytes + config.maxPropertiesBytes + XML_OVERHEAD_BYTES;
  const bodies = { reading: 0, max: config.httpMaxConcurrentBodies, lingerMs: config.httpRefusedLingerMs };
  let hostId = '';

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const p = serve(req, res).finally(() => inFlight.delete(p));
    inFlight.add(p);
  };
  const timeouts = {
    headersTimeout: config.httpHeadersTimeoutMs,
    requestTimeout: config.httpRequestTimeoutMs,
    keepAliveTimeout: config.httpIdleTimeoutMs,
    // How often the two timeouts above are looked at (Node's default is 30 s).
    connectionsCheckingInterval: Math.max(10, Math.min(1000, Math.floor(Math.min(config.httpHeadersTimeoutMs, config.httpRequestTimeoutMs) / 2))),
  };
  // HTTPS with the gRPC server's certificate when --tls-cert/--tls-key are given.
  const server = svc.config.tlsCert
    ? createTlsServer({ ...timeouts, cert: readPem(svc.config.tlsCert, 'certificate'), key: readPem(svc.config.tlsKey, 'private key') }, onRequest)
    : createServer(timeouts, onRequest);
  server.maxConnections = config.httpMaxConnections;
  let dropped = 0;
  server.on('drop', (data?: { remoteAddress?: string }) => {
    dropped += 1;
    // The first refusal and every 1000th after it: a flood of refusals must not flood the log.
    if (dropped % 1000 === 1)
      log.warn({ remote: data?.remoteAddress, max: config.httpMaxConnections, refused: dropped }, 'HTTP connections refused: httpMaxConnections reached');
  });

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = randomBytes(12).toString('hex').toUpperCase();
    const started = svc.clock.now();
    const gone = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) gone.abort();
    });
    let response: MqResponse;
    try {
      const method = req.method ?? 'GET';
      const url = req.url ?? '/';
      const identity = authenticateHttp({ method, url, headers: req.headers }, svc);
      const { topic, query } = parseTarget(url);
      authorizeHttp(identity, method, topic, query, svc);
      const body = await readBoundedBody(req, res, maxBodyBytes, bodies);
      const request: MqRequest = {
        method,
        topic,
        query,
        body,
        remoteAddress: req.socket.remoteAddress ?? '',
        ...(identity ? { user: identity.user } : {}),
        signal: AbortSignal.any([closing.signal, gone.signal]),
      };
      response = await dispatch(request, ctx);
    } catch (err) {
      const mapped = toMqError(err, log);
      response = { status: mapped.status, body: errorResponse(mapped.code, mapped.message, requestId, hostId) };
      log.debug({ requestId, method: req.method, url: req.url, status: mapped.status, code: mapped.code, detail: mapped.message }, 'MQ HTTP request failed');
    }
    if (res.destroyed) return;
    const headers: Record<string, string | number> = { 'x-mq-request-id': requestId, 'x-mq-version': MQ_VERSION };
    if (response.body !== undefined) {
      const bytes = Buffer.from(response.body, 'utf8');
      headers['content-type'] = 'text/xml;charset=utf-8';
      headers['content-length'] = bytes.length;
      res.writeHead(response.status, headers).end(bytes);
    } else {
      res.writeHead(response.status, headers).end();
    }
    const ms = svc.clock.now() - started;
    svc.metrics.rpc('http', operationOf(req.method, req.url), String(response.status), ms);
    log.trace({ requestId, method: req.method, url: req.url, status: response.status, ms }, 'MQ HTTP request');
  }

  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => reject(listenError(err, 'http', host, port));
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  const publicHost = svc.config.advertisedHost || (WILDCARD_HOSTS.has(host) ? '127.0.0.1' : host);
  hostId = `${svc.config.tlsCert ? 'https' : 'http'}://${publicHost.includes(':') ? `[${publicHost}]` : publicHost}:${bound}`;
  log.info({ http: `${host}:${bound}`, signed: svc.config.accessKey !== '' || svc.auth.enabled }, 'MQ HTTP gateway listening');

  let closed: Promise<void> | undefined;
  return {
    port: bound,
    url: hostId,
    close() {
      closed ??= (async () => {
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        closing.abort(); // long polls answer MessageNotExist now
        server.closeIdleConnections();
        await Promise.allSettled([...inFlight]);
        server.closeAllConnections();
        await stopped;
        log.info('MQ HTTP gateway stopped');
      })();
      return closed;
    },
  };
}

/** The declared body size: Content-Length, 'chunked' for a streamed body, 0 for none. */
function declaredLength(req: IncomingMessage): number | 'chunked' {
  if (req.headers['transfer-encoding'] !== undefined) return 'chunked';
  const raw = req.headers['content-length'];
  if (raw === undefined) return 0;
  const n = Number(raw);
  if (!/^[0-9]{1,16}$/.test(raw) || !Number.isSafeInteger(n)) throw new MqHttpError('InvalidArgument', `Content-Length ${raw.slice(0, 20)} is not a byte count`);
  return n;
}

function tooLarge(size: number | string, limit: number): MqHttpError {
  return new MqHttpError(
    'PayloadTooLarge',
    `the request body is ${size} bytes; at most ${limit} are accepted (maxMessageSizeBytes + maxPropertiesBytes + ${XML_OVERHEAD_BYTES} of XML): send large or markup-heavy bodies base64-encoded, or raise maxMessageSizeBytes`,
    Code.PAYLOAD_TOO_LARGE,
  );
}

/**
 * Reads the body within `limit` bytes and `bodies.max` bodies at once. A body refused for its
 * size or for the number of bodies being read is not read: the connection closes after the answer.
 */
async function readBoundedBody(req: IncomingMessage, res: ServerResponse, limit: number, bodies: { reading: number; max: number; lingerMs: number }): Promise<Buffer> {
  const declared = declaredLength(req);
  if (declared === 0) return Buffer.alloc(0);
  const refuse = (err: MqHttpError): never => {
    res.shouldKeepAlive = false;
    lingeringClose(req.socket, bodies.lingerMs);
    throw err;
  };
  if (declared !== 'chunked' && declared > limit) refuse(tooLarge(declared, limit));
  if (bodies.reading >= bodies.max) {
    refuse(new MqHttpError('QpsLimitExceeded', `${bodies.max} request bodies are being read already (httpMaxConcurrentBodies): retry later`, Code.TOO_MANY_REQUESTS));
  }
  bodies.reading += 1;
  try {
    return await readBody(req, limit);
  } catch (err) {
    if (err instanceof MqHttpError) refuse(err);
    throw err;
  } finally {
    bodies.reading -= 1;
  }
}

/**
 * After the answer, the connection is half-closed and what the client still sends is discarded
 * (not kept) for up to `ms`, then it is closed: closing at once with unread data resets the
 * connection, and the client would lose the answer that says why.
 */
function lingeringClose(socket: Socket, ms: number): void {
  socket.destroySoon = function (this: Socket): void {
    this.end();
    const timer = setTimeout(() => this.destroy(), ms);
    timer.unref();
    this.once('close', () => clearTimeout(timer));
  };
}

/** Reads the whole body; past `limit` bytes it stops reading and refuses the request. */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
      else {
        req.off('data', onData);
        chunks.length = 0;
        reject(tooLarge(`more than ${limit}`, limit));
      }
    };
    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
    req.on('close', () => {
      if (!req.complete) reject(new MqHttpError('InvalidArgument', 'the client closed the connection before the request body was complete'));
    });
  });
}
