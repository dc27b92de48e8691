// Owns serving the web console's page: the files of src/ops/console/web (shipped in the package as
// they are: plain ES modules, no build step, no CDN) at `/` (index.html) and `/assets/<file>`. The
// directory is found next to this module when run from source, or under the package's src/ when
// run from dist/; only the files it held at start are served. They are `public` routes: the page
// must load before it can ask for credentials, and it holds no broker data.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BrokerError, Code } from '../../errors.js';
import type { AdminRoute } from '../admin-server.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/** The page loads only its own files and talks only to this listener. */
const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};

export function webDirectory(): string {
  const candidates = [new URL('./web/', import.meta.url), new URL('../../../../src/ops/console/web/', import.meta.url)].map((u) => fileURLToPath(u));
  const found = candidates.find((dir) => existsSync(join(dir, 'index.html')));
  if (!found) throw new Error(`the web console's files are missing (looked in ${candidates.join(' and ')}); reinstall the package`);
  return found;
}

export function staticRoutes(dir = webDirectory()): AdminRoute[] {
  const files = new Map<string, { type: string; body: Buffer }>();
  for (const name of readdirSync(dir)) {
    const type = TYPES[extname(name)];
    if (type) files.set(name, { type, body: readFileSync(join(dir, name)) });
  }
  const serve = (name: string, res: Parameters<AdminRoute['handle']>[1]): void => {
    const file = files.get(name);
    if (!file) throw new BrokerError(Code.NOT_FOUND, `no console file ${name}`);
    res.writeHead(200, { 'content-type': file.type, 'content-length': file.body.length, 'cache-control': 'no-cache', ...SECURITY_HEADERS }).end(file.body);
  };
  return [
    { method: 'GET', path: '/', public: true, handle: (_req, res) => serve('index.html', res) },
    { method: 'GET', path: '/assets/*', public: true, handle: (_req, res, url) => serve(decodeURIComponent(url.pathname.slice('/assets/'.length)), res) },
  ];
}
