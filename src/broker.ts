// Owns composing a broker from its parts and their start/stop order: store → services →
// background tasks (auth refresh, DELAY promotion, transaction checks, push-delivery renewal,
// message and decision retention, session eviction, the console's traffic samples; each a
// PeriodicTask) → servers, with the membership heartbeat once the gRPC port is bound, then the
// admin listener. Closing reverses it, and a start that fails part-way closes what it had
// started, in the same reverse order.
import { MessageService } from './admin/message-service.js';
import { TopicService } from './admin/topic-service.js';
import { AuthService } from './auth/auth-service.js';
import { warnIfExposed } from './auth/exposure.js';
import { ClusterService, endpointsOf, formatEndpoint } from './cluster/cluster-service.js';
import { advertisedHostOf, BrokerMembership } from './cluster/membership.js';
import { brokerIdOf, type BrokerConfig } from './config.js';
import { AutoRenewService } from './consumer/auto-renew.js';
import { ConsumerService } from './consumer/consumer-service.js';
import { GroupService } from './consumer/group-service.js';
import { RetentionService } from './consumer/retention-service.js';
import { startHttpGateway, type HttpGateway } from './http/server.js';
import { adminAuthenticator } from './ops/admin-auth.js';
import { startAdminServer, type AdminServer } from './ops/admin-server.js';
import { healthRoutes } from './ops/health.js';
import { consoleRoutes, TrafficSampler } from './ops/console/index.js';
import { metricsRoutes } from './ops/metrics-route.js';
import { BrokerMetrics } from './metrics/broker-metrics.js';
import { brokerScrapeSource } from './metrics/scrape-source.js';
import { createLogger, type Logger } from './logger.js';
import { DelayService } from './producer/delay-service.js';
import { SendService } from './producer/send-service.js';
import type { ServiceContext } from './services.js';
import { startGrpcServer, type GrpcServer } from './protocol/grpc-server.js';
import type { Endpoints } from './protocol/types.js';
import { InProcessEventBus } from './runtime/event-bus.js';
import { SessionEviction } from './session/session-eviction.js';
import { ClientLimits } from './session/client-limits.js';
import { SessionRegistry } from './session/session-registry.js';
import { ClientService } from './session/client-service.js';
import { askPeerClients } from './protocol/admin/clients.js';
import type { BrokerStore } from './store/broker-store.js';
import { createStore } from './store/open-store.js';
import { CheckScheduler } from './transaction/check-scheduler.js';
import { DecisionRetention } from './transaction/decision-retention.js';
import { TransactionService } from './transaction/transaction-service.js';
import { systemClock, type Clock } from './util/clock.js';

export interface BrokerOptions {
  config: BrokerConfig;
  clock?: Clock;
  logger?: Logger;
  /** Defaults to a LevelStore in config.dataDir. */
  store?: BrokerStore;
  /** Random source for restart jitter (tests). */
  random?: () => number;
}

/** Something the broker started and closes again. */
interface Part {
  close(): Promise<void>;
}

const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', '']);

/** Closes parts last-started first; a part that fails to close does not keep the others open. */
async function closeInReverse(parts: readonly Part[], log: Logger): Promise<void> {
  for (const part of [...parts].reverse()) {
    try {
      await part.close();
    } catch (err) {
      log.error({ err }, 'closing a broker part failed');
    }
  }
}

export class Broker {
  private closed = false;

  private constructor(
    readonly services: ServiceContext,
    /** The broker's store (for tests and tools; adapters go through the services). */
    readonly store: BrokerStore,
    private readonly grpc: GrpcServer,
    private readonly http: HttpGateway | undefined,
    private readonly admin: AdminServer | undefined,
    /** Everything started, in start order (store first, servers last). */
    private readonly parts: readonly Part[],
  ) {}

  /** The gRPC port actually bound. */
  get grpcPort(): number {
    return this.grpc.port;
  }

  /** The MQ HTTP gateway port actually bound (undefined when httpEnabled is false). */
  get httpPort(): number | undefined {
    return this.http?.port;
  }

  /** The admin listener's port actually bound (undefined when adminEnabled is false). */
  get adminPort(): number | undefined {
    return this.admin?.port;
  }

  get endpoint(): string {
    const a = this.services.brokerEndpoints().addresses[0]!;
    return `${a.host}:${a.port}`;
  }

