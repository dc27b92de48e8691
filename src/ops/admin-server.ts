// Owns the admin HTTP listener (`--admin-port`, loopback by default): node:http serving a table of
// routes that operations features register (health, Prometheus metrics, the web console and its
// JSON API). A route matches an exact path, or a path prefix when it ends in `/*`; the first match
// wins; an unknown path is a 404 naming the known ones. Errors a route throws become a JSON error
// body with the RocketMQ code; no stack trace leaves the process. With an `authenticate` hook
// (--auth), every route but /healthz needs it to pass.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BrokerError, Code, codeName } from '../errors.js';
import type { Logger } from '../logger.js';
import { listenError } from '../protocol/listen-error.js';

export type AdminMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface AdminRoute {
  method: AdminMethod;
  /** `/metrics` (exact) or `/api/*` (prefix). */
  path: string;
  handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> | void;
  /** Served without authentication when auth is on: holds no broker data (the console's page files). */
  public?: boolean;
}

export interface AdminServer {
  /** The port actually bound. */
  readonly port: number;
  close(): Promise<void>;
}

export interface AdminServerOptions {
  host: string;
  port: number;
  routes: readonly AdminRoute[];
  log: Logger;
  /** With --auth: admits a request to any route but /healthz, or throws (UNAUTHORIZED, FORBIDDEN). */
  authenticate?: (req: IncomingMessage) => void;
}

function matches(route: AdminRoute, method: string, path: string): boolean {
  if (route.method !== method && !(method === 'HEAD' && route.method === 'GET')) return false;
  return route.path.endsWith('/*') ? path === route.path.slice(0, -2) || path.startsWith(route.path.slice(0, -1)) : path === route.path;
}

/** Writes `{ code, status, message }` with the HTTP status that fits the RocketMQ code. */
export function sendAdminError(res: ServerResponse, err: BrokerError): void {
  const status = Math.floor(err.code / 100);
  const body = JSON.stringify({ code: err.code, status: codeName(err.code), message: err.message });
  res.writeHead(status >= 400 && status < 600 ? status : 500, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) }).end(body);
}

export async function startAdminServer(options: AdminServerOptions): Promise<AdminServer> {
  const { host, port, routes, log } = options;
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://admin');
    const method = req.method ?? 'GET';
    const route = routes.find((r) => matches(r, method, url.pathname));
    const served = async (): Promise<void> => {
      // Public routes (health, the console's page and assets: it signs in itself) need no credentials.
      if (options.authenticate && !route?.public) options.authenticate(req);
      if (!route) {
        const known = routes.some((r) => matches({ ...r, method: 'GET' }, 'GET', url.pathname));
        throw known
          ? new BrokerError(Code.BAD_REQUEST, `${method} is not allowed on ${url.pathname}`)
          : new BrokerError(Code.NOT_FOUND, `no admin route ${url.pathname}; known: ${routes.map((r) => `${r.method} ${r.path}`).join(', ')}`);
      }
      await route.handle(req, res, url);
    };
    served().catch((err: unknown) => {
      const mapped = err instanceof BrokerError ? err : new BrokerError(Code.INTERNAL_ERROR, 'internal error serving an admin request');
      if (!(err instanceof BrokerError)) log.error({ err, path: url.pathname }, 'admin request failed');
      if (res.headersSent) res.destroy();
      else sendAdminError(res, mapped);
    });
  });
  server.keepAliveTimeout = 5_000;
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => reject(listenError(err, 'admin', host, port));
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  log.info({ admin: `${host}:${bound}` }, 'admin listener started');
  let closed: Promise<void> | undefined;
  return {
    port: bound,
    close() {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closed;
    },
  };
}
