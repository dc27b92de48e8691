// The brokers a route lists (ClusterService) and the heartbeat that feeds it (BrokerMembership,
// over the LevelDB backend's in-memory membership with a FakeClock): one broker named halfmoon
// at the dialled endpoints unless the store is shared; on a shared store every live broker, one
// address each, ordered by broker id, this one at the dialled address; registered endpoints
// parsed (IPv6 in brackets, bad ones left out); a dead broker gone after its TTL; leave on close.
import { describe, expect, it } from 'vitest';
import { BROKER_NAME, ClusterService, formatEndpoint, parseEndpoint } from '../../../src/cluster/cluster-service.js';
import { advertisedHostOf, BrokerMembership } from '../../../src/cluster/membership.js';
import { silentLogger } from '../../../src/logger.js';
import type { Endpoints } from '../../../src/protocol/types.js';
import type { LiveBroker } from '../../../src/store/broker-store.js';
import { Membership } from '../../../src/store/level/membership.js';
import { FakeClock } from '../../../src/util/clock.js';

const self = (requested?: Endpoints | null): Endpoints => ({
  scheme: 'IPv4',
  addresses: [{ host: requested?.addresses[0]?.host ?? '10.0.0.2', port: 8081 }],
});
const dialled: Endpoints = { scheme: 'DOMAIN_NAME', addresses: [{ host: 'mq.example', port: 8081 }] };

function cluster(shared: boolean, live: LiveBroker[]): ClusterService {
  return new ClusterService({ shared, brokerId: 'b2', self, live: () => live });
}

describe('ClusterService.brokers', () => {
  it('a store of its own: this broker alone, named halfmoon, at the endpoints the client dialled', () => {
    const c = cluster(false, [{ brokerId: 'b1', endpoint: '10.0.0.1:8081' }]);
    expect(c.brokers(dialled)).toEqual([{ name: BROKER_NAME, endpoints: { scheme: 'IPv4', addresses: [{ host: 'mq.example', port: 8081 }] } }]);
  });

  it('a shared store: every live broker with its one address, ordered by id, this one as dialled', () => {
    const c = cluster(true, [
      { brokerId: 'b3', endpoint: 'broker3.internal:9000' },
      { brokerId: 'b1', endpoint: '10.0.0.1:8081' },
      { brokerId: 'b2', endpoint: '10.0.0.2:8081' },
    ]);
    expect(c.brokers(dialled)).toEqual([
      { name: 'b1', endpoints: { scheme: 'IPv4', addresses: [{ host: '10.0.0.1', port: 8081 }] } },
      { name: 'b2', endpoints: { scheme: 'IPv4', addresses: [{ host: 'mq.example', port: 8081 }] } },
      { name: 'b3', endpoints: { scheme: 'DOMAIN_NAME', addresses: [{ host: 'broker3.internal', port: 9000 }] } },
    ]);
  });

  it('a shared store: lists this broker even before its first heartbeat was read back', () => {
    expect(
      cluster(true, [])
        .brokers(null)
        .map((b) => b.name),
    ).toEqual(['b2']);
  });

  it('leaves out a registered endpoint it cannot parse', () => {
    const c = cluster(true, [
      { brokerId: 'a', endpoint: 'no-port' },
      { brokerId: 'c', endpoint: '[::1]:7000' },
      { brokerId: 'd', endpoint: 'host:99999' },
    ]);
    expect(c.brokers(null)).toEqual([
      { name: 'b2', endpoints: { scheme: 'IPv4', addresses: [{ host: '10.0.0.2', port: 8081 }] } },
      { name: 'c', endpoints: { scheme: 'IPv6', addresses: [{ host: '::1', port: 7000 }] } },
    ]);
  });
});

describe('endpoint text', () => {
  it('round-trips host:port, with an IPv6 host in brackets', () => {
    for (const address of [
      { host: '10.1.2.3', port: 8081 },
      { host: 'db.internal', port: 1 },
      { host: 'fe80::1', port: 65535 },
    ]) {
      expect(parseEndpoint(formatEndpoint(address))).toEqual(address);
    }
    expect(formatEndpoint({ host: 'fe80::1', port: 8081 })).toBe('[fe80::1]:8081');
    expect(parseEndpoint('10.0.0.1:0')).toBeUndefined();
    expect(parseEndpoint('fe80::1:8081')).toBeUndefined();
  });

  it('advertises advertisedHost, else the bound host unless it is a wildcard', () => {
    expect(advertisedHostOf({ advertisedHost: 'mq.example', host: '0.0.0.0' })).toBe('mq.example');
    expect(advertisedHostOf({ advertisedHost: '', host: '10.0.0.7' })).toBe('10.0.0.7');
    expect(advertisedHostOf({ advertisedHost: '', host: '0.0.0.0' })).not.toBe('0.0.0.0');
  });
});

describe('BrokerMembership', () => {
  const config = { brokerHeartbeatIntervalMs: 500, brokerTtlMs: 2000 };

  it('heartbeats on start, each beat renews this broker and reads the others, and leaves on close', async () => {
    const clock = new FakeClock();
    const store = new Membership(clock);
    const m = new BrokerMembership({ store, brokerId: 'b1', endpoint: () => '10.0.0.1:8081', config, clock, log: silentLogger() });
    await store.heartbeatBroker('b0', '10.0.0.9:8081', config.brokerTtlMs);
    await m.start();
    expect(m.live()).toEqual([
      { brokerId: 'b0', endpoint: '10.0.0.9:8081' },
      { brokerId: 'b1', endpoint: '10.0.0.1:8081' },
    ]);
    // b0 stops heartbeating: gone once its TTL has passed; b1 renews with each beat.
    for (let i = 0; i < 5; i++) {
      clock.advance(config.brokerHeartbeatIntervalMs);
      await m.beat();
    }
    expect(m.live()).toEqual([{ brokerId: 'b1', endpoint: '10.0.0.1:8081' }]);
    await m.close();
    expect(await store.liveBrokers()).toEqual([]);
  });
});
