// Owns the start-time warning about a broker reachable from other machines without --auth:
// binding a non-loopback address with authentication off logs a loud warning (it does not
// refuse to start; see SECURITY.md), and so does serving such an address without TLS.
import type { BrokerConfig } from '../config.js';
import type { Logger } from '../logger.js';

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export function warnIfExposed(config: Pick<BrokerConfig, 'host' | 'auth' | 'tlsCert'>, log: Logger): void {
  if (isLoopback(config.host)) return;
  if (!config.auth) {
    log.warn(
      { host: config.host },
      `SECURITY WARNING: the broker listens on ${config.host || 'every address'} WITHOUT AUTHENTICATION: anyone who can reach it may send, consume, decide transactions and use the admin API. Start it with --auth (and --init-user NAME:SECRET), or bind 127.0.0.1 (see SECURITY.md)`,
    );
  } else if (!config.tlsCert) {
    log.warn(
      { host: config.host },
      `the broker listens on ${config.host || 'every address'} without TLS: requests are signed but not encrypted; give it --tls-cert and --tls-key`,
    );
  }
}
