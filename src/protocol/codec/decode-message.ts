// Owns the fast decoding of apache.rocketmq.v2.Message (and its SystemProperties, Digest,
// DeadLetterQueue): the generated protobufjs decoder's steps, fused with toObject under the
// broker's LOADER_OPTIONS (keepCase, longs: String, enums: String, defaults, oneofs), so the result
// is the very object `toObject(decode(bytes), options)` gives — same keys in the same order, string
// enums (the number when unknown), string int64s, defaults, `_field` discriminators of proto3
// optionals, the body a Buffer view of the request — without the intermediate message instance.
import { enter, leave, readInt64String, readResource, readSecondsNanos, readStringMapEntry, type Decoded } from './wire-read.js';
import { enumNames, pbUtil, type Reader } from './schema.js';

export type { Decoded };

const digestTypeName = enumNames('DigestType');
const encodingName = enumNames('Encoding');
const messageTypeName = enumNames('MessageType');

function readDigest(r: Reader, depth: number): Decoded {
  const outer = enter(r, r.uint32(), depth);
  const end = r.len;
  let type: string | number = digestTypeName(0);
  let checksum = '';
  while (r.pos < end) {
    const t = r.uint32();
    switch (t >>> 3) {
      case 1:
        type = digestTypeName(r.int32());
        break;
      case 2:
        checksum = r.string();
        break;
      default:
        r.skipType(t & 7, depth);
        break;
    }
  }
  leave(r, end, outer);
  return { type, checksum };
}

function readDeadLetterQueue(r: Reader, depth: number): Decoded {
  const outer = enter(r, r.uint32(), depth);
  const end = r.len;
  let topic = '';
  let message_id = '';
  while (r.pos < end) {
    const t = r.uint32();
    switch (t >>> 3) {
      case 1:
        topic = r.string();
        break;
      case 2:
        message_id = r.string();
        break;
      default:
        r.skipType(t & 7, depth);
        break;
    }
  }
  leave(r, end, outer);
  return { topic, message_id };
}

