// Owns `halfmoon client`: list the connected clients and describe one over the admin API (on a
// PostgreSQL cluster, every live broker's clients).
import type { ClientMessage } from '../../protocol/admin/clients.js';
import { formatTable } from '../output.js';
import { adminCommand } from './admin.js';

function ago(ms: string): string {
  const s = Math.max(0, Math.round((Date.now() - Number(ms)) / 1000));
  return s < 120 ? `${s}s ago` : s < 7200 ? `${Math.round(s / 60)}m ago` : `${Math.round(s / 3600)}h ago`;
}

const role = (c: ClientMessage): string => (c.client_type === 'PRODUCER' ? 'producer' : c.client_type === 'CLIENT_TYPE_UNSPECIFIED' ? '-' : 'consumer');

function describe(c: ClientMessage): string {
  const rows: [string, string][] = [
    ['client', c.client_id],
    ['type', `${c.client_type} (${role(c)})`],
    ['language', [c.language, c.version].filter(Boolean).join(' ') || '-'],
  ];
  if (c.platform || c.hostname) rows.push(['host', [c.hostname, c.platform].filter(Boolean).join(', ')]);
  if (c.group) rows.push(['group', c.group]);
  if (c.topics.length) rows.push(['topics', c.topics.join(', ')]);
  rows.push(['last heartbeat', `${new Date(Number(c.last_heartbeat_ms)).toISOString()} (${ago(c.last_heartbeat_ms)})`]);
  rows.push([
    'telemetry',
    c.telemetry_open ? `open on ${c.broker_id} (${c.broker_endpoint}) since ${new Date(Number(c.attached_at_ms)).toISOString()}` : `closed (session on ${c.broker_id})`,
  ]);
  if (c.settings_json) rows.push(['settings', JSON.stringify(JSON.parse(c.settings_json), null, 2).replace(/\n/g, '\n' + ' '.repeat(16))]);
  return rows.map(([k, v]) => `${k.padEnd(15)} ${v}`).join('\n');
}

export const clientCommand = adminCommand('client', 'Clients', {
  list: {
    usage: 'client list [--group G] [--topic T]',
    details: `Lists the clients connected to the broker (on a PostgreSQL cluster: to every live broker), with their
type, language and version, group or topics, last heartbeat and the broker holding their Telemetry stream.`,
    async run({ admin, values, print }) {
      const res = await admin.call<{ clients: ClientMessage[]; unreachable_brokers: string[] }>('ListClients', {
        local_only: false,
        group: values.group ?? '',
        topic: values.topic ?? '',
      });
      return print(res, () => {
        const table = formatTable(
          ['CLIENT', 'TYPE', 'LANGUAGE', 'GROUP / TOPICS', 'LAST HEARTBEAT', 'TELEMETRY ON'],
          res.clients.map((c) => [
            c.client_id,
            c.client_type,
            [c.language, c.version].filter(Boolean).join(' ') || '-',
            c.group || c.topics.join(',') || '-',
            ago(c.last_heartbeat_ms),
            c.telemetry_open ? c.broker_id : '-',
          ]),
        );
        const missing = res.unreachable_brokers.length ? `\n(not reachable, their clients are missing: ${res.unreachable_brokers.join(', ')})` : '';
        return table + missing;
      });
    },
  },
  describe: {
    usage: 'client describe ID',
    async run({ admin, need, print }) {
      const res = await admin.call<{ sessions: ClientMessage[] }>('DescribeClient', { client_id: need('a client id (see "halfmoon client list")') });
      return print(res.sessions, () => res.sessions.map(describe).join('\n\n'));
    },
  },
});
