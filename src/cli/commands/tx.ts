// Owns `halfmoon tx`: list, describe, commit and roll back transactions and show their counters
// over the admin API.
import { parseChoice, parseIntArg } from '../args.js';
import { formatTable } from '../output.js';
import { adminCommand, type AdminContext } from './admin.js';

interface TxMsg {
  transaction_id: string;
  topic: string;
  message_id: string;
  state: string;
  producer_group: string;
  sender_client_id: string;
  check_count: number;
  received_at_ms: string;
  next_check_at_ms: string;
  last_check_at_ms: string;
  last_check_client_id: string;
  decided_by: string;
  decided_at_ms: string;
  reason: string;
  tag: string;
  keys: string[];
  body_size: number;
  checks: { at_ms: string; client_id: string }[];
  decided_by_user?: string;
  decided_by_client_id?: string;
  decided_by_address?: string;
}

async function resolve({ admin, need, print, values }: AdminContext, action: 'commit' | 'rollback'): Promise<number> {
  const id = need('a transaction id');
  const res = await admin.call<{ transaction: TxMsg; applied: boolean }>('ResolveTransaction', {
    transaction_id: id,
    resolution: action === 'commit' ? 'COMMIT' : 'ROLLBACK',
    reason: values.reason ?? '',
  });
  const verb = res.transaction.state === 'COMMITTED' ? 'committed' : 'rolled back';
  return print(res, () => `${res.applied ? verb : `already ${verb}`}: transaction ${id}`);
}

const TX_STATES = ['PENDING', 'ABANDONED', 'COMMITTED', 'ROLLED_BACK'] as const;

export const txCommand = adminCommand('tx', 'Transactions', {
  list: {
    usage: 'tx list [--topic T] [--state PENDING|ABANDONED] [--key K] [--limit N]   (with --key: decided ones too)',
    details: `Lists undecided transactions (PENDING: checks still to come; ABANDONED: out of checks, kept for an
operator), oldest first, at most --limit (default 100). With --key K: the transactions whose message
carried business key K, decided ones (--state COMMITTED|ROLLED_BACK) included, newest first.`,
    async run({ admin, values, print, usage }) {
      const res = await admin.call<{ transactions: TxMsg[] }>('ListTransactions', {
        topic: values.topic ?? '',
        state: values.state === undefined ? '' : parseChoice('--state', values.state, TX_STATES, usage),
        key: values.key ?? '',
        limit: values.limit ? parseIntArg('--limit', values.limit, usage) : 100,
      });
      return print(res.transactions, () =>
        formatTable(
          ['TRANSACTION', 'TOPIC', 'STATE', 'CHECKS', 'AGE', 'NEXT CHECK', 'LAST CHECK'],
          res.transactions.map((t) => [
            t.transaction_id,
            t.topic,
            t.state,
            String(t.check_count),
            age(t.received_at_ms),
            t.state === 'PENDING' ? when(t.next_check_at_ms) : '-',
            t.last_check_client_id ? `${age(t.last_check_at_ms)} ago, unanswered, via ${t.last_check_client_id}` : '-',
          ]),
        ),
      );
    },
  },
  describe: {
    usage: 'tx describe ID',
    async run({ admin, need, print }) {
      const res = await admin.call<{ transaction: TxMsg }>('DescribeTransaction', { transaction_id: need('a transaction id') });
      return print(res.transaction, () => describeTx(res.transaction));
    },
  },
  commit: { usage: 'tx commit ID [--reason TEXT]', run: (ctx) => resolve(ctx, 'commit') },
  rollback: { usage: 'tx rollback ID [--reason TEXT]', run: (ctx) => resolve(ctx, 'rollback') },
  recheck: {
    usage: 'tx recheck ID                     (an ABANDONED transaction: check it again from now)',
    async run({ admin, need, print }) {
      const res = await admin.call<{ transaction: TxMsg }>('RecheckTransaction', { transaction_id: need('a transaction id') });
      return print(
        res.transaction,
        () => `re-armed: transaction ${res.transaction.transaction_id} is PENDING again; live producers of ${res.transaction.topic} will be asked`,
      );
    },
  },
  stats: {
    usage: 'tx stats',
    async run({ admin, print }) {
      const res = await admin.call<Record<string, string | string[]>>('GetTransactionStats', {});
      const { status: _status, ...counters } = res;
      const width = Math.max(...Object.keys(counters).map((k) => k.length));
      const text = (v: string | string[]) => (Array.isArray(v) ? v.join(', ') || '-' : v);
      return print(counters, () =>
        Object.entries(counters)
          .sort(([, a], [, b]) => Number(Array.isArray(a)) - Number(Array.isArray(b)))
          .map(([k, v]) => `${k.padEnd(width)}  ${text(v)}`)
          .join('\n'),
      );
    },
  },
});

function age(ms: string): string {
  const s = Math.max(0, Math.round((Date.now() - Number(ms)) / 1000));
  return s < 120 ? `${s}s` : s < 7200 ? `${Math.round(s / 60)}m` : `${Math.round(s / 3600)}h`;
}

function when(ms: string): string {
  const s = Math.round((Number(ms) - Date.now()) / 1000);
  return s <= 0 ? 'due' : `in ${s}s`;
}

function describeTx(t: TxMsg): string {
  const rows: [string, string][] = [
    ['transaction', t.transaction_id],
    ['topic', t.topic],
    ['message id', t.message_id],
    ['state', t.state],
    ['checks', String(t.check_count)],
    ['received', new Date(Number(t.received_at_ms)).toISOString()],
  ];
  if (t.state === 'PENDING') rows.push(['next check', new Date(Number(t.next_check_at_ms)).toISOString()]);
  if (t.sender_client_id) rows.push(['sender', t.sender_client_id]);
  if (t.last_check_client_id) rows.push(['last checked', `${new Date(Number(t.last_check_at_ms)).toISOString()} via ${t.last_check_client_id}`]);
  if (t.decided_by) rows.push(['decided', `${new Date(Number(t.decided_at_ms)).toISOString()} by ${t.decided_by}`]);
  const who = [
    t.decided_by_user ? `user ${t.decided_by_user}` : '',
    t.decided_by_client_id ? `client ${t.decided_by_client_id}` : '',
    t.decided_by_address ? `from ${t.decided_by_address}` : '',
  ]
    .filter((w) => w !== '')
    .join(', ');
  if (who) rows.push(['decided by', who]);
  if (t.reason) rows.push(['reason', t.reason]);
  if (t.tag) rows.push(['tag', t.tag]);
  if (t.keys.length) rows.push(['keys', t.keys.join(', ')]);
  t.checks.forEach((c, i) => rows.push([i === 0 ? 'check history' : '', `${new Date(Number(c.at_ms)).toISOString()} to ${c.client_id}`]));
  return rows.map(([k, v]) => `${k.padEnd(13)} ${v}`).join('\n');
}
