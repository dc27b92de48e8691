// Owns the protocol's documents (spec §4–5): reading the <Message> and <ReceiptHandles> request
// bodies, and writing the <Message>, <Messages>, <Errors> and <Error> responses with exactly the
// children the SDKs require (Python drops empty elements, so required ones are never empty).
import { createHash } from 'node:crypto';
import type { MessageInput } from '../domain/messages.js';
import { MqHttpError, type MqErrorCode } from './errors.js';
import { formatProperties } from './properties.js';
import { el, parseXml, xmlDocument, type XmlElement } from './xml.js';

function parseRoot(body: Buffer, root: string): XmlElement {
  if (body.length === 0) throw new MqHttpError('InvalidArgument', `the request body is empty: send a <${root}> document`);
  const doc = parseXml(body.toString('utf8'));
  if (doc.name !== root) throw new MqHttpError('InvalidArgument', `the XML you provided did not validate: the root element must be <${root}>, not <${doc.name}>`);
  return doc;
}

export interface PublishDocument {
  body: string;
  tag?: string;
  properties?: string;
}

const MESSAGE_FIELDS = ['MessageBody', 'MessageTag', 'Properties'] as const;

export function readPublishDocument(body: Buffer): PublishDocument {
  const doc = parseRoot(body, 'Message');
  const fields: Partial<Record<(typeof MESSAGE_FIELDS)[number], string>> = {};
  for (const child of doc.children) {
    const name = child.name as (typeof MESSAGE_FIELDS)[number];
    if (!MESSAGE_FIELDS.includes(name)) {
      throw new MqHttpError('InvalidArgument', `the XML you provided did not validate, caused by element <${child.name}>: <Message> takes ${MESSAGE_FIELDS.join(', ')}`);
    }
    if (fields[name] !== undefined) throw new MqHttpError('InvalidArgument', `the XML you provided did not validate: <${name}> appears twice`);
    fields[name] = child.text;
  }
  if (fields.MessageBody === undefined) throw new MqHttpError('InvalidArgument', 'the XML you provided did not validate: <MessageBody> is required');
  const out: PublishDocument = { body: fields.MessageBody };
  if (fields.MessageTag) out.tag = fields.MessageTag;
  if (fields.Properties) out.properties = fields.Properties;
  return out;
}

/** The handles of an ack/commit/rollback body: 1..max, none empty. */
export function readReceiptHandles(body: Buffer, max: number): string[] {
  const doc = parseRoot(body, 'ReceiptHandles');
  const handles: string[] = [];
  for (const child of doc.children) {
    if (child.name !== 'ReceiptHandle') {
      throw new MqHttpError('InvalidArgument', `the XML you provided did not validate, caused by element <${child.name}>: <ReceiptHandles> holds <ReceiptHandle> elements`);
    }
    const handle = child.text.trim();
    if (!handle) throw new MqHttpError('MissingReceiptHandle', 'a <ReceiptHandle> is empty: pass the handles exactly as returned');
    handles.push(handle);
  }
  if (handles.length === 0) throw new MqHttpError('MissingReceiptHandle', 'ReceiptHandle is required: put at least one <ReceiptHandle> in <ReceiptHandles>');
  if (handles.length > max) throw new MqHttpError('InvalidArgument', `the number of receipt handles should be between 1 and ${max}, got ${handles.length}`);
  return handles;
}

/** Upper-case hex MD5 of the body, as the service reports MessageBodyMD5. */
export function bodyMd5(body: Buffer): string {
  return createHash('md5').update(body).digest('hex').toUpperCase();
}

export function publishResponse(messageId: string, body: Buffer, receiptHandle?: string): string {
  return xmlDocument('Message', el('MessageId', messageId) + el('MessageBodyMD5', bodyMd5(body)) + el('ReceiptHandle', receiptHandle));
}

export interface OutgoingMessage {
  message: MessageInput;
  receiptHandle: string;
  publishTimeMs: number;
  firstConsumeTimeMs: number;
  nextConsumeTimeMs: number;
  consumedTimes: number;
}

/** A 200 body; callers answer MessageNotExist instead of an empty list (the Node SDK crashes on it). */
export function messagesResponse(list: OutgoingMessage[]): string {
  const items = list.map((o) => {
    const properties = formatProperties(o.message);
    return (
      '<Message>' +
      el('MessageId', o.message.messageId) +
      el('ReceiptHandle', o.receiptHandle) +
      el('MessageBodyMD5', bodyMd5(o.message.body)) +
      el('MessageBody', o.message.body.toString('utf8')) +
      el('PublishTime', o.publishTimeMs) +
      el('FirstConsumeTime', o.firstConsumeTimeMs) +
      el('NextConsumeTime', o.nextConsumeTimeMs) +
      el('ConsumedTimes', o.consumedTimes) +
      el('MessageTag', o.message.tag || undefined) +
      el('Properties', properties || undefined) +
      '</Message>'
    );
  });
  return xmlDocument('Messages', items.join(''));
}

export interface HandleError {
  receiptHandle: string;
  code: MqErrorCode;
  message: string;
}

/** The 404 body of an ack/commit/rollback in which some handles failed. */
export function handleErrorsResponse(errors: HandleError[]): string {
  return xmlDocument(
    'Errors',
    errors.map((e) => '<Error>' + el('ErrorCode', e.code) + el('ErrorMessage', e.message) + el('ReceiptHandle', e.receiptHandle) + '</Error>').join(''),
  );
}

export function errorResponse(code: MqErrorCode, message: string, requestId: string, hostId: string): string {
  return xmlDocument('Error', el('Code', code) + el('Message', message || code) + el('RequestId', requestId) + el('HostId', hostId));
}
