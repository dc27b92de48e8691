// Owns the MQ HTTP gateway's server: node:http with keep-alive above the SDK's long polls, the
// life of one request (request id, signature check, body, dispatch, response headers every SDK
// needs, error documents) and shutdown (long polls end first, then connections close).
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ServiceContext } from '../services.js';
import type { HttpContext, MqRequest, MqResponse } from './context.js';
import { errorResponse } from './documents.js';
import { MqHttpError, toMqError } from './errors.js';
import { listenError } from '../protocol/listen-error.js';
import { parseTarget } from './params.js';
import { dispatch } from './routes.js';
import { verifyRequest } from './signature.js';

export const MQ_VERSION = '2015-06-06';
/** Above the Node SDK's 33 s long-poll timeout, so an idle socket is never closed under a reuse. */
export const KEEP_ALIVE_TIMEOUT_MS = 40_000;
const HEADERS_TIMEOUT_MS = 45_000;
const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', '']);

export interface HttpGateway {
  /** The port actually bound. */
  port: number;
  /** The gateway's URL as clients reach it (advertised host or the bound one). */
  url: string;
  close(): Promise<void>;
}

export async function startHttpGateway(svc: ServiceContext, host: string, port: number): Promise<HttpGateway> {
  const log = svc.log.child({ component: 'http' });
  const ctx: HttpContext = { svc, log };
  const closing = new AbortController();
  const inFlight = new Set<Promise<void>>();
  // XML may escape every byte of a body (e.g. &quot;), hence the factor.
  const maxBodyBytes = svc.config.maxMessageSizeBytes * 6 + 64 * 1024;
  let hostId = '';

  const server = createServer((req, res) => {
    const p = serve(req, res).finally(() => inFlight.delete(p));
    inFlight.add(p);
  });
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  server.headersTimeout = HEADERS_TIMEOUT_MS;

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
      if (svc.config.accessKey) verifyRequest({ method, url, headers: req.headers }, { accessKey: svc.config.accessKey, secretKey: svc.config.secretKey }, svc.clock.now());
      const { topic, query } = parseTarget(url);
      const body = await readBody(req, maxBodyBytes);
      const request: MqRequest = {
        method,
        topic,
        query,
        body,
        remoteAddress: req.socket.remoteAddress ?? '',
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
    log.trace({ requestId, method: req.method, url: req.url, status: response.status, ms: svc.clock.now() - started }, 'MQ HTTP request');
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
  hostId = `http://${publicHost.includes(':') ? `[${publicHost}]` : publicHost}:${bound}`;
  log.info({ http: `${host}:${bound}`, signed: svc.config.accessKey !== '' }, 'MQ HTTP gateway listening');

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

/** Reads the whole body; past `limit` bytes the rest is drained and the request refused. */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    req.on('end', () => {
      if (size > limit) reject(new MqHttpError('InvalidArgument', `the request body is ${size} bytes; at most ${limit} are accepted (maxMessageSizeBytes)`));
      else resolve(Buffer.concat(chunks));
    });
    req.on('error', reject);
    req.on('close', () => {
      if (!req.complete) reject(new MqHttpError('InvalidArgument', 'the client closed the connection before the request body was complete'));
    });
  });
}
