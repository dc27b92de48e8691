// Owns the web console on the admin listener: the page at `/` and `/assets/*` (static.ts) and its
// JSON API at `/api/*` (api.ts), fed by the services and the traffic sampler (traffic.ts) that the
// broker runs as one of its background tasks. See docs/console.md.
import type { ServiceContext } from '../../services.js';
import type { AdminRoute } from '../admin-server.js';
import { apiRoutes } from './api.js';
import { staticRoutes } from './static.js';
import type { TrafficSampler } from './traffic.js';

export { TrafficSampler } from './traffic.js';

export function consoleRoutes(services: ServiceContext, traffic: TrafficSampler): AdminRoute[] {
  return [...staticRoutes(), ...apiRoutes(services, traffic)];
}
