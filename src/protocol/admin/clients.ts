// Admin RPCs for clients: list the connected clients (this broker's, and on a shared store those
// of the other live brokers, asked with local_only), describe one; plus asking a peer broker for
// its own clients over the same RPC.
import * as grpc from '@grpc/grpc-js';
import { BrokerError, Code } from '../../errors.js';
import type { ClientInfo } from '../../session/client-service.js';
import type { LiveBroker } from '../../store/broker-store.js';
import type { CallInfo } from '../context.js';
import { adminService } from '../proto.js';
import type { ServiceContext } from '../../services.js';
import { OK_STATUS } from '../status.js';
import type { Status } from '../types.js';

/** How long a peer broker may take to list its clients. */
const PEER_TIMEOUT_MS = 3_000;

/** A client as the admin API carries it (halfmoon.admin.v1.Client). */
export interface ClientMessage {
  client_id: string;
  client_type: string;
  language: string;
  version: string;
  platform: string;
  hostname: string;
  group: string;
  topics: string[];
  settings_json: string;
  last_heartbeat_ms: string;
  telemetry_open: boolean;
  attached_at_ms: string;
  broker_id: string;
  broker_endpoint: string;
}

function toMessage(c: ClientInfo): ClientMessage {
  return {
    client_id: c.clientId,
    client_type: c.clientType,
    language: c.language,
    version: c.version,
    platform: c.platform,
    hostname: c.hostname,
    group: c.group,
    topics: c.topics,
    settings_json: c.settingsJson,
    last_heartbeat_ms: String(c.lastHeartbeatMs),
    telemetry_open: c.telemetryOpen,
    attached_at_ms: String(c.attachedAtMs),
    broker_id: c.brokerId,
    broker_endpoint: c.brokerEndpoint,
  };
}

function fromMessage(m: ClientMessage): ClientInfo {
  return {
    clientId: m.client_id,
    clientType: m.client_type,
    language: m.language,
    version: m.version,
    platform: m.platform,
    hostname: m.hostname,
    group: m.group,
    topics: m.topics,
    settingsJson: m.settings_json,
    lastHeartbeatMs: Number(m.last_heartbeat_ms),
    telemetryOpen: m.telemetry_open,
    attachedAtMs: Number(m.attached_at_ms),
    brokerId: m.broker_id,
    brokerEndpoint: m.broker_endpoint,
  };
}

export async function listClients(req: { local_only: boolean; group: string; topic: string }, _c: CallInfo, svc: ServiceContext) {
  const filter = { ...(req.group ? { group: req.group } : {}), ...(req.topic ? { topic: req.topic } : {}) };
  if (req.local_only) return { status: OK_STATUS, clients: svc.clients.local(filter).map(toMessage), unreachable_brokers: [] };
  const { clients, unreachableBrokers } = await svc.clients.list(filter);
  return { status: OK_STATUS, clients: clients.map(toMessage), unreachable_brokers: unreachableBrokers };
}

export async function describeClient(req: { client_id: string }, _c: CallInfo, svc: ServiceContext) {
  return { status: OK_STATUS, sessions: (await svc.clients.describe(req.client_id)).map(toMessage) };
}

type ListClientsCall = (
  request: object,
  options: grpc.CallOptions,
  callback: (err: grpc.ServiceError | null, res: { status?: Status; clients?: ClientMessage[] }) => void,
) => void;

/** Asks another broker of the membership for its own clients (ListClients with local_only). */
export function askPeerClients(broker: LiveBroker): Promise<ClientInfo[]> {
  const Client = adminService();
  const client = new Client(broker.endpoint, grpc.credentials.createInsecure());
  return new Promise<ClientInfo[]>((resolve, reject) => {
    const call = (client as unknown as { ListClients: ListClientsCall }).ListClients.bind(client);
    call({ local_only: true }, { deadline: Date.now() + PEER_TIMEOUT_MS }, (err, res) => {
      client.close();
      if (err) reject(err);
      else if (res.status && res.status.code !== 'OK') reject(new BrokerError(Code.INTERNAL_ERROR, `broker ${broker.brokerId} refused ListClients: ${res.status.message}`));
      else resolve((res.clients ?? []).map(fromMessage));
    });
  });
}
