// Owns the fast request decoders of the hot RPCs (SendMessage, EndTransaction, ReceiveMessage,
// AckMessage, ChangeInvisibleDuration, Heartbeat): each a fused protobufjs decode + toObject under
// LOADER_OPTIONS (see decode-message.ts), step for step the generated decoder, so the handler gets
// the same object, and bad bytes the same error, as through @grpc/proto-loader.
import { readMessage, type Decoded } from './decode-message.js';
import { enumNames, type Reader } from './schema.js';
import { enter, leave, readerOf, readRepeatedInt32, readResource, readSecondsNanos } from './wire-read.js';

const resolutionName = enumNames('TransactionResolution');
const sourceName = enumNames('TransactionSource');
const clientTypeName = enumNames('ClientType');
const permissionName = enumNames('Permission');
const messageTypeName = enumNames('MessageType');
const schemeName = enumNames('AddressScheme');
const filterTypeName = enumNames('FilterType');

export function decodeSendMessageRequest(bytes: Uint8Array): Decoded {
  const r = readerOf(bytes);
  const end = r.len;
  let messages: Decoded[] | undefined;
  while (r.pos < end) {
    const t = r.uint32();
    if (t >>> 3 === 1) (messages ??= []).push(readMessage(r, 1));
    else r.skipType(t & 7, 0);
  }
  return { messages: messages ?? [] };
}

export function decodeEndTransactionRequest(bytes: Uint8Array): Decoded {
  const r = readerOf(bytes);
  const end = r.len;
  const d: Decoded = {
    topic: null,
    message_id: '',
    transaction_id: '',
    resolution: resolutionName(0),
    source: sourceName(0),
    trace_context: '',
  };
  while (r.pos < end) {
    const t = r.uint32();
    switch (t >>> 3) {
      case 1:
        d.topic = readResource(r, 1);
        break;
      case 2:
        d.message_id = r.string();
        break;
      case 3:
        d.transaction_id = r.string();
        break;
      case 4:
        d.resolution = resolutionName(r.int32());
        break;
      case 5:
        d.source = sourceName(r.int32());
        break;
      case 6:
        d.trace_context = r.string();
        break;
      default:
        r.skipType(t & 7, 0);
        break;
    }
  }
  return d;
}

function readAckEntry(r: Reader, depth: number): Decoded {
  const outer = enter(r, r.uint32(), depth);
  const end = r.len;
  const d: Decoded = { message_id: '', receipt_handle: '' };
  let lite_topic: string | undefined;
  while (r.pos < end) {
    const t = r.uint32();
    switch (t >>> 3) {
      case 1:
        d.message_id = r.string();
        break;
      case 2:
        d.receipt_handle = r.string();
        break;
      case 3:
        lite_topic = r.string();
        break;
      default:
        r.skipType(t & 7, depth);
        break;
    }
  }
  leave(r, end, outer);
  if (lite_topic !== undefined) {
    d.lite_topic = lite_topic;
    d._lite_topic = 'lite_topic';
  }
  return d;
}

export function decodeAckMessageRequest(bytes: Uint8Array): Decoded {
  const r = readerOf(bytes);
  const end = r.len;
  const entries: Decoded[] = [];
  const d: Decoded = { entries, group: null, topic: null };
  while (r.pos < end) {
    const t = r.uint32();
    switch (t >>> 3) {
      case 1:
        d.group = readResource(r, 1);
        break;
      case 2:
        d.topic = readResource(r, 1);
        break;
      case 3:
        entries.push(readAckEntry(r, 1));
        break;
      default:
        r.skipType(t & 7, 0);
        break;
    }
  }
  return d;
}

export function decodeChangeInvisibleDurationRequest(bytes: Uint8Array): Decoded {
  const r = readerOf(bytes);
  const end = r.len;
  const d: Decoded = { group: null, topic: null, receipt_handle: '', invisible_duration: null, message_id: '' };
  let lite_topic: string | undefined;
  let suspend: boolean | undefined;
  while (r.pos < end) {
    const t = r.uint32();
    switch (t >>> 3) {
      case 1:
        d.group = readResource(r, 1);
        break;
      case 2:
        d.topic = readResource(r, 1);
        break;
      case 3:
        d.receipt_handle = r.string();
        break;
      case 4:
        d.invisible_duration = readSecondsNanos(r, 1);
        break;
      case 5:
        d.message_id = r.string();
        break;
      case 6:
        lite_topic = r.string();
        break;
      case 7:
        suspend = r.bool();
        break;
      default:
        r.skipType(t & 7, 0);
        break;
    }
  }
  if (lite_topic !== undefined) {
    d.lite_topic = lite_topic;
    d._lite_topic = 'lite_topic';
  }
  if (suspend !== undefined) {
    d.suspend = suspend;
    d._suspend = 'suspend';
  }
  return d;
}

