// Owns MessageView, the read-only message consumers and transaction checkers receive.
// Each view keeps a private link to the official view that acks and renewals need.
import { IllegalArgumentException } from './errors.js';
import type { OfficialMessageView } from './official.js';

/** A received message (or a half message a transaction checker is asked about). */
export interface MessageView {
  readonly messageId: string;
  readonly topic: string;
  readonly body: Buffer;
  readonly tag: string | undefined;
  readonly keys: readonly string[];
  readonly messageGroup: string | undefined;
  readonly deliveryTimestamp: Date | undefined;
  /** 1 on first delivery, +1 per redelivery. */
  readonly deliveryAttempt: number;
  readonly properties: ReadonlyMap<string, string>;
  readonly bornHost: string;
  readonly bornTimestamp: Date | undefined;
}

const officialViews = new WeakMap<MessageView, OfficialMessageView>();

export function wrapMessageView(view: OfficialMessageView): MessageView {
  const ours: MessageView = Object.freeze({
    messageId: view.messageId,
    topic: view.topic,
    body: view.body,
    tag: view.tag || undefined,
    keys: Object.freeze([...view.keys]),
    messageGroup: view.messageGroup || undefined,
    deliveryTimestamp: view.deliveryTimestamp,
    deliveryAttempt: view.deliveryAttempt ?? 0,
    properties: new Map(view.properties),
    bornHost: view.bornHost,
    bornTimestamp: view.bornTimestamp,
  });
  officialViews.set(ours, view);
  return ours;
}

/** The official view behind one of ours; views from elsewhere cannot be acked. */
export function unwrapMessageView(view: MessageView, method: string): OfficialMessageView {
  const official = view && typeof view === 'object' ? officialViews.get(view) : undefined;
  if (!official) throw new IllegalArgumentException(`${method}() needs a MessageView returned by receive()`);
  return official;
}
