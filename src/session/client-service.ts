// Owns the client list of `halfmoon client list|describe`, the admin RPCs and the console: every
// client this broker has a session for (id, type, language and version, group, topics, the
// settings it reported, last heartbeat, whether its Telemetry stream is open here), and — with a
// shared store — the clients of the other live brokers of the membership, asked through a peer
// lookup the broker injects (each broker only knows the streams it holds).
import { BrokerError, Code } from '../errors.js';
import type { LiveBroker } from '../store/broker-store.js';
import type { ClientSession, SessionRegistry } from './session-registry.js';

export interface ClientInfo {
  clientId: string;
  /** PRODUCER, PUSH_CONSUMER, SIMPLE_CONSUMER, ... (CLIENT_TYPE_UNSPECIFIED until it says). */
  clientType: string;
  language: string;
  version: string;
  platform: string;
  hostname: string;
  /** Consumers: their group. */
  group: string;
  /** Producers: the topics they publish to (or have sent to). */
  topics: string[];
  /** The settings the client last reported on its Telemetry stream, as JSON ('' when none). */
  settingsJson: string;
  /** Last time the client was heard from (heartbeat, settings, send). */
  lastHeartbeatMs: number;
  /** Its Telemetry stream is open on brokerId. */
  telemetryOpen: boolean;
  /** When that stream was bound (0 when none). */
  attachedAtMs: number;
  /** The broker holding the session. */
  brokerId: string;
  brokerEndpoint: string;
}

export interface ClientFilter {
  group?: string;
  topic?: string;
}

export interface ClientListing {
  clients: ClientInfo[];
  /** Live brokers of the membership that could not be asked (their clients are missing). */
  unreachableBrokers: string[];
}

export interface ClientServiceDeps {
  sessions: SessionRegistry;
  brokerId: string;
  /** This broker's advertised host:port. */
  endpoint: () => string;
  /** Live brokers of the store's membership (only this one on LevelDB). */
  liveBrokers: () => readonly LiveBroker[];
  /** Asks another broker for its own clients (undefined: this broker's clients only). */
  askPeer?: (broker: LiveBroker) => Promise<ClientInfo[]>;
}

function matches(c: ClientInfo, f: ClientFilter): boolean {
  return (!f.group || c.group === f.group) && (!f.topic || c.topics.includes(f.topic));
}

export class ClientService {
  constructor(private readonly deps: ClientServiceDeps) {}

  /** This broker's clients, ordered by client id. */
  local(filter: ClientFilter = {}): ClientInfo[] {
    return this.deps.sessions
      .all()
      .map((s) => this.info(s))
      .filter((c) => matches(c, filter))
      .sort((a, b) => (a.clientId < b.clientId ? -1 : a.clientId > b.clientId ? 1 : 0));
  }

  /** The clients of every live broker (this one's, then the others' as they answer), ordered by client id. */
  async list(filter: ClientFilter = {}): Promise<ClientListing> {
    const clients = this.local(filter);
    const unreachableBrokers: string[] = [];
    const { askPeer, brokerId } = this.deps;
    if (askPeer) {
      const peers = this.deps.liveBrokers().filter((b) => b.brokerId !== brokerId);
      const answers = await Promise.allSettled(peers.map((b) => askPeer(b)));
      answers.forEach((a, i) => {
        if (a.status === 'fulfilled') clients.push(...a.value.filter((c) => matches(c, filter)));
        else unreachableBrokers.push(peers[i]!.brokerId);
      });
    }
    clients.sort((a, b) => (a.clientId < b.clientId ? -1 : a.clientId > b.clientId ? 1 : a.brokerId < b.brokerId ? -1 : 1));
    return { clients, unreachableBrokers };
  }

  /** One client, wherever it is connected (the broker with an open stream first). */
  async describe(clientId: string): Promise<ClientInfo[]> {
    const id = clientId.trim();
    if (!id) throw new BrokerError(Code.BAD_REQUEST, 'client id is empty: pass one of the ids "halfmoon client list" shows');
    const { clients } = await this.list();
    const found = clients.filter((c) => c.clientId === id).sort((a, b) => Number(b.telemetryOpen) - Number(a.telemetryOpen));
    if (found.length === 0) {
      throw new BrokerError(
        Code.NOT_FOUND,
        `client ${id} is not connected to any live broker (clients are forgotten a while after they go quiet); see "halfmoon client list"`,
      );
    }
    return found;
  }

  private info(s: ClientSession): ClientInfo {
    return {
      clientId: s.clientId,
      clientType: s.clientType,
      language: s.userAgent?.language ?? '',
      version: s.userAgent?.version ?? '',
      platform: s.userAgent?.platform ?? '',
      hostname: s.userAgent?.hostname ?? '',
      group: s.group ?? '',
      topics: [...s.topics].sort(),
      settingsJson: s.reportedSettings === undefined ? '' : JSON.stringify(s.reportedSettings),
      lastHeartbeatMs: s.lastSeenMs,
      telemetryOpen: s.sink !== undefined,
      attachedAtMs: s.sink ? (s.attachedAtMs ?? 0) : 0,
      brokerId: this.deps.brokerId,
      brokerEndpoint: this.deps.endpoint(),
    };
  }
}