export function decodeHeartbeatRequest(bytes: Uint8Array): Decoded {
  const r = readerOf(bytes);
  const end = r.len;
  let group: Decoded | undefined;
  let client_type: string | number = clientTypeName(0);
  while (r.pos < end) {
    const t = r.uint32();
    switch (t >>> 3) {
      case 1:
        group = readResource(r, 1);
        break;
      case 2:
        client_type = clientTypeName(r.int32());
        break;
      default:
        r.skipType(t & 7, 0);
        break;
    }
  }
  const d: Decoded = { client_type };
  if (group !== undefined) {
    d.group = group;
    d._group = 'group';
  }
  return d;
}

function readAddress(r: Reader, depth: number): Decoded {
  const outer = enter(r, r.uint32(), depth);
  const end = r.len;
  const d: Decoded = { host: '', port: 0 };
  while (r.pos < end) {
    const t = r.uint32();
    switch (t >>> 3) {
      case 1:
        d.host = r.string();
        break;
      case 2:
        d.port = r.int32();
        break;
      default:
        r.skipType(t & 7, depth);
        break;
    }
  }
  leave(r, end, outer);
  return d;
}

function readEndpoints(r: Reader, depth: number): Decoded {
  const outer = enter(r, r.uint32(), depth);
  const end = r.len;
  const addresses: Decoded[] = [];
  const d: Decoded = { addresses, scheme: schemeName(0) };
  while (r.pos < end) {
    const t = r.uint32();
    switch (t >>> 3) {
      case 1:
        d.scheme = schemeName(r.int32());
        break;
      case 2:
        addresses.push(readAddress(r, depth + 1));
        break;
      default:
        r.skipType(t & 7, depth);
        break;
    }
  }
  leave(r, end, outer);
  return d;
}

function readBroker(r: Reader, depth: number): Decoded {
  const outer = enter(r, r.uint32(), depth);
  const end = r.len;
  const d: Decoded = { name: '', id: 0, endpoints: null };
  while (r.pos < end) {
    const t = r.uint32();
    switch (t >>> 3) {
      case 1:
        d.name = r.string();
        break;
      case 2:
        d.id = r.int32();
        break;
      case 3:
        d.endpoints = readEndpoints(r, depth + 1);
        break;
      default:
        r.skipType(t & 7, depth);
        break;
    }
  }
  leave(r, end, outer);
  return d;
}

function readMessageQueue(r: Reader, depth: number): Decoded {
  const outer = enter(r, r.uint32(), depth);
  const end = r.len;
  const types: number[] = [];
  const d: Decoded = { accept_message_types: [], topic: null, id: 0, permission: permissionName(0), broker: null };
  while (r.pos < end) {
    const t = r.uint32();
    switch (t >>> 3) {
      case 1:
        d.topic = readResource(r, depth + 1);
        break;
      case 2:
        d.id = r.int32();
        break;
      case 3:
        d.permission = permissionName(r.int32());
        break;
      case 4:
        d.broker = readBroker(r, depth + 1);
        break;
      case 5:
        readRepeatedInt32(r, t, types, end);
        break;
      default:
        r.skipType(t & 7, depth);
        break;
    }
  }
  leave(r, end, outer);
  if (types.length) d.accept_message_types = types.map(messageTypeName);
  return d;
}

function readFilterExpression(r: Reader, depth: number): Decoded {
  const outer = enter(r, r.uint32(), depth);
  const end = r.len;
  const d: Decoded = { type: filterTypeName(0), expression: '' };
  while (r.pos < end) {
    const t = r.uint32();
    switch (t >>> 3) {
      case 1:
        d.type = filterTypeName(r.int32());
        break;
      case 2:
        d.expression = r.string();
        break;
      default:
        r.skipType(t & 7, depth);
        break;
    }
  }
  leave(r, end, outer);
  return d;
}

export function decodeReceiveMessageRequest(bytes: Uint8Array): Decoded {
  const r = readerOf(bytes);
  const end = r.len;
  const d: Decoded = { group: null, message_queue: null, filter_expression: null, batch_size: 0, auto_renew: false };
  let invisible_duration: Decoded | undefined;
  let long_polling_timeout: Decoded | undefined;
  let attempt_id: string | undefined;
  while (r.pos < end) {
    const t = r.uint32();
    switch (t >>> 3) {
      case 1:
        d.group = readResource(r, 1);
        break;
      case 2:
        d.message_queue = readMessageQueue(r, 1);
        break;
      case 3:
        d.filter_expression = readFilterExpression(r, 1);
        break;
      case 4:
        d.batch_size = r.int32();
        break;
      case 5:
        invisible_duration = readSecondsNanos(r, 1);
        break;
      case 6:
        d.auto_renew = r.bool();
        break;
      case 7:
        long_polling_timeout = readSecondsNanos(r, 1);
        break;
      case 8:
        attempt_id = r.string();
        break;
      default:
        r.skipType(t & 7, 0);
        break;
    }
  }
  if (invisible_duration !== undefined) {
    d.invisible_duration = invisible_duration;
    d._invisible_duration = 'invisible_duration';
  }
  if (long_polling_timeout !== undefined) {
    d.long_polling_timeout = long_polling_timeout;
    d._long_polling_timeout = 'long_polling_timeout';
  }
  if (attempt_id !== undefined) {
    d.attempt_id = attempt_id;
    d._attempt_id = 'attempt_id';
  }
  return d;
}
