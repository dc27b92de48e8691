// Owns the fast encoding of apache.rocketmq.v2.Message as the broker hands it out (ReceiveMessage
// and the orphaned-transaction check): fromObject + encode fused (see wire-write.ts), byte for byte
// what the generic serializer writes for the same object.
import type { WireWriter as Writer } from './direct-writer.js';
import { enumValues } from './schema.js';
import { arrayAt, messageAt, writeBytes, writeEnum, writeInt32, writeInt64, writeResource, writeSecondsNanos, writeString } from './wire-write.js';

const digestTypeValue = enumValues('DigestType');
const encodingValue = enumValues('Encoding');
const messageTypeValue = enumValues('MessageType');
const SP = 'SystemProperties';

function writeDigest(w: Writer, v: unknown): void {
  const d = messageAt(v, `${SP}.body_digest`);
  if (!d) return;
  w.uint32(34).fork();
  writeEnum(w, 8, digestTypeValue(d.type));
  writeString(w, 18, d.checksum);
  w.ldelim();
}

function writeDeadLetterQueue(w: Writer, v: unknown): void {
  const d = messageAt(v, `${SP}.dead_letter_queue`);
  if (!d) return;
  w.uint32(162).fork();
  writeString(w, 10, d.topic);
  writeString(w, 18, d.message_id);
  w.ldelim();
}

function writeSystemProperties(w: Writer, v: unknown): void {
  const p = messageAt(v, 'Message.system_properties');
  if (!p) return;
  w.uint32(26).fork();
  writeString(w, 10, p.tag);
  const keys = arrayAt(p.keys, `${SP}.keys`);
  if (keys) for (const k of keys) w.uint32(18).string(String(k));
  writeString(w, 26, p.message_id);
  writeDigest(w, p.body_digest);
  writeEnum(w, 40, encodingValue(p.body_encoding));
  writeEnum(w, 48, messageTypeValue(p.message_type));
  writeSecondsNanos(w, 58, p.born_timestamp, `${SP}.born_timestamp`);
  writeString(w, 66, p.born_host);
  writeSecondsNanos(w, 74, p.store_timestamp, `${SP}.store_timestamp`);
  writeString(w, 82, p.store_host);
  writeSecondsNanos(w, 90, p.delivery_timestamp, `${SP}.delivery_timestamp`);
  writeString(w, 98, p.receipt_handle);
  writeInt32(w, 104, p.queue_id);
  writeInt64(w, 112, p.queue_offset);
  writeSecondsNanos(w, 122, p.invisible_duration, `${SP}.invisible_duration`);
  writeInt32(w, 128, p.delivery_attempt);
  writeString(w, 138, p.message_group);
  writeString(w, 146, p.trace_context);
  writeSecondsNanos(w, 154, p.orphaned_transaction_recovery_duration, `${SP}.orphaned_transaction_recovery_duration`);
  writeDeadLetterQueue(w, p.dead_letter_queue);
  writeString(w, 170, p.lite_topic);
  writeInt32(w, 176, p.priority);
  w.ldelim();
}

/** Message { topic = 1; map user_properties = 2; system_properties = 3; bytes body = 4 } as field `tag`. */
export function writeMessage(w: Writer, tag: number, v: unknown, where: string): void {
  const m = messageAt(v, where);
  if (!m) return;
  w.uint32(tag).fork();
  writeResource(w, 10, m.topic, 'Message.topic');
  const props = m.user_properties;
  if (props) {
    if (typeof props !== 'object') throw TypeError('.apache.rocketmq.v2.Message.user_properties: object expected');
    const source = props as Record<string, unknown>;
    for (const k of Object.keys(source)) {
      // fromObject copies the map first (String() of each value), encode then writes the copy.
      w.uint32(18).fork().uint32(10).string(k).uint32(18).string(String(source[k])).ldelim();
    }
  }
  writeSystemProperties(w, m.system_properties);
  writeBytes(w, 34, m.body);
  w.ldelim();
}