  static async start(options: BrokerOptions): Promise<Broker> {
    const { config } = options;
    const clock = options.clock ?? systemClock;
    const log = options.logger ?? createLogger({ level: config.logLevel });
    // The broker's one event bus is its store's (a shared store feeds other processes' events in).
    const store = options.store ?? (await createStore(config, clock, new InProcessEventBus(), log.child({ component: 'store' })));
    await store.open();

    const brokerId = brokerIdOf(config);
    const metrics = new BrokerMetrics({ nodeId: brokerId });
    store.observeWrites?.((transitions, ms) => metrics.writeBatch(transitions, ms));
    const sessions = new SessionRegistry(store.events);
    const delays = new DelayService({ store, config, clock, log: log.child({ component: 'delay' }), brokerId });
    const topics = new TopicService({ store, config, log: log.child({ component: 'topics' }) });
    const sender = new SendService({ store, topics, config, clock, log: log.child({ component: 'send' }), onScheduled: (at) => delays.scheduled(at), metrics });
    const renewals = new AutoRenewService({ store, sessions, config, clock, log: log.child({ component: 'auto-renew' }), brokerId });
    const retention = new RetentionService({ store, config, clock, log: log.child({ component: 'retention' }), brokerId });
    const decisions = new DecisionRetention({ store, config, clock, log: log.child({ component: 'decision-retention' }), brokerId });
    const eviction = new SessionEviction({ sessions, inUse: () => renewals.trackedClients(), config, clock, log: log.child({ component: 'session-eviction' }) });
    const consumer = new ConsumerService({ store, topics, config, clock, log: log.child({ component: 'consumer' }), renewals, brokerId, metrics });
    const auth = new AuthService({ store, config, clock, log: log.child({ component: 'auth' }) });
    const checks = new CheckScheduler({
      store,
      sessions,
      mayCheck: (producer, topic) => auth.mayPublish(producer.user, topic),
      config,
      clock,
      log: log.child({ component: 'transaction-check' }),
      metrics,
      ...(options.random ? { random: options.random } : {}),
    });
    let boundPort = config.grpcPort;
    const membership = new BrokerMembership({
      store,
      brokerId,
      endpoint: () => formatEndpoint({ host: advertisedHostOf(config), port: boundPort }),
      config,
      clock,
      log: log.child({ component: 'membership' }),
    });
    const services: ServiceContext = {
      config,
      clock,
      log,
      events: store.events,
      sessions,
      clients: new ClientService({
        sessions,
        brokerId,
        endpoint: () => formatEndpoint({ host: advertisedHostOf(config), port: boundPort }),
        liveBrokers: () => membership.live(),
        ...(store.capabilities.sharedAcrossProcesses ? { askPeer: askPeerClients } : {}),
      }),
      limits: new ClientLimits({ longPoll: config.maxLongPollsPerClient, telemetry: config.maxTelemetryStreamsPerClient }),
      sender,
      consumer,
      groups: new GroupService({ store, consumer }),
      transactions: new TransactionService({
        store,
        log: log.child({ component: 'transaction' }),
        hasLiveProducer: (group) => sessions.liveProducers(group).length > 0,
        metrics,
      }),
      metrics,
      topics,
      messages: new MessageService({ store }),
      checks,
      auth,
      brokerEndpoints(requested?: Endpoints | null): Endpoints {
        const dialled = requested?.addresses?.[0]?.host;
        const host = config.advertisedHost || dialled || (WILDCARD_HOSTS.has(config.host) ? '127.0.0.1' : config.host);
        return endpointsOf({ host, port: boundPort });
      },
      cluster: new ClusterService({
        shared: store.capabilities.sharedAcrossProcesses,
        brokerId,
        self: (requested) => services.brokerEndpoints(requested),
        live: () => membership.live(),
      }),
    };

    // The web console's rate samples are taken only while the admin listener serves it.
    const traffic = new TrafficSampler({ ...services, log: log.child({ component: 'console' }) });
    const adminRoutes = config.adminEnabled ? [...healthRoutes(() => store.health ?? { healthy: true }), ...metricsRoutes(metrics), ...consoleRoutes(services, traffic)] : [];
    metrics.setScrapeSource(brokerScrapeSource({ store, groups: services.groups, sessions }));
    const background = [auth, delays, checks, renewals, retention, decisions, eviction, ...(config.adminEnabled ? [traffic] : [])];
    const started: Part[] = [store];
    try {
      for (const task of background) {
        started.push(task); // closing a task that did not start is harmless
        await task.start();
      }
      let httpUrl: string | undefined;
      const grpc = await startGrpcServer(services, config.host, config.grpcPort, { httpGateway: () => httpUrl });
      started.push(grpc);
      boundPort = grpc.port;
      started.push(membership); // registered once it can be reached; leaves before the server stops
      await membership.start();
      const http = config.httpEnabled ? await startHttpGateway(services, config.host, config.httpPort) : undefined;
      if (http) started.push(http);
      httpUrl = http?.url;
      const admin = config.adminEnabled
        ? await startAdminServer({
            host: config.adminHost,
            port: config.adminPort,
            routes: adminRoutes,
            log: log.child({ component: 'admin' }),
            ...(config.auth ? { authenticate: adminAuthenticator(auth) } : {}),
          })
        : undefined;
      if (admin) started.push(admin);
      log.info(
        {
          grpc: `${config.host}:${grpc.port}`,
          http: http ? `${config.host}:${http.port}` : 'off',
          admin: admin ? `${config.adminHost}:${admin.port}` : 'off',
          dataDir: config.dataDir,
          durable: config.durable,
          brokerId,
          auth: config.auth,
          tls: config.tlsCert !== '',
        },
        'halfmoon broker started',
      );
      warnIfExposed(config, log);
      return new Broker(services, store, grpc, http, admin, started);
    } catch (err) {
      await closeInReverse(started, log);
      throw err;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await closeInReverse(this.parts, this.services.log);
    this.services.log.info('halfmoon broker stopped');
  }
}
