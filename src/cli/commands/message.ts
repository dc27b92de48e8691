// Owns `halfmoon message show`: a message's trace over the admin API — where and when it was
// stored, the transaction it came from and how that was decided, its deliveries per group (attempt,
// client, acked / redelivered / dead-lettered) — looked up by message id or by business key.
import { parseIntArg, UsageError } from '../args.js';
import { formatTable } from '../output.js';
import { adminCommand } from './admin.js';

interface TraceMsg {
  state: string;
  message_id: string;
  topic: string;
  queue_id: number;
  offset: string;
  message_type: string;
  born_at_ms: string;
  stored_at_ms: string;
  born_host: string;
  tag: string;
  keys: string[];
  properties: Record<string, string>;
  body_size: number;
  body_preview: Buffer;
  transaction?: {
    transaction_id: string;
    state: string;
    received_at_ms: string;
    decided_by: string;
    decided_at_ms: string;
    reason: string;
    check_count: number;
    checks: { at_ms: string; client_id: string }[];
  } | null;
  deliveries: { group: string; attempt: number; delivered_at_ms: string; client_id: string; outcome: string; outcome_at_ms: string }[];
  dead_letter_of_topic: string;
  dead_letter_of_group: string;
}

const iso = (ms: string): string => new Date(Number(ms)).toISOString();

/** The body preview as text when it is printable UTF-8, else hex. */
function preview(t: TraceMsg): string {
  const bytes = Buffer.from(t.body_preview);
  const text = bytes.toString('utf8');
  const printable = !text.includes('\uFFFD') && !/[\x00-\x08\x0e-\x1f\x7f]/.test(text);
  const shown = printable
    ? JSON.stringify(text.length > 200 ? `${text.slice(0, 200)}…` : text)
    : `hex ${bytes.subarray(0, 64).toString('hex')}${bytes.length > 64 ? '…' : ''}`;
  return `${t.body_size} bytes, ${shown}`;
}

function describe(t: TraceMsg): string {
  const rows: [string, string][] = [['message', t.message_id]];
  if (t.state === 'STORED') rows.push(['stored', `${iso(t.stored_at_ms)} in ${t.topic}, queue ${t.queue_id}, offset ${t.offset}`]);
  else if (t.state === 'ROLLED_BACK') rows.push(['stored', `never: its transaction was rolled back (topic ${t.topic})`]);
  else rows.push(['stored', `not yet: its transaction is ${t.state} (topic ${t.topic}); consumers see it once it is committed`]);
  if (t.dead_letter_of_topic) rows.push(['dead letter of', `${t.dead_letter_of_topic}, consumed by group ${t.dead_letter_of_group}`]);
  if (t.message_type) rows.push(['type', t.message_type]);
  if (t.born_at_ms !== '0') rows.push(['born', `${iso(t.born_at_ms)}${t.born_host ? ` on ${t.born_host}` : ''}`]);
  if (t.tag) rows.push(['tag', t.tag]);
  if (t.keys.length) rows.push(['keys', t.keys.join(', ')]);
  const props = Object.entries(t.properties);
  if (props.length) rows.push(['properties', props.map(([k, v]) => `${k}=${v}`).join(', ')]);
  if (t.state !== 'ROLLED_BACK') rows.push(['body', preview(t)]);
  const tx = t.transaction;
  if (tx) {
    const decided = tx.decided_by ? `${tx.state} by ${tx.decided_by} at ${iso(tx.decided_at_ms)}` : tx.state;
    rows.push(['transaction', `${tx.transaction_id}: ${decided}; half message received ${iso(tx.received_at_ms)}, ${tx.check_count} check(s)`]);
    if (tx.reason) rows.push(['', `reason: ${tx.reason}`]);
    tx.checks.forEach((c) => rows.push(['', `check sent ${iso(c.at_ms)} to ${c.client_id}`]));
  }
  const head = rows.map(([k, v]) => `${k.padEnd(14)} ${v}`).join('\n');
  if (t.state !== 'STORED') return head;
  const deliveries = t.deliveries.length
    ? formatTable(
        ['GROUP', 'ATTEMPT', 'DELIVERED', 'CLIENT', 'OUTCOME'],
        t.deliveries.map((d) => [
          d.group,
          String(d.attempt),
          iso(d.delivered_at_ms),
          d.client_id || '-',
          d.outcome_at_ms !== '0' ? `${d.outcome} at ${iso(d.outcome_at_ms)}` : d.outcome,
        ]),
      )
    : '(not delivered to any group yet)';
  return `${head}\ndeliveries\n${deliveries.replace(/^/gm, '  ')}`;
}

export const messageCommand = adminCommand('message', 'Message traces', {
  show: {
    usage: 'message show ID [--topic T]   |   message show --key K [--topic T] [--limit N]',
    details: `Shows a message's trace: when and where it was stored, the transaction it came from and how that was
decided, and each delivery per consumer group (attempt, client, and whether it was acked, redelivered,
dead-lettered or dropped by an offset reset). By --key K: the messages carrying business key K, newest
first (at most --limit, default 20). Traces are kept as long as the message is retained.`,
    async run({ admin, values, name, print, usage }) {
      if (name && values.key) throw new UsageError('message show takes a message id or --key K, not both', usage);
      if (!name && !values.key) throw new UsageError('message show needs a message id (or --key K)', usage);
      const res = name
        ? await admin.call<{ messages: TraceMsg[] }>('ShowMessage', { message_id: name, topic: values.topic ?? '' })
        : await admin.call<{ messages: TraceMsg[] }>('ListMessages', {
            key: values.key,
            topic: values.topic ?? '',
            limit: values.limit ? parseIntArg('--limit', values.limit, usage) : 20,
          });
      const json = res.messages.map((m) => ({ ...m, body_preview: Buffer.from(m.body_preview).toString('base64') }));
      return print(json, () => (res.messages.length ? res.messages.map(describe).join('\n\n') : `(no retained message carries key ${values.key})`));
    },
  },
});
