// Owns `GET /healthz` on the admin listener: 200 with `{ status: "ok" }` while the broker serves.
import type { AdminRoute } from './admin-server.js';

export function healthRoutes(): AdminRoute[] {
  return [
    {
      method: 'GET',
      path: '/healthz',
      public: true,
      handle(_req, res) {
        const body = JSON.stringify({ status: 'ok' });
        res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) }).end(body);
      },
    },
  ];
}
