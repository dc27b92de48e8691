// Owns the JSON shapes the web console's API answers with: plain objects made from the domain
// records (numbers as numbers, times as epoch milliseconds, bodies as a bounded preview), and a
// transaction's audit trail as one list of events, oldest first.
import type { StoredMessage, MessageInput } from '../../domain/messages.js';
import type { HalfMessage, TransactionDecision } from '../../domain/transactions.js';
import type { ClientSession } from '../../session/session-registry.js';

/** Bytes of a body shown in a message preview. */
export const BODY_PREVIEW_BYTES = 4096;

export interface AuditEvent {
  atMs: number;
  /** received, check, abandoned, decided */
  kind: 'received' | 'check' | 'abandoned' | 'decided';
  text: string;
}

export interface TransactionView {
  transactionId: string;
  messageId: string;
  topic: string;
  state: string;
  producerGroup: string;
  senderClientId: string;
  keys: string[];
  tag: string;
  receivedAtMs: number;
  checkCount: number;
  nextCheckAtMs: number | null;
  decidedBy: string | null;
  decidedAtMs: number | null;
  reason: string;
  trail: AuditEvent[];
}

function checkEvents(checks: { atMs: number; clientId: string }[] | undefined): AuditEvent[] {
  return (checks ?? []).map((c) => ({ atMs: c.atMs, kind: 'check' as const, text: `check sent to producer ${c.clientId}` }));
}

export function halfView(h: HalfMessage): TransactionView {
  const trail: AuditEvent[] = [
    { atMs: h.receivedAtMs, kind: 'received', text: `half message received from ${h.senderClientId || 'an unknown client'}` },
    ...checkEvents(h.checks),
  ];
  if (h.state === 'ABANDONED') trail.push({ atMs: h.lastCheckAtMs ?? h.receivedAtMs, kind: 'abandoned', text: `abandoned: ${h.abandonReason ?? 'no reason recorded'}` });
  return {
    transactionId: h.transactionId,
    messageId: h.message.messageId,
    topic: h.message.topic,
    state: h.state,
    producerGroup: h.producerGroup,
    senderClientId: h.senderClientId,
    keys: h.message.keys,
    tag: h.message.tag ?? '',
    receivedAtMs: h.receivedAtMs,
    checkCount: h.checkCount,
    nextCheckAtMs: h.state === 'PENDING' ? h.nextCheckAtMs : null,
    decidedBy: null,
    decidedAtMs: null,
    reason: h.abandonReason ?? '',
    trail,
  };
}

export function decisionView(d: TransactionDecision): TransactionView {
  const verb = d.state === 'COMMITTED' ? 'committed' : 'rolled back';
  return {
    transactionId: d.transactionId,
    messageId: d.messageId,
    topic: d.topic,
    state: d.state,
    producerGroup: '',
    senderClientId: '',
    keys: d.keys ?? [],
    tag: '',
    receivedAtMs: d.receivedAtMs,
    checkCount: d.checkCount,
    nextCheckAtMs: null,
    decidedBy: d.source,
    decidedAtMs: d.decidedAtMs,
    reason: d.reason ?? '',
    trail: [
      { atMs: d.receivedAtMs, kind: 'received', text: 'half message received' },
      ...checkEvents(d.checks),
      {
        atMs: d.decidedAtMs,
        kind: 'decided',
        text: `${verb} by ${d.source}${d.reason ? ` (${d.reason})` : ''}${d.offset !== undefined ? `, stored at offset ${d.offset}` : ''}`,
      },
    ],
  };
}

export interface BodyPreview {
  size: number;
  /** json when the body parses as JSON, text when it is valid UTF-8 without control bytes, else hex. */
  format: 'json' | 'text' | 'hex';
  preview: string;
  truncated: boolean;
}

export function bodyPreview(body: Buffer): BodyPreview {
  const head = body.subarray(0, BODY_PREVIEW_BYTES);
  const truncated = body.length > head.length;
  // stream: a character cut at the end of the preview is left out rather than shown as U+FFFD.
  const text = new TextDecoder('utf-8', { fatal: false }).decode(head, { stream: truncated });
  const printable = !text.includes('\uFFFD') && !/[\x00-\x08\x0B\x0C\x0E-\x1F]/.test(text);
  if (printable && !truncated) {
    try {
      return { size: body.length, format: 'json', preview: JSON.stringify(JSON.parse(text) as unknown, null, 2), truncated };
    } catch {
      // not JSON: shown as text
    }
  }
  if (printable) return { size: body.length, format: 'text', preview: text, truncated };
  return {
    size: body.length,
    format: 'hex',
    preview: head
      .toString('hex')
      .replace(/(.{2})/g, '$1 ')
      .trim(),
    truncated,
  };
}

export function messageView(m: MessageInput & Partial<Pick<StoredMessage, 'queueId' | 'offset' | 'storeTimestampMs' | 'transactionId' | 'deadLetter'>>) {
  return {
    messageId: m.messageId,
    topic: m.topic,
    messageType: m.messageType,
    tag: m.tag ?? '',
    keys: m.keys,
    messageGroup: m.messageGroup ?? '',
    properties: m.userProperties,
    bornTimestampMs: m.bornTimestampMs,
    bornHost: m.bornHost,
    deliveryTimestampMs: m.deliveryTimestampMs ?? null,
    queueId: m.queueId ?? null,
    offset: m.offset ?? null,
    storeTimestampMs: m.storeTimestampMs ?? null,
    transactionId: m.transactionId ?? null,
    deadLetter: m.deadLetter ?? null,
    body: bodyPreview(m.body),
  };
}

export function clientView(s: ClientSession) {
  return {
    clientId: s.clientId,
    clientType: s.clientType,
    group: s.group ?? '',
    topics: [...s.topics].sort(),
    /** An open Telemetry stream on this broker (a producer can be checked through it). */
    streamOpen: s.sink !== undefined,
    lastSeenMs: s.lastSeenMs,
  };
}
