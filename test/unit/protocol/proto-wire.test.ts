// Our hand-written proto/apache/rocketmq/v2/{definition,service}.proto must be wire-compatible
// with the official ones (as bundled with rocketmq-client-nodejs): same messages, fields (number,
// type, label, map key, oneof, proto3 optional), enum values, and RPCs (types and streaming).
// The only declarations we may have beyond the Node client's copy are the two later upstream
// additions in ALLOWED_EXTRAS.
import * as protoLoader from '@grpc/proto-loader';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compareNamespaces, describeNamespace, loadProtoRoot, parseProtoRoot } from '../../helpers/proto-compare.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const OURS_DIR = join(REPO, 'proto');
const OFFICIAL_DIR = join(REPO, 'node_modules/rocketmq-client-nodejs/proto');
const NS = 'apache.rocketmq.v2';
const FILES = ['apache/rocketmq/v2/definition.proto', 'apache/rocketmq/v2/service.proto'];

/** Upstream (apache/rocketmq-apis) has these; the Node client's bundled copy does not yet. */
const ALLOWED_EXTRAS: Record<string, string> = {
  'enumvalue apache.rocketmq.v2.Code.INVALID_CLIENT_PROPERTIES': '40021',
  'field apache.rocketmq.v2.Settings.client_properties': JSON.stringify({
    id: 9,
    type: 'string',
    label: 'map',
    keyType: 'string',
    packed: null,
    oneof: null,
    proto3Optional: false,
  }),
};

const ours = loadProtoRoot(OURS_DIR, FILES);
const official = loadProtoRoot(OFFICIAL_DIR, FILES);

function keysOfKind(items: Map<string, string>, kind: string): string[] {
  return [...items.keys()].filter((k) => k.startsWith(`${kind} `));
}

describe('apache.rocketmq.v2 protos vs the official client copy', () => {
  it('loads the official protos with real content (the comparison is not vacuous)', () => {
    const items = describeNamespace(official, NS);
    expect(keysOfKind(items, 'service')).toEqual(['service apache.rocketmq.v2.MessagingService']);
    expect(keysOfKind(items, 'rpc')).toHaveLength(17);
    expect(keysOfKind(items, 'message')).toHaveLength(65);
    expect(keysOfKind(items, 'field')).toHaveLength(206);
    expect(keysOfKind(items, 'oneof')).toHaveLength(6);
    expect(keysOfKind(items, 'enum')).toHaveLength(14);
    expect(keysOfKind(items, 'enumvalue')).toHaveLength(115);
    expect([...items.keys()].filter((k) => !/^(message|field|oneof|enum|enumvalue|service|rpc) /.test(k))).toEqual([]);
    // Nested enum, real oneof, proto3 optional and map fields are all represented.
    expect(items.has('enum apache.rocketmq.v2.OffsetOption.Policy')).toBe(true);
    expect(JSON.parse(items.get('oneof apache.rocketmq.v2.TelemetryCommand.command')!)).toHaveLength(8);
    expect(JSON.parse(items.get('field apache.rocketmq.v2.TelemetryCommand.status')!)).toMatchObject({ proto3Optional: true, oneof: null });
    expect(JSON.parse(items.get('field apache.rocketmq.v2.Settings.publishing')!)).toMatchObject({ oneof: 'pub_sub', proto3Optional: false });
    expect(JSON.parse(items.get('field apache.rocketmq.v2.MessageQueue.accept_message_types')!)).toMatchObject({ label: 'repeated', packed: true });
    expect(JSON.parse(items.get('field apache.rocketmq.v2.Message.user_properties')!)).toMatchObject({ label: 'map', keyType: 'string', type: 'string' });
    expect(JSON.parse(items.get('rpc apache.rocketmq.v2.MessagingService.Telemetry')!)).toEqual({
      request: 'apache.rocketmq.v2.TelemetryCommand',
      response: 'apache.rocketmq.v2.TelemetryCommand',
      requestStream: true,
      responseStream: true,
    });
  });

  it('declares every official message, field, oneof, enum value, service and rpc', () => {
    const missing = compareNamespaces(official, ours, NS).filter((d) => d.kind === 'missing');
    expect(missing).toEqual([]);
  });

  it('matches every official declaration exactly (numbers, types, labels, oneofs, optional, streaming)', () => {
    const mismatches = compareNamespaces(official, ours, NS).filter((d) => d.kind === 'mismatch');
    expect(mismatches).toEqual([]);
  });

  it('declares nothing beyond the official copy except the two allow-listed upstream additions', () => {
    const extras = compareNamespaces(official, ours, NS).filter((d) => d.kind === 'extra');
    expect(Object.fromEntries(extras.map((d) => [d.key, d.actual]))).toEqual(ALLOWED_EXTRAS);
  });

  it('the upstream additions are usable: Settings.client_properties and Code.INVALID_CLIENT_PROPERTIES', () => {
    const Code = ours.lookupEnum(`${NS}.Code`);
    expect(Code.values['INVALID_CLIENT_PROPERTIES']).toBe(40021);
    const Settings = ours.lookupType(`${NS}.Settings`);
    const bytes = Settings.encode(Settings.fromObject({ client_type: 'PRODUCER', client_properties: { a: '1', b: '2' } })).finish();
    const back = Settings.toObject(Settings.decode(bytes), { enums: String });
    expect(back['client_properties']).toEqual({ a: '1', b: '2' });
    expect(back['client_type']).toBe('PRODUCER');
    // The Node client's copy skips field 9 as unknown and still reads the rest.
    const OfficialSettings = official.lookupType(`${NS}.Settings`);
    expect(OfficialSettings.toObject(OfficialSettings.decode(bytes), { enums: String })).toEqual({ client_type: 'PRODUCER' });
  });
});

