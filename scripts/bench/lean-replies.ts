// Owns the load generators' readers of the hot replies (measures nothing itself): just the fields
// a load generator looks at, read straight from the reply bytes instead of protobufjs's decode +
// toObject with defaults — the status (code, message) of every reply, the transaction ids of a
// SendMessage reply, and of a ReceiveMessage reply its content: a status, or a message's id,
// receipt handle and body (views of the reply bytes: the drain acks with the handle's bytes).
// Every other field is skipped by its wire type; a malformed reply throws. test/unit/scripts/bench/lean-replies.test.ts checks them
// against protobufjs.
import { CODE_OK } from './lean-codec.js';

export interface ReplyStatus {
  /** apache.rocketmq.v2.Code (OK is 20000); 0 when the reply carries no status. */
  code: number;
  message: string;
}

export interface SendReply {
  status: ReplyStatus;
  /** transaction_id of each entry, in order (only when asked for). */
  transactionIds: string[];
}

/** One ReceiveMessage reply: a status, a message, or neither (a delivery timestamp). */
export type ReceiveReply =
  | { kind: 'status'; status: ReplyStatus }
  /** The id, receipt handle (their UTF-8 bytes) and body: views of the reply bytes. */
  | { kind: 'message'; messageId: Buffer; receiptHandle: Buffer; body: Buffer }
  | { kind: 'other' };

const NO_STATUS: ReplyStatus = { code: 0, message: '' };
const OTHER: ReceiveReply = { kind: 'other' };
const EMPTY: Buffer = Buffer.alloc(0);

function malformed(what: string): Error {
  return new Error(`malformed reply: ${what}`);
}

/** A cursor over reply bytes. */
class Cursor {
  pos: number;
  constructor(
    readonly buf: Buffer,
    start: number,
    readonly end: number,
  ) {
    this.pos = start;
  }

  varint(): number {
    const b = this.buf;
    let v = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw malformed('truncated varint');
      const byte = b[this.pos++]!;
      v += (byte & 127) * mul;
      if (byte < 128) return v;
      mul *= 128;
    }
    throw malformed('varint over 10 bytes');
  }

  /** A varint as an int32 (its low 32 bits, signed), as protobufjs reads an enum. */
  int32(): number {
    const b = this.buf;
    let v = 0;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw malformed('truncated varint');
      const byte = b[this.pos++]!;
      if (i < 5) v |= (byte & 127) << (7 * i);
      if (byte < 128) return v | 0;
    }
    throw malformed('varint over 10 bytes');
  }

  /** A length-delimited field's end (its content starts at pos). */
  delimited(): number {
    const len = this.varint();
    const end = this.pos + len;
    if (end > this.end) throw malformed('a field longer than its message');
    return end;
  }

  string(): string {
    const end = this.delimited();
    const s = this.buf.toString('utf8', this.pos, end);
    this.pos = end;
    return s;
  }

  bytes(): Buffer {
    const end = this.delimited();
    const v = this.buf.subarray(this.pos, end);
    this.pos = end;
    return v;
  }

  /** A sub-message read to `end` must end exactly there. */
  closed(end: number): void {
    if (this.pos !== end) throw malformed('a field longer than its message');
  }

  skip(tag: number): void {
    switch (tag & 7) {
      case 0:
        this.varint();
        return;
      case 1:
        this.pos += 8;
        break;
      case 2:
        this.pos = this.delimited();
        return;
      case 5:
        this.pos += 4;
        break;
      default:
        throw malformed(`wire type ${tag & 7}`);
    }
    if (this.pos > this.end) throw malformed('truncated fixed field');
  }
}

/** Status { Code code = 1; string message = 2 } at the cursor (a length-delimited field). */
function readStatus(c: Cursor): ReplyStatus {
  const end = c.delimited();
  let code = 0;
  let message = '';
  while (c.pos < end) {
    const tag = c.varint();
    if (tag === 0x08) code = c.int32();
    else if (tag === 0x12) message = c.string();
    else c.skip(tag);
  }
  c.closed(end);
  return { code, message };
}

/** A cursor over a whole reply. */
function cursor(bytes: Buffer): Cursor {
  return new Cursor(bytes, 0, bytes.length);
}

/** The status (field 1) of any MessagingService or AdminService reply; other fields skipped. */
export function readReplyStatus(bytes: Buffer): ReplyStatus {
  const c = cursor(bytes);
  let status = NO_STATUS;
  while (c.pos < c.end) {
    const tag = c.varint();
    if (tag === 0x0a) status = readStatus(c);
    else c.skip(tag);
  }
  return status;
}

/** SendMessageResponse { status = 1; repeated SendResultEntry entries = 2 { transaction_id = 3 } }. */
export function readSendReply(bytes: Buffer, transactionIds: boolean): SendReply {
  const c = cursor(bytes);
  let status = NO_STATUS;
  const ids: string[] = [];
  while (c.pos < c.end) {
    const tag = c.varint();
    if (tag === 0x0a) status = readStatus(c);
    else if (tag === 0x12 && transactionIds) {
      const end = c.delimited();
      let id = '';
      while (c.pos < end) {
        const t = c.varint();
        if (t === 0x1a) id = c.string();
        else c.skip(t);
      }
      c.closed(end);
      ids.push(id);
    } else c.skip(tag);
  }
  return { status, transactionIds: ids };
}

/** ReceiveMessageResponse { oneof { Status status = 1; Message message = 2; Timestamp delivery_timestamp = 3 } }. */
export function readReceiveReply(bytes: Buffer): ReceiveReply {
  const c = cursor(bytes);
  let reply: ReceiveReply = OTHER;
  while (c.pos < c.end) {
    const tag = c.varint();
    if (tag === 0x0a) reply = { kind: 'status', status: readStatus(c) };
    else if (tag === 0x12) reply = readMessage(c);
    else if (tag === 0x1a) {
      // The last oneof member on the wire wins (as protobufjs's decode).
      c.pos = c.delimited();
      reply = OTHER;
    } else c.skip(tag);
  }
  return reply;
}

/** Message { system_properties = 3 { message_id = 3; receipt_handle = 12 }; bytes body = 4 }. */
function readMessage(c: Cursor): ReceiveReply {
  let messageId = EMPTY;
  let receiptHandle = EMPTY;
  let body = EMPTY;
  const end = c.delimited();
  while (c.pos < end) {
    const tag = c.varint();
    if (tag === 0x22) body = c.bytes();
    else if (tag === 0x1a) {
      // A repeated sub-message replaces the earlier one (as protobufjs's decode).
      messageId = EMPTY;
      receiptHandle = EMPTY;
      const spEnd = c.delimited();
      while (c.pos < spEnd) {
        const t = c.varint();
        if (t === 0x1a) messageId = c.bytes();
        else if (t === 0x62) receiptHandle = c.bytes();
        else c.skip(t);
      }
      c.closed(spEnd);
    } else c.skip(tag);
  }
  c.closed(end);
  return { kind: 'message', messageId, receiptHandle, body };
}

/** Throws `what: CODE message` unless the status is OK (as the drivers always did). */
export function checkOk(what: string, status: ReplyStatus, codeName: (code: number) => string): void {
  if (status.code !== CODE_OK) throw new Error(`${what}: ${codeName(status.code)} ${status.message}`);
}
