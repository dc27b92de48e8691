// Micro-benchmark of the fast protobuf codecs (src/protocol/codec/) against proto-loader's generic
// serializers, per hot RPC: request decode + convert and reply convert + encode, µs per call on
// the same bytes / objects. Prints numbers, asserts nothing.
//   node --import tsx scripts/bench/codec.ts [--ms 1500]
import { performance } from 'node:perf_hooks';
import type * as grpc from '@grpc/grpc-js';
import { fromMs, toProtoMessage } from '../../src/protocol/convert.js';
import { genericMessagingService, messagingService } from '../../src/protocol/proto.js';
import { OK_STATUS } from '../../src/protocol/status.js';

type Method = grpc.MethodDefinition<unknown, unknown>;
const msIndex = process.argv.indexOf('--ms');
const BUDGET_MS = msIndex > 0 ? Number(process.argv[msIndex + 1]) : 1500;

const fast = (rpc: string): Method => messagingService().service[rpc] as Method;
const generic = (rpc: string): Method => genericMessagingService().service[rpc] as Method;

function perCallUs(f: () => unknown): number {
  for (let i = 0; i < 2000; i++) f();
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < BUDGET_MS) {
    for (let i = 0; i < 200; i++) f();
    n += 200;
  }
  return ((performance.now() - start) * 1000) / n;
}

function message(i: number, type: string): Record<string, unknown> {
  return {
    topic: { resource_namespace: '', name: 'bench-topic' },
    user_properties: { trace: `t-${i}`, app: 'bench' },
    system_properties: {
      tag: 'TagA',
      keys: [`key-${i}`],
      message_id: `01J${String(i).padStart(20, '0')}`,
      body_encoding: 'IDENTITY',
      message_type: type,
      born_timestamp: fromMs(1_764_000_000_000 + i),
      born_host: '10.0.0.1',
      ...(type === 'TRANSACTION' ? { orphaned_transaction_recovery_duration: { seconds: '5', nanos: 0 } } : {}),
    },
    body: Buffer.alloc(1024, 7),
  };
}

const stored = (i: number): Parameters<typeof toProtoMessage>[0] => ({
  topic: 'bench-topic',
  messageId: `01J${i}`,
  messageType: 'NORMAL',
  body: Buffer.alloc(1024, 7),
  keys: ['k'],
  userProperties: { a: '1' },
  bornTimestampMs: 1_764_000_000_000,
  bornHost: '10.0.0.1',
  tag: 'TagA',
  storeTimestampMs: 1_764_000_000_100,
  offset: 123_456 + i,
  queueId: 1,
});

const requests: [string, string, unknown][] = [
  ['SendMessage', '1 NORMAL', { messages: [message(1, 'NORMAL')] }],
  ['SendMessage', '1 TRANSACTION', { messages: [message(1, 'TRANSACTION')] }],
  ['SendMessage', '32 NORMAL', { messages: Array.from({ length: 32 }, (_, i) => message(i, 'NORMAL')) }],
  ['EndTransaction', '', { topic: { name: 'bench-topic' }, message_id: 'm', transaction_id: 'tx', resolution: 'COMMIT', source: 'SOURCE_CLIENT' }],
  [
    'AckMessage',
    '32 entries',
    { group: { name: 'g' }, topic: { name: 't' }, entries: Array.from({ length: 32 }, (_, i) => ({ message_id: `m${i}`, receipt_handle: `rh-${i}-xxxxxxxxxxxxxxxx` })) },
  ],
  ['ChangeInvisibleDuration', '', { group: { name: 'g' }, topic: { name: 't' }, receipt_handle: 'rh', invisible_duration: { seconds: '30', nanos: 0 }, message_id: 'm' }],
  ['Heartbeat', '', { group: { name: 'g' }, client_type: 'SIMPLE_CONSUMER' }],
  [
    'ReceiveMessage',
    '',
    {
      group: { name: 'g' },
      message_queue: { topic: { name: 't' }, id: 0, permission: 'READ_WRITE', accept_message_types: ['NORMAL'] },
      filter_expression: { type: 'TAG', expression: '*' },
      batch_size: 32,
      invisible_duration: { seconds: '30', nanos: 0 },
      auto_renew: false,
      long_polling_timeout: { seconds: '20', nanos: 0 },
    },
  ],
];

const entries = Array.from({ length: 32 }, (_, i) => ({ status: OK_STATUS, message_id: `m${i}`, transaction_id: '', offset: String(1_000_000 + i) }));
const replies: [string, string, unknown][] = [
  ['SendMessage', '1 entry', { status: OK_STATUS, entries: entries.slice(0, 1) }],
  ['SendMessage', '32 entries', { status: OK_STATUS, entries }],
  [
    'ReceiveMessage',
    'message 1 KiB',
    {
      message: toProtoMessage(stored(1), {
        namespace: '',
        storeHost: 'h:8081',
        receiptHandle: 'rh-xxxxxxxxxxxxxxxxxxxxxxxx',
        deliveryAttempt: 1,
        invisibleDurationMs: 30_000,
      }),
    },
  ],
  ['ReceiveMessage', 'status', { status: OK_STATUS }],
  ['ReceiveMessage', 'delivery_timestamp', { delivery_timestamp: fromMs(1_764_000_000_000) }],
  ['AckMessage', '32 entries', { status: OK_STATUS, entries: entries.map((e) => ({ message_id: e.message_id, receipt_handle: 'rh', status: OK_STATUS })) }],
  ['EndTransaction', '', { status: OK_STATUS }],
  [
    'Telemetry',
    'orphaned-tx check',
    { recover_orphaned_transaction_command: { message: toProtoMessage(stored(2), { namespace: '', storeHost: 'h' }), transaction_id: 'tx' } },
  ],
];

const lines: string[] = [];
for (const [rpc, label, req] of requests) {
  const bytes = generic(rpc).requestSerialize(req);
  const g = perCallUs(() => generic(rpc).requestDeserialize(bytes));
  const f = perCallUs(() => fast(rpc).requestDeserialize(bytes));
  lines.push(`decode ${rpc} ${label}`.padEnd(48) + `generic ${g.toFixed(2).padStart(8)} µs   fast ${f.toFixed(2).padStart(8)} µs   x${(g / f).toFixed(1)}`);
}
for (const [rpc, label, reply] of replies) {
  const g = perCallUs(() => generic(rpc).responseSerialize(reply));
  const f = perCallUs(() => fast(rpc).responseSerialize(reply));
  lines.push(`encode ${rpc} ${label}`.padEnd(48) + `generic ${g.toFixed(2).padStart(8)} µs   fast ${f.toFixed(2).padStart(8)} µs   x${(g / f).toFixed(1)}`);
}
process.stdout.write(`${lines.join('\n')}\n`);
