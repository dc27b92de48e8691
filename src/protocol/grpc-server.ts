// Owns the gRPC server: both services (messaging + admin) and server reflection for grpcurl
// (built on first use) on Halfmoon's own transport and HTTP/2 (src/protocol/transport/),
// with the inbound size limit (a 4 MiB body plus properties plus headroom), the HTTP/2 settings
// and timers of the config, plaintext or TLS (--tls-cert/--tls-key), bind and close.
// The port is listened on by the port sniffer (port-sniffer.ts), which hands HTTP/2 and TLS
// connections to the transport (`inject`) and answers other protocols itself.
import { readPem } from '../util/read-pem.js';
import { adminServiceImpl } from './admin-service.js';
import type { ServiceContext } from '../services.js';
import { messagingServiceImpl } from './messaging-service.js';
import { addLazyReflection } from './lazy-reflection.js';
import { adminService, loadProtos, messagingService } from './proto.js';
import { startPortSniffer } from './port-sniffer.js';
import { GrpcTransport } from './transport/server.js';

const HEADROOM_BYTES = 1024 * 1024;

export interface GrpcServer {
  /** The port actually bound (useful with port 0). */
  port: number;
  close(graceMs?: number): Promise<void>;
}

export interface GrpcServerOptions {
  /** The MQ HTTP gateway's URL once it listens, named to HTTP/1.1 clients that dial the gRPC port. */
  httpGateway?: () => string | undefined;
}

export async function startGrpcServer(svc: ServiceContext, host: string, port: number, options: GrpcServerOptions = {}): Promise<GrpcServer> {
  const { config } = svc;
  const transport = new GrpcTransport({
    maxReceiveBytes: config.maxMessageSizeBytes + config.maxPropertiesBytes + HEADROOM_BYTES,
    maxConcurrentStreams: config.grpcMaxConcurrentStreams,
    // Connections that went quiet, or stopped in the middle of a frame, do not stay open for ever.
    idleTimeoutMs: config.grpcIdleTimeoutMs,
    keepaliveTimeMs: config.grpcKeepaliveTimeMs,
    keepaliveTimeoutMs: config.grpcKeepaliveTimeoutMs,
    ...(config.tlsCert ? { tls: { cert: readPem(config.tlsCert, 'certificate'), key: readPem(config.tlsKey, 'private key') } } : {}),
    clock: svc.clock,
    log: svc.log.child({ component: 'grpc' }),
  });
  transport.addService(messagingService().service, messagingServiceImpl(svc));
  transport.addService(adminService().service, adminServiceImpl(svc));
  addLazyReflection(transport, () => loadProtos().definition);

  const sniffer = await startPortSniffer({
    host,
    port,
    maxConnections: config.grpcMaxConnections,
    sniffTimeoutMs: config.grpcSniffTimeoutMs,
    inject: (socket) => transport.inject(socket),
    httpGateway: options.httpGateway ?? (() => undefined),
    grpcEndpoint: () => {
      const a = svc.brokerEndpoints().addresses[0];
      return a ? `${a.host}:${a.port}` : `${host}:${port}`;
    },
    log: svc.log.child({ component: 'grpc-port' }),
  });
  return {
    port: sniffer.port,
    close: async (graceMs = 2000) => {
      const stopped = sniffer.close();
      await transport.close(graceMs);
      await stopped;
    },
  };
}