describe('wire round trips between our protos and the official ones', () => {
  const samples: { type: string; value: Record<string, unknown> }[] = [
    {
      type: 'TelemetryCommand',
      value: {
        status: { code: 'OK', message: 'ok' },
        settings: {
          client_type: 'PRODUCER',
          access_point: { scheme: 'IPv4', addresses: [{ host: '127.0.0.1', port: 8081 }] },
          backoff_policy: { max_attempts: 3, exponential_backoff: { initial: { seconds: 1, nanos: 0 }, max: { seconds: 10, nanos: 0 }, multiplier: 2 } },
          request_timeout: { seconds: 3, nanos: 0 },
          publishing: { topics: [{ resource_namespace: '', name: 'T' }], max_body_size: 4194304, validate_message_type: true },
          user_agent: { language: 'NODE_JS', version: '1.0.8', platform: 'linux', hostname: 'h' },
        },
      },
    },
    {
      type: 'TelemetryCommand',
      value: {
        recover_orphaned_transaction_command: {
          transaction_id: 'tx-1',
          message: {
            topic: { name: 'T' },
            user_properties: { k: 'v' },
            system_properties: {
              tag: 'a',
              keys: ['k1', 'k2'],
              message_id: 'm-1',
              message_type: 'TRANSACTION',
              queue_offset: '42',
              orphaned_transaction_recovery_duration: { seconds: 5, nanos: 0 },
            },
            body: Buffer.from('hello'),
          },
        },
      },
    },
    {
      type: 'ReceiveMessageResponse',
      value: { delivery_timestamp: { seconds: '1700000000', nanos: 5 } },
    },
    {
      type: 'OffsetOption',
      value: { tail_n: '7' },
    },
  ];

  for (const [i, { type, value }] of samples.entries()) {
    it(`${type} #${i} encodes identically and decodes across both`, () => {
      const Ours = ours.lookupType(`${NS}.${type}`);
      const Theirs = official.lookupType(`${NS}.${type}`);
      const fromOurs = Ours.encode(Ours.fromObject(value)).finish();
      const fromTheirs = Theirs.encode(Theirs.fromObject(value)).finish();
      expect(Buffer.from(fromOurs).toString('hex')).toBe(Buffer.from(fromTheirs).toString('hex'));
      const opts = { enums: String, longs: String, bytes: String, oneofs: true };
      expect(Ours.toObject(Ours.decode(fromTheirs), opts)).toEqual(Theirs.toObject(Theirs.decode(fromOurs), opts));
    });
  }
});

