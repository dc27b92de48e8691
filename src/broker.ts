// Owns composing a broker from its parts and their start/stop order:
// store → services → background work (delay timer, check scheduler, push-delivery renewal,
// retention) → servers; closing reverses it.
import { isIP } from 'node:net';
import { TopicService } from './admin/topic-service.js';
import { brokerIdOf, type BrokerConfig } from './config.js';
import { AutoRenewService } from './consumer/auto-renew.js';
import { ConsumerService } from './consumer/consumer-service.js';
import { GroupService } from './consumer/group-service.js';
import { RetentionService } from './consumer/retention-service.js';
import { startHttpGateway, type HttpGateway } from './http/server.js';
import { createLogger, type Logger } from './logger.js';
import { DelayService } from './producer/delay-service.js';
import { SendService } from './producer/send-service.js';
import type { ServiceContext } from './protocol/context.js';
import { startGrpcServer, type GrpcServer } from './protocol/grpc-server.js';
import type { Endpoints } from './protocol/types.js';
import { SessionRegistry } from './session/session-registry.js';
import type { BrokerStore } from './store/broker-store.js';
import { LevelStore } from './store/level/index.js';
import { CheckScheduler } from './transaction/check-scheduler.js';
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

const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', '']);

function schemeOf(host: string): string {
  const v = isIP(host);
  return v === 4 ? 'IPv4' : v === 6 ? 'IPv6' : 'DOMAIN_NAME';
}

export class Broker {
  private closed = false;

  private constructor(
    readonly services: ServiceContext,
    private readonly grpc: GrpcServer,
    private readonly background: { close(): Promise<void> }[],
    private readonly http?: HttpGateway,
  ) {}

  /** The gRPC port actually bound. */
  get grpcPort(): number {
    return this.grpc.port;
  }

  /** The MQ HTTP gateway port actually bound (undefined when httpEnabled is false). */
  get httpPort(): number | undefined {
    return this.http?.port;
  }

  get endpoint(): string {
    const a = this.services.brokerEndpoints().addresses[0]!;
    return `${a.host}:${a.port}`;
  }

  static async start(options: BrokerOptions): Promise<Broker> {
    const { config } = options;
    const clock = options.clock ?? systemClock;
    const log = options.logger ?? createLogger({ level: config.logLevel });
    const store = options.store ?? new LevelStore({ path: config.dataDir, clock, durable: config.durable });
    await store.open();

    const brokerId = brokerIdOf(config);
    const sessions = new SessionRegistry();
    const delays = new DelayService({ store, clock, log: log.child({ component: 'delay' }), pollMs: config.delayPollMs });
    const sender = new SendService({ store, config, clock, log: log.child({ component: 'send' }), onScheduled: (at) => delays.scheduled(at) });
    const renewals = new AutoRenewService({ store, sessions, config, clock, log: log.child({ component: 'auto-renew' }), brokerId });
    const retention = new RetentionService({ store, config, clock, log: log.child({ component: 'retention' }) });
    const consumer = new ConsumerService({ store, sender, config, clock, log: log.child({ component: 'consumer' }), renewals, brokerId });
    const checks = new CheckScheduler({
      store,
      sessions,
      config,
      clock,
      log: log.child({ component: 'transaction-check' }),
      ...(options.random ? { random: options.random } : {}),
    });
    let boundPort = config.grpcPort;
    const services: ServiceContext = {
      config,
      clock,
      log,
      store,
      sessions,
      sender,
      consumer,
      groups: new GroupService({ store, consumer }),
      transactions: new TransactionService({
        store,
        log: log.child({ component: 'transaction' }),
        hasLiveProducer: (group) => sessions.liveProducers(group).length > 0,
      }),
      topics: new TopicService({ store }),
      checks,
      brokerEndpoints(requested?: Endpoints | null): Endpoints {
        const dialled = requested?.addresses?.[0]?.host;
        const host = config.advertisedHost || dialled || (WILDCARD_HOSTS.has(config.host) ? '127.0.0.1' : config.host);
        return { scheme: schemeOf(host), addresses: [{ host, port: boundPort }] };
      },
    };

    let grpc: GrpcServer;
    try {
      delays.start();
      checks.start();
      await renewals.start();
      retention.start();
      grpc = await startGrpcServer(services, config.host, config.grpcPort);
    } catch (err) {
      await retention.close();
      await renewals.close();
      await checks.close();
      await delays.close();
      await store.close();
      throw err;
    }
    boundPort = grpc.port;
    let http: HttpGateway | undefined;
    if (config.httpEnabled) {
      try {
        http = await startHttpGateway(services, config.host, config.httpPort);
      } catch (err) {
        await grpc.close();
        await retention.close();
        await renewals.close();
        await checks.close();
        await delays.close();
        await store.close();
        throw err;
      }
    }
    log.info({ grpc: `${config.host}:${grpc.port}`, http: http ? `${config.host}:${http.port}` : 'off', dataDir: config.dataDir, durable: config.durable }, 'halfmoon broker started');
    return new Broker(services, grpc, [checks, delays, renewals, retention], http);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.http?.close();
    await this.grpc.close();
    for (const b of this.background) await b.close();
    await this.services.store.close();
    this.services.log.info('halfmoon broker stopped');
  }
}
