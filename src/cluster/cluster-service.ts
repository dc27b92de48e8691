// Owns which brokers a route lists. One broker (a store of its own, LevelDB): itself, under the
// name `halfmoon`, at the endpoints the client reached it by. Several brokers on a shared store
// (PostgreSQL): every live broker as a logical broker of its own, named by its broker id, with
// its one advertised address (this broker at the address the client dialled), ordered by broker
// id so that every broker answers the same list. Each logical broker carries queue id 0 of the
// topic (the official Node client only uses queue id 0); all of them are the same queue in the
// store, so any broker serves any of them.
//
// Why one logical broker per process and not one broker whose Endpoints list every address:
// the official Node client dials an Endpoints as the gRPC target "h1:p1,h2:p2", which grpc-js
// cannot resolve, so a multi-address Endpoints is unreachable for it. With one address per
// logical broker, both official clients spread over the brokers (random start, round-robin per
// send and receive), skip a broker that failed (isolation) and retry sends elsewhere, and open
// one Telemetry session per broker, so a transaction check can reach a producer from any broker.
import { isIP } from 'node:net';
import type { LiveBroker } from '../store/broker-store.js';
import type { Address, Endpoints } from '../protocol/types.js';

/** The logical broker name of a broker that owns its store. */
export const BROKER_NAME = 'halfmoon';

export interface RouteBroker {
  name: string;
  endpoints: Endpoints;
}

export function schemeOf(host: string): string {
  const v = isIP(host);
  return v === 4 ? 'IPv4' : v === 6 ? 'IPv6' : 'DOMAIN_NAME';
}

export function endpointsOf(address: Address): Endpoints {
  return { scheme: schemeOf(address.host), addresses: [address] };
}

/** host:port, with an IPv6 host in brackets (the form brokers register in the store). */
export function formatEndpoint(address: Address): string {
  return isIP(address.host) === 6 ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}

/** The address of a registered endpoint; undefined unless it is host:port with a valid port. */
export function parseEndpoint(text: string): Address | undefined {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text.trim());
  if (!match) return undefined;
  const port = Number(match[3]);
  if (port < 1 || port > 65535) return undefined;
  return { host: (match[1] ?? match[2])!, port };
}

export interface ClusterServiceDeps {
  /** The store is shared by several broker processes (capabilities.sharedAcrossProcesses). */
  shared: boolean;
  brokerId: string;
  /** This broker's endpoints as the requesting client should see them. */
  self: (requested?: Endpoints | null) => Endpoints;
  /** The live brokers as last read from the store (see BrokerMembership). */
  live: () => readonly LiveBroker[];
}

export class ClusterService {
  constructor(private readonly deps: ClusterServiceDeps) {}

  /** The logical brokers a route or an assignment lists, for a client that dialled `requested`. */
  brokers(requested?: Endpoints | null): RouteBroker[] {
    const { shared, brokerId, self, live } = this.deps;
    if (!shared) return [{ name: BROKER_NAME, endpoints: self(requested) }];
    const out: { id: string; broker: RouteBroker }[] = [{ id: brokerId, broker: { name: brokerId, endpoints: self(requested) } }];
    for (const b of live()) {
      if (b.brokerId === brokerId) continue;
      const address = parseEndpoint(b.endpoint);
      if (address) out.push({ id: b.brokerId, broker: { name: b.brokerId, endpoints: endpointsOf(address) } });
    }
    return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)).map((e) => e.broker);
  }
}