describe('the comparator detects drift', () => {
  const base = `
    syntax = "proto3";
    package apache.rocketmq.v2;
    import "google/protobuf/duration.proto";
    message Address { string host = 1; int32 port = 2; }
    message Box {
      optional string note = 1;
      repeated int32 sizes = 2;
      map<string, int64> counts = 3;
      oneof pick { Address address = 4; google.protobuf.Duration wait = 5; }
    }
    enum Color { COLOR_UNSPECIFIED = 0; RED = 1; }
    service Svc { rpc Get(Address) returns (stream Box) {} }
  `;

  const cases: { name: string; from: string; to: string; expected: { kind: string; key: string }[] }[] = [
    { name: 'a field number', from: 'int32 port = 2;', to: 'int32 port = 3;', expected: [{ kind: 'mismatch', key: 'field apache.rocketmq.v2.Address.port' }] },
    { name: 'a scalar type', from: 'int32 port = 2;', to: 'uint32 port = 2;', expected: [{ kind: 'mismatch', key: 'field apache.rocketmq.v2.Address.port' }] },
    {
      name: 'a message type',
      from: 'google.protobuf.Duration wait = 5;',
      to: 'google.protobuf.Timestamp wait = 5;',
      expected: [{ kind: 'mismatch', key: 'field apache.rocketmq.v2.Box.wait' }],
    },
    { name: 'proto3 optional dropped', from: 'optional string note = 1;', to: 'string note = 1;', expected: [{ kind: 'mismatch', key: 'field apache.rocketmq.v2.Box.note' }] },
    { name: 'repeated dropped', from: 'repeated int32 sizes = 2;', to: 'int32 sizes = 2;', expected: [{ kind: 'mismatch', key: 'field apache.rocketmq.v2.Box.sizes' }] },
    {
      name: 'packed encoding turned off',
      from: 'repeated int32 sizes = 2;',
      to: 'repeated int32 sizes = 2 [packed = false];',
      expected: [{ kind: 'mismatch', key: 'field apache.rocketmq.v2.Box.sizes' }],
    },
    {
      name: 'a map key type',
      from: 'map<string, int64> counts',
      to: 'map<int32, int64> counts',
      expected: [{ kind: 'mismatch', key: 'field apache.rocketmq.v2.Box.counts' }],
    },
    {
      name: 'oneof membership',
      from: 'oneof pick { Address address = 4; google.protobuf.Duration wait = 5; }',
      to: 'Address address = 4; oneof pick { google.protobuf.Duration wait = 5; }',
      expected: [
        { kind: 'mismatch', key: 'field apache.rocketmq.v2.Box.address' },
        { kind: 'mismatch', key: 'oneof apache.rocketmq.v2.Box.pick' },
      ],
    },
    { name: 'an enum value number', from: 'RED = 1;', to: 'RED = 2;', expected: [{ kind: 'mismatch', key: 'enumvalue apache.rocketmq.v2.Color.RED' }] },
    { name: 'a streaming flag', from: 'returns (stream Box)', to: 'returns (Box)', expected: [{ kind: 'mismatch', key: 'rpc apache.rocketmq.v2.Svc.Get' }] },
    { name: 'an rpc request type', from: 'rpc Get(Address)', to: 'rpc Get(Box)', expected: [{ kind: 'mismatch', key: 'rpc apache.rocketmq.v2.Svc.Get' }] },
    {
      name: 'a missing field',
      from: 'string host = 1; int32 port = 2;',
      to: 'string host = 1;',
      expected: [{ kind: 'missing', key: 'field apache.rocketmq.v2.Address.port' }],
    },
    {
      name: 'an extra enum value',
      from: 'RED = 1;',
      to: 'RED = 1; BLUE = 2;',
      expected: [{ kind: 'extra', key: 'enumvalue apache.rocketmq.v2.Color.BLUE' }],
    },
  ];

  it('reports nothing for identical definitions', () => {
    expect(compareNamespaces(parseProtoRoot(base), parseProtoRoot(base), NS)).toEqual([]);
  });

  for (const c of cases) {
    it(`reports ${c.name}`, () => {
      const drifted = base.replace(c.from, c.to);
      expect(drifted).not.toBe(base);
      const diffs = compareNamespaces(parseProtoRoot(base), parseProtoRoot(drifted), NS);
      expect(diffs.map(({ kind, key }) => ({ kind, key }))).toEqual(c.expected);
    });
  }

  it('reports a single renumbered field in the real official definition.proto', () => {
    const text = readFileSync(join(OFFICIAL_DIR, 'apache/rocketmq/v2/definition.proto'), 'utf8');
    const drifted = text.replace(/(\boptional string receipt_handle = )12;/, '$1112;');
    expect(drifted).not.toBe(text);
    const officialDefinition = loadProtoRoot(OFFICIAL_DIR, ['apache/rocketmq/v2/definition.proto']);
    expect(compareNamespaces(officialDefinition, parseProtoRoot(text), NS)).toEqual([]);
    const diffs = compareNamespaces(officialDefinition, parseProtoRoot(drifted), NS);
    expect(diffs).toHaveLength(1);
    expect(diffs[0]).toMatchObject({ kind: 'mismatch', key: 'field apache.rocketmq.v2.SystemProperties.receipt_handle' });
    expect(JSON.parse(diffs[0]!.expected!)).toMatchObject({ id: 12 });
    expect(JSON.parse(diffs[0]!.actual!)).toMatchObject({ id: 112 });
  });
});

