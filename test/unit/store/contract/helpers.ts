// Shared by every section of the BrokerStore contract: what a backend hands the suite (a
// StoreHarness per test, and its declared capabilities), the per-test fixture that opens a fresh
// store on a FakeClock and cleans it up afterwards, and small builders (messages, receive
// requests, half messages, check claims) bound to the fixture's current store and clock.
// Sections talk to the store only through the BrokerStore interface, so the same assertions hold
// for any backend.
import { afterEach, beforeEach, expect } from 'vitest';
import { BrokerError, type CodeValue } from '../../../../src/errors.js';
import type { BrokerStore, ClaimChecksRequest, ClaimChecksResult, StoreCapabilities } from '../../../../src/store/broker-store.js';
import type { Delivery, ReceiveRequest } from '../../../../src/domain/consumption.js';
import type { MessageInput, MessageType, StoredMessage } from '../../../../src/domain/messages.js';
import type { BudgetLimits, NewHalf } from '../../../../src/domain/transactions.js';
import { FakeClock } from '../../../../src/util/clock.js';

export interface StoreHarness {
  /** An opened, empty store whose clock is the FakeClock given to makeStore. */
  store: BrokerStore;
  /** Closes the store and opens a new instance over the same data (a broker restart). Required when persistent. */
  reopen?: () => Promise<BrokerStore>;
  /**
   * Opens another instance over the same data while the current one stays open (a second broker
   * process), on the same clock. Required when sharedAcrossProcesses; cleanup closes it too.
   */
  openTwin?: () => Promise<BrokerStore>;
  /** Closes whatever store instances are open (current and twins) and removes their data. */
  cleanup: () => Promise<void>;
}

export type MakeStore = (clock: FakeClock) => Promise<StoreHarness>;

/**
 * The backend under test. `capabilities` are declared up front because they decide at collection
 * time which sections run; the suite checks that the store declares the same ones.
 */
export interface ContractTarget {
  makeStore: MakeStore;
  capabilities: StoreCapabilities;
}

export const SECOND = 1000;
/** Default delay before a half message's first check (the broker's transactionCheckInterval). */
export const FIRST_CHECK_MS = 6 * SECOND;
/** Default check budgets of a claim. */
export const BUDGET: BudgetLimits = { checkMax: 15, maxAgeMs: 24 * 3600 * SECOND };

let messageSeq = 0;

/** A producer's message with a unique id and body. */
export function makeMessage(topic: string, over: Partial<MessageInput> = {}): MessageInput {
  messageSeq++;
  return {
    topic,
    messageId: `MSG${String(messageSeq).padStart(8, '0')}`,
    messageType: 'NORMAL',
    body: Buffer.from(`body-${messageSeq}`),
    keys: [],
    userProperties: {},
    bornTimestampMs: 1_600_000_000_000,
    bornHost: '127.0.0.1',
    ...over,
  };
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => {
      throw new Error('expected the call to reject');
    },
    (err: unknown) => err,
  );
}

export async function expectBrokerError(p: Promise<unknown>, code: CodeValue): Promise<BrokerError> {
  const err = await rejection(p);
  expect(err).toBeInstanceOf(BrokerError);
  expect((err as BrokerError).code).toBe(code);
  return err as BrokerError;
}

export const bodies = (ms: { body: Buffer }[]): string[] => ms.map((m) => m.body.toString('utf8'));
export const offsets = (ms: { offset: number }[]): number[] => ms.map((m) => m.offset);
export const deliveredBodies = (ds: Delivery[]): string[] => ds.map((d) => d.message.body.toString('utf8'));
export const range = (n: number, from = 0): number[] => Array.from({ length: n }, (_, i) => from + i);

/** One test's store, clock and builders; fields are replaced before each test (see useStore). */
export class StoreFixture {
  clock!: FakeClock;
  harness!: StoreHarness;
  store!: BrokerStore;

  constructor(readonly capabilities: StoreCapabilities) {}

  /** A broker restart: closes the store and opens a new instance over the same data. */
  async restart(): Promise<BrokerStore> {
    if (!this.harness.reopen) throw new Error('the store declares itself persistent, but its harness has no reopen()');
    this.store = await this.harness.reopen();
    return this.store;
  }

  /** A second store instance over the same data (another broker process). */
  async twin(): Promise<BrokerStore> {
    if (!this.harness.openTwin) throw new Error('the store declares itself shared across processes, but its harness has no openTwin()');
    return this.harness.openTwin();
  }

  /** How long from now until `atMs` (what the store's *InMs methods report for a deadline in the future). */
  inMs(atMs: number): number {
    return atMs - this.clock.now();
  }

  async topic(name: string, messageType: MessageType = 'NORMAL'): Promise<string> {
    await this.store.createTopic({ name, messageType, queueCount: 1 });
    return name;
  }

  async appendBodies(t: string, ...texts: string[]): Promise<StoredMessage[]> {
    return this.store.append(
      t,
      0,
      texts.map((text) => makeMessage(t, { body: Buffer.from(text) })),
    );
  }

  request(group: string, t: string, over: Partial<ReceiveRequest> = {}): ReceiveRequest {
    return {
      group,
      topic: t,
      filter: { kind: 'all' },
      maxMessages: 32,
      invisibleDurationMs: 30 * SECOND,
      maxDeliveryAttempts: 16,
      fifo: false,
      ...over,
    };
  }

  /** Receives, expecting nothing dead-lettered. */
  async receive(group: string, t: string, over: Partial<ReceiveRequest> = {}): Promise<Delivery[]> {
    const result = await this.store.receive(this.request(group, t, over));
    expect(result.deadLettered).toEqual([]);
    return result.deliveries;
  }

  /** A half message of topic (and producer group) `t`, sent by 'producer-1', with the check-count budget. */
  half(t: string, transactionId: string, over: Partial<NewHalf> = {}): NewHalf {
    return {
      transactionId,
      message: makeMessage(t, { messageType: 'TRANSACTION', messageId: transactionId, body: Buffer.from(`tx-${transactionId}`) }),
      producerGroup: t,
      senderClientId: 'producer-1',
      budget: 'checks',
      ...over,
    };
  }

  /** Claims due checks of a producer group; by default for the one live producer 'checker-1'. */
  claim(producerGroup: string, over: Partial<ClaimChecksRequest> = {}): Promise<ClaimChecksResult> {
    return this.store.claimDueChecks({
      producerGroup,
      limit: 100,
      nextCheckInMs: 60 * SECOND,
      budget: BUDGET,
      targets: ['checker-1'],
      ...over,
    });
  }

  async readAll(t: string): Promise<StoredMessage[]> {
    return this.store.read(t, 0, 0, 10_000);
  }
}

/** Registers a fresh store per test (and its cleanup) in the enclosing describe; returns its fixture. */
export function useStore(target: ContractTarget): StoreFixture {
  const f = new StoreFixture(target.capabilities);
  beforeEach(async () => {
    f.clock = new FakeClock();
    f.harness = await target.makeStore(f.clock);
    f.store = f.harness.store;
  });
  afterEach(async () => {
    await f.harness.cleanup();
  });
  return f;
}
