// Owns the records of consumption: what a receive asks for and gets, deliveries and their
// receipt handles (opaque, store-issued), and push consumer deliveries kept alive by a broker.

import type { StoredMessage } from './messages.js';
import type { TagFilter } from './tag-filter.js';

export interface ReceiveRequest {
  group: string;
  topic: string;
  filter: TagFilter;
  maxMessages: number;
  invisibleDurationMs: number;
  /** Deliveries allowed before the message goes to the group's dead-letter topic. */
  maxDeliveryAttempts: number;
  /** FIFO consumption: deliver a message group's messages one at a time, in order. */
  fifo: boolean;
  /**
   * Push consumer deliveries (ReceiveMessage with auto_renew): the broker `brokerId` keeps them
   * invisible while the client `clientId` is alive (see renewInvisibility). Recorded on the
   * delivery, so it survives a restart; any later delivery without it (e.g. a redelivery to a
   * SimpleConsumer) clears it.
   */
  autoRenew?: { clientId: string; brokerId: string };
  /** The receiving client (recorded in the message's delivery history). */
  clientId?: string;
}

export interface Delivery {
  message: StoredMessage;
  receiptHandle: string;
  /** 1 on first delivery. */
  deliveryAttempt: number;
  invisibleUntilMs: number;
  /** When the message was first delivered to the group (unknown for deliveries older than the record of it). */
  firstDeliveredAtMs?: number;
}

export interface ReceiveResult {
  deliveries: Delivery[];
  /** Messages moved to the dead-letter topic by this call. */
  deadLettered: StoredMessage[];
  /**
   * Set (true) when the call stopped scanning the log at its per-call limit with more of the log
   * left to look at (e.g. a long run of messages the tag filter skips): call again at once rather
   * than waiting for a new append. Absent otherwise.
   */
  scanLimited?: true;
}

export type AckResult = 'ok' | 'stale';

/** An in-flight delivery a broker keeps invisible for a live push consumer. */
export interface AutoRenewedDelivery {
  group: string;
  topic: string;
  receiptHandle: string;
  clientId: string;
  /** The broker that serves the client and renews the delivery. */
  brokerId: string;
  deliveryAttempt: number;
  invisibleUntilMs: number;
  /** When this delivery was handed out (renewal stops after autoRenewMaxMs). */
  sinceMs: number;
}