describe('@grpc/proto-loader loads our protos', () => {
  const definition = protoLoader.loadSync('apache/rocketmq/v2/service.proto', {
    includeDirs: [OURS_DIR],
    keepCase: true,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
  });

  it('produces apache.rocketmq.v2.MessagingService with every rpc and its streaming kind', () => {
    const service = definition['apache.rocketmq.v2.MessagingService'] as protoLoader.ServiceDefinition | undefined;
    expect(service).toBeDefined();
    const shape = Object.fromEntries(Object.entries(service!).map(([name, m]) => [name, { path: m.path, requestStream: m.requestStream, responseStream: m.responseStream }]));
    const unary = (name: string) => ({ path: `/apache.rocketmq.v2.MessagingService/${name}`, requestStream: false, responseStream: false });
    const serverStream = (name: string) => ({ ...unary(name), responseStream: true });
    expect(shape).toEqual({
      QueryRoute: unary('QueryRoute'),
      Heartbeat: unary('Heartbeat'),
      SendMessage: unary('SendMessage'),
      QueryAssignment: unary('QueryAssignment'),
      ReceiveMessage: serverStream('ReceiveMessage'),
      AckMessage: unary('AckMessage'),
      ForwardMessageToDeadLetterQueue: unary('ForwardMessageToDeadLetterQueue'),
      PullMessage: serverStream('PullMessage'),
      UpdateOffset: unary('UpdateOffset'),
      GetOffset: unary('GetOffset'),
      QueryOffset: unary('QueryOffset'),
      EndTransaction: unary('EndTransaction'),
      Telemetry: { ...unary('Telemetry'), requestStream: true, responseStream: true },
      NotifyClientTermination: unary('NotifyClientTermination'),
      ChangeInvisibleDuration: unary('ChangeInvisibleDuration'),
      RecallMessage: unary('RecallMessage'),
      SyncLiteSubscription: unary('SyncLiteSubscription'),
    });
  });

  it('serializes with the loader options the broker uses (oneof names, enum names, string longs)', () => {
    const telemetry = (definition['apache.rocketmq.v2.MessagingService'] as protoLoader.ServiceDefinition)['Telemetry']!;
    const bytes = telemetry.requestSerialize({
      settings: { client_type: 'SIMPLE_CONSUMER', subscription: { group: { name: 'G' }, long_polling_timeout: { seconds: '30', nanos: 0 } } },
    });
    const decoded = telemetry.requestDeserialize(bytes) as Record<string, any>;
    expect(decoded['command']).toBe('settings');
    expect(decoded['settings']['pub_sub']).toBe('subscription');
    expect(decoded['settings']['client_type']).toBe('SIMPLE_CONSUMER');
    expect(decoded['settings']['subscription']['long_polling_timeout']).toEqual({ seconds: '30', nanos: 0 });
    expect(decoded['settings']['client_properties']).toEqual({});
    // The shared message types are in the definition too.
    expect(definition['apache.rocketmq.v2.SystemProperties']).toBeDefined();
    expect(definition['apache.rocketmq.v2.Code']).toBeDefined();
  });
});