function readSystemProperties(r: Reader, depth: number): Decoded {
  const outer = enter(r, r.uint32(), depth);
  const end = r.len;
  const inner = depth + 1;
  let tag: string | undefined;
  let keys: string[] | undefined;
  let message_id = '';
  let body_digest: Decoded | null = null;
  let body_encoding: string | number = encodingName(0);
  let message_type: string | number = messageTypeName(0);
  let born_timestamp: Decoded | null = null;
  let born_host = '';
  let store_timestamp: Decoded | undefined;
  let store_host = '';
  let delivery_timestamp: Decoded | undefined;
  let receipt_handle: string | undefined;
  let queue_id = 0;
  let queue_offset: string | undefined;
  let invisible_duration: Decoded | undefined;
  let delivery_attempt: number | undefined;
  let message_group: string | undefined;
  let trace_context: string | undefined;
  let recovery: Decoded | undefined;
  let dead_letter_queue: Decoded | undefined;
  let lite_topic: string | undefined;
  let priority: number | undefined;
  while (r.pos < end) {
    const t = r.uint32();
    switch (t >>> 3) {
      case 1:
        tag = r.string();
        break;
      case 2:
        (keys ??= []).push(r.string());
        break;
      case 3:
        message_id = r.string();
        break;
      case 4:
        body_digest = readDigest(r, inner);
        break;
      case 5:
        body_encoding = encodingName(r.int32());
        break;
      case 6:
        message_type = messageTypeName(r.int32());
        break;
      case 7:
        born_timestamp = readSecondsNanos(r, inner);
        break;
      case 8:
        born_host = r.string();
        break;
      case 9:
        store_timestamp = readSecondsNanos(r, inner);
        break;
      case 10:
        store_host = r.string();
        break;
      case 11:
        delivery_timestamp = readSecondsNanos(r, inner);
        break;
      case 12:
        receipt_handle = r.string();
        break;
      case 13:
        queue_id = r.int32();
        break;
      case 14:
        queue_offset = readInt64String(r);
        break;
      case 15:
        invisible_duration = readSecondsNanos(r, inner);
        break;
      case 16:
        delivery_attempt = r.int32();
        break;
      case 17:
        message_group = r.string();
        break;
      case 18:
        trace_context = r.string();
        break;
      case 19:
        recovery = readSecondsNanos(r, inner);
        break;
      case 20:
        dead_letter_queue = readDeadLetterQueue(r, inner);
        break;
      case 21:
        lite_topic = r.string();
        break;
      case 22:
        priority = r.int32();
        break;
      default:
        r.skipType(t & 7, depth);
        break;
    }
  }
  leave(r, end, outer);
  // toObject's key order: defaults first (in field order), then the optionals that are present.
  const d: Decoded = {
    keys: keys ?? [],
    message_id,
    body_digest,
    body_encoding,
    message_type,
    born_timestamp,
    born_host,
    store_host,
    queue_id,
  };
  if (tag !== undefined) {
    d.tag = tag;
    d._tag = 'tag';
  }
  if (store_timestamp !== undefined) {
    d.store_timestamp = store_timestamp;
    d._store_timestamp = 'store_timestamp';
  }
  if (delivery_timestamp !== undefined) {
    d.delivery_timestamp = delivery_timestamp;
    d._delivery_timestamp = 'delivery_timestamp';
  }
  if (receipt_handle !== undefined) {
    d.receipt_handle = receipt_handle;
    d._receipt_handle = 'receipt_handle';
  }
  if (queue_offset !== undefined) {
    d.queue_offset = queue_offset;
    d._queue_offset = 'queue_offset';
  }
  if (invisible_duration !== undefined) {
    d.invisible_duration = invisible_duration;
    d._invisible_duration = 'invisible_duration';
  }
  if (delivery_attempt !== undefined) {
    d.delivery_attempt = delivery_attempt;
    d._delivery_attempt = 'delivery_attempt';
  }
  if (message_group !== undefined) {
    d.message_group = message_group;
    d._message_group = 'message_group';
  }
  if (trace_context !== undefined) {
    d.trace_context = trace_context;
    d._trace_context = 'trace_context';
  }
  if (recovery !== undefined) {
    d.orphaned_transaction_recovery_duration = recovery;
    d._orphaned_transaction_recovery_duration = 'orphaned_transaction_recovery_duration';
  }
  if (dead_letter_queue !== undefined) {
    d.dead_letter_queue = dead_letter_queue;
    d._dead_letter_queue = 'dead_letter_queue';
  }
  if (lite_topic !== undefined) {
    d.lite_topic = lite_topic;
    d._lite_topic = 'lite_topic';
  }
  if (priority !== undefined) {
    d.priority = priority;
    d._priority = 'priority';
  }
  return d;
}

/** Message { topic = 1; map user_properties = 2; system_properties = 3; bytes body = 4 } at `depth`. */
export function readMessage(r: Reader, depth: number): Decoded {
  const outer = enter(r, r.uint32(), depth);
  const end = r.len;
  const inner = depth + 1;
  const user_properties: Record<string, string> = {};
  let topic: Decoded | null = null;
  let system_properties: Decoded | null = null;
  let body: Buffer | undefined;
  while (r.pos < end) {
    const t = r.uint32();
    switch (t >>> 3) {
      case 1:
        topic = readResource(r, inner);
        break;
      case 2:
        readStringMapEntry(r, user_properties, depth, end);
        break;
      case 3:
        system_properties = readSystemProperties(r, inner);
        break;
      case 4:
        body = r.bytes() as Buffer;
        break;
      default:
        r.skipType(t & 7, depth);
        break;
    }
  }
  leave(r, end, outer);
  return { user_properties, topic, system_properties, body: body ?? (pbUtil.newBuffer([]) as Buffer) };
}
