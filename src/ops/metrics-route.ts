// Owns `GET /metrics` on the admin listener: the broker's Prometheus text exposition (prom-client's
// registry of this broker, gauges read at scrape time). Names: see docs/operations.md.
import type { BrokerMetrics } from '../metrics/broker-metrics.js';
import type { AdminRoute } from './admin-server.js';

export function metricsRoutes(metrics: BrokerMetrics): AdminRoute[] {
  return [
    {
      method: 'GET',
      path: '/metrics',
      async handle(_req, res) {
        const body = await metrics.scrape();
        res.writeHead(200, { 'content-type': metrics.contentType, 'content-length': Buffer.byteLength(body) }).end(body);
      },
    },
  ];
}
