// Owns the fast reply encoders of the hot RPCs: SendMessage, EndTransaction, Heartbeat, AckMessage,
// ChangeInvisibleDuration, ReceiveMessage (every variant of its stream) and the Telemetry commands
// the broker pushes (status, recover_orphaned_transaction_command). Each writes, byte for byte, what
// proto-loader's `encode(fromObject(reply))` writes, without the message instances and Longs. A
// Telemetry command carrying anything else (settings, ...) returns undefined: the caller then uses
// the generic serializer.
import { DirectWriter } from './direct-writer.js';
import { writeMessage } from './encode-message.js';
import { arrayAt, elementAt, messageAt, replyAt, writeInt64, writeSecondsNanos, writeStatus, writeString } from './wire-write.js';

function statusOnly(type: string): (reply: unknown) => Uint8Array {
  return (reply) => {
    const r = replyAt(reply, type);
    const w = new DirectWriter();
    writeStatus(w, 10, r.status, `${type}.status`);
    return w.finish();
  };
}

export const encodeEndTransactionResponse = statusOnly('EndTransactionResponse');
export const encodeHeartbeatResponse = statusOnly('HeartbeatResponse');

export function encodeSendMessageResponse(reply: unknown): Uint8Array {
  const r = replyAt(reply, 'SendMessageResponse');
  const w = new DirectWriter();
  writeStatus(w, 10, r.status, 'SendMessageResponse.status');
  const entries = arrayAt(r.entries, 'SendMessageResponse.entries');
  if (entries) {
    for (const item of entries) {
      const e = elementAt(item, 'SendMessageResponse.entries');
      w.uint32(18).fork();
      writeStatus(w, 10, e.status, 'SendResultEntry.status');
      writeString(w, 18, e.message_id);
      writeString(w, 26, e.transaction_id);
      writeInt64(w, 32, e.offset);
      writeString(w, 42, e.recall_handle);
      w.ldelim();
    }
  }
  return w.finish();
}

export function encodeAckMessageResponse(reply: unknown): Uint8Array {
  const r = replyAt(reply, 'AckMessageResponse');
  const w = new DirectWriter();
  writeStatus(w, 10, r.status, 'AckMessageResponse.status');
  const entries = arrayAt(r.entries, 'AckMessageResponse.entries');
  if (entries) {
    for (const item of entries) {
      const e = elementAt(item, 'AckMessageResponse.entries');
      w.uint32(18).fork();
      writeString(w, 10, e.message_id);
      writeString(w, 18, e.receipt_handle);
      writeStatus(w, 26, e.status, 'AckMessageResultEntry.status');
      w.ldelim();
    }
  }
  return w.finish();
}

export function encodeChangeInvisibleDurationResponse(reply: unknown): Uint8Array {
  const r = replyAt(reply, 'ChangeInvisibleDurationResponse');
  const w = new DirectWriter();
  writeStatus(w, 10, r.status, 'ChangeInvisibleDurationResponse.status');
  writeString(w, 18, r.receipt_handle);
  return w.finish();
}

export function encodeReceiveMessageResponse(reply: unknown): Uint8Array {
  const r = replyAt(reply, 'ReceiveMessageResponse');
  const w = new DirectWriter();
  writeStatus(w, 10, r.status, 'ReceiveMessageResponse.status');
  writeMessage(w, 18, r.message, 'ReceiveMessageResponse.message');
  writeSecondsNanos(w, 26, r.delivery_timestamp, 'ReceiveMessageResponse.delivery_timestamp');
  return w.finish();
}

/** The TelemetryCommand fields (beyond status and the orphaned-transaction check) left to the generic path. */
const OTHER_COMMANDS = [
  'settings',
  'thread_stack_trace',
  'verify_message_result',
  'print_thread_stack_trace_command',
  'verify_message_command',
  'reconnect_endpoints_command',
  'notify_unsubscribe_lite_command',
] as const;

/** A TelemetryCommand with only status and/or recover_orphaned_transaction_command; else undefined. */
export function encodeTelemetryCommand(reply: unknown): Uint8Array | undefined {
  const r = replyAt(reply, 'TelemetryCommand');
  for (const k of OTHER_COMMANDS) if (r[k] !== null && r[k] !== undefined) return undefined;
  const w = new DirectWriter();
  writeStatus(w, 10, r.status, 'TelemetryCommand.status');
  const check = messageAt(r.recover_orphaned_transaction_command, 'TelemetryCommand.recover_orphaned_transaction_command');
  if (check) {
    w.uint32(42).fork();
    writeMessage(w, 10, check.message, 'RecoverOrphanedTransactionCommand.message');
    writeString(w, 18, check.transaction_id);
    w.ldelim();
  }
  return w.finish();
}
