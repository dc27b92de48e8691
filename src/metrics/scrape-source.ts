// Owns reading the broker's gauges at scrape time: consumer progress per group and topic, pending
// and abandoned transactions, the clients with an open Telemetry stream to this broker, the topic
// count and the store's size. Read from the services and the store when Prometheus asks, so that
// nothing is counted on the hot paths for them.
import type { GroupService } from '../consumer/group-service.js';
import type { SessionRegistry } from '../session/session-registry.js';
import type { BrokerStore } from '../store/broker-store.js';
import type { GroupTopicGauge, ScrapeSource } from './broker-metrics.js';

/** ABANDONED transactions read per scrape at most (they wait for an operator: few). */
const MAX_ABANDONED_SCANNED = 10_000;

export function brokerScrapeSource(deps: { store: BrokerStore; groups: GroupService; sessions: SessionRegistry }): ScrapeSource {
  const { store, groups, sessions } = deps;
  return {
    async groups(): Promise<GroupTopicGauge[]> {
      const out: GroupTopicGauge[] = [];
      for (const g of await groups.list()) {
        for (const p of await store.groupStats(g.name)) out.push({ group: p.group, topic: p.topic, ready: p.lag, inFlight: p.inFlight });
      }
      return out;
    },
    async pendingTransactions() {
      const out: { producerGroup: string; count: number }[] = [];
      for (const producerGroup of await store.pendingProducerGroups()) out.push({ producerGroup, count: await store.pendingTransactionCount(producerGroup) });
      return out;
    },
    async abandonedTransactions() {
      const byTopic = new Map<string, number>();
      for (const h of await store.listTransactions({ state: 'ABANDONED', limit: MAX_ABANDONED_SCANNED })) {
        byTopic.set(h.message.topic, (byTopic.get(h.message.topic) ?? 0) + 1);
      }
      return [...byTopic].map(([topic, count]) => ({ topic, count }));
    },
    liveClients() {
      const producers = new Map<string, number>();
      const consumers = new Map<string, number>();
      for (const s of sessions.all()) {
        if (!s.sink) continue;
        if (s.clientType === 'PRODUCER') for (const t of s.topics) producers.set(t, (producers.get(t) ?? 0) + 1);
        else if (s.group) consumers.set(s.group, (consumers.get(s.group) ?? 0) + 1);
      }
      return { producers, consumers };
    },
    async topicCount() {
      return (await store.listTopics()).length;
    },
    async storeSizeBytes() {
      return store.sizeBytes?.();
    },
  };
}
