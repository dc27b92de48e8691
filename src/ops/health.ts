// Owns `GET /healthz` on the admin listener: 200 with `{ status: "ok" }` while the broker serves,
// 503 with `{ status: "unhealthy", reason }` while `health` says it cannot (e.g. its disk is full).
import type { AdminRoute } from './admin-server.js';

export function healthRoutes(health: () => { healthy: boolean; reason?: string } = () => ({ healthy: true })): AdminRoute[] {
  return [
    {
      method: 'GET',
      path: '/healthz',
      public: true,
      handle(_req, res) {
        const h = health();
        const body = JSON.stringify(h.healthy ? { status: 'ok' } : { status: 'unhealthy', reason: h.reason });
        res.writeHead(h.healthy ? 200 : 503, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) }).end(body);
      },
    },
  ];
}
