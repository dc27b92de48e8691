// Owns server-side renewal of push consumer deliveries (ReceiveMessage with auto_renew): while
// the consuming client is alive its in-flight messages stay invisible, renewed shortly before
// they would expire, with the SAME receipt handle (the Node and Java PushConsumers ack with the
// handle they received). When the client is gone — NotifyClientTermination, or no Telemetry
// stream and not heard from for clientIdleTimeoutMs — its messages are released at once (made
// visible, so another consumer gets them with delivery_attempt + 1). Renewal stops after
// autoRenewMaxMs; the message then simply expires. The store records which deliveries are
// auto-renewed, so tracking resumes after a restart (clients get a grace period to reconnect).
// The checks run as a PeriodicTask without a lease: each broker renews the deliveries it handed
// out (listAutoRenewed(brokerId)). A client with tracked deliveries keeps its session (see
// trackedClients): its last-seen time decides when its deliveries are released.
import type { BrokerConfig } from '../config.js';
import type { Logger } from '../logger.js';
import type { SessionRegistry } from '../session/session-registry.js';
import type { BrokerStore } from '../store/broker-store.js';
import type { AutoRenewedDelivery, Delivery } from '../domain/consumption.js';
import { PeriodicTask } from '../runtime/periodic-task.js';
import type { Clock } from '../util/clock.js';

export type AutoRenewConfig = Pick<
  BrokerConfig,
  'autoRenewInvisibleDurationMs' | 'autoRenewThresholdMs' | 'autoRenewMaxMs' | 'autoRenewCheckIntervalMs' | 'clientIdleTimeoutMs'
>;

export interface AutoRenewDeps {
  store: BrokerStore;
  sessions: SessionRegistry;
  config: AutoRenewConfig;
  clock: Clock;
  log: Logger;
  /** This broker: it renews only the deliveries it handed out. */
  brokerId: string;
}

interface Tracked extends AutoRenewedDelivery {
  /** Last time this broker knew the client to be alive on its own account (receive, restart). */
  seenMs: number;
}

export class AutoRenewService {
  private readonly tracked = new Map<string, Tracked>();
  private readonly task: PeriodicTask;
  private started = false;

  constructor(private readonly deps: AutoRenewDeps) {
    this.task = new PeriodicTask({
      name: 'auto-renew',
      clock: deps.clock,
      log: deps.log,
      intervalMs: deps.config.autoRenewCheckIntervalMs,
      run: (signal) => this.tick(signal),
    });
  }

  /** Loads the auto-renewed deliveries the store kept across a restart and starts the checks. */
  async start(): Promise<void> {
    if (this.started || this.task.closing) return;
    this.started = true;
    const now = this.deps.clock.now();
    for (const d of await this.deps.store.listAutoRenewed(this.deps.brokerId)) this.tracked.set(d.receiptHandle, { ...d, seenMs: now });
    if (this.tracked.size > 0) this.deps.log.info({ count: this.tracked.size }, 'resuming renewal of push consumer deliveries');
    this.task.start();
  }

  close(): Promise<void> {
    return this.task.close();
  }

  /** Deliveries just handed to a push consumer. */
  track(group: string, topic: string, clientId: string, deliveries: Delivery[]): void {
    const now = this.deps.clock.now();
    for (const d of deliveries) {
      this.tracked.set(d.receiptHandle, {
        group,
        topic,
        clientId,
        brokerId: this.deps.brokerId,
        receiptHandle: d.receiptHandle,
        deliveryAttempt: d.deliveryAttempt,
        invisibleUntilMs: d.invisibleUntilMs,
        sinceMs: now,
        seenMs: now,
      });
    }
  }

  /** The delivery was acked, nacked or dead-lettered. */
  forget(receiptHandle: string): void {
    this.tracked.delete(receiptHandle);
  }

  /** How many deliveries are being renewed (admin, tests). */
  get size(): number {
    return this.tracked.size;
  }

  /** The clients whose deliveries are being renewed (their sessions must stay: see SessionEviction). */
  trackedClients(): Set<string> {
    return new Set([...this.tracked.values()].map((t) => t.clientId));
  }

  /** The client said goodbye: release its messages now. */
  async clientGone(clientId: string): Promise<void> {
    const mine = [...this.tracked.values()].filter((t) => t.clientId === clientId);
    for (const t of mine) await this.release(t, 'client terminated');
  }

  /**
   * One pass (also usable without start()): release deliveries of departed clients, renew the
   * ones about to expire; stops once `signal` aborts.
   */
  async tick(signal?: AbortSignal): Promise<void> {
    const { store, config, clock, log } = this.deps;
    for (const t of [...this.tracked.values()]) {
      if (signal?.aborted) return;
      const now = clock.now();
      if (!this.alive(t, now)) {
        await this.release(t, 'client gone');
        continue;
      }
      if (now - t.sinceMs >= config.autoRenewMaxMs) {
        this.tracked.delete(t.receiptHandle); // renewed long enough: it expires like any delivery
        continue;
      }
      if (t.invisibleUntilMs - now > config.autoRenewThresholdMs) continue;
      try {
        const renewed = await store.renewInvisibility(t.group, t.topic, t.receiptHandle, config.autoRenewInvisibleDurationMs);
        if (renewed === 'stale') this.tracked.delete(t.receiptHandle);
        else t.invisibleUntilMs = renewed.invisibleUntilMs;
      } catch (err) {
        log.warn({ err, group: t.group, topic: t.topic }, 'could not renew a push consumer delivery');
      }
    }
  }

  private alive(t: Tracked, now: number): boolean {
    const session = this.deps.sessions.get(t.clientId);
    if (session?.sink) return true;
    const lastSeen = Math.max(t.seenMs, session?.lastSeenMs ?? 0);
    return now - lastSeen < this.deps.config.clientIdleTimeoutMs;
  }

  private async release(t: Tracked, reason: string): Promise<void> {
    this.tracked.delete(t.receiptHandle);
    try {
      const result = await this.deps.store.changeInvisibleDuration(t.group, t.topic, t.receiptHandle, 0);
      if (result !== 'stale') this.deps.log.info({ group: t.group, topic: t.topic, clientId: t.clientId, reason }, 'released a push consumer delivery for redelivery');
    } catch (err) {
      this.deps.log.warn({ err, group: t.group, topic: t.topic }, 'could not release a push consumer delivery');
    }
  }
}
