// Owns the gRPC server: both services (messaging + admin), server reflection for grpcurl (built on
// first use), a raised inbound size limit (a 4 MiB body plus headers exceeds grpc-js's default),
// plaintext or TLS (--tls-cert/--tls-key), bind and close.
// The port is listened on by the port sniffer (port-sniffer.ts), which hands HTTP/2 and TLS
// connections to grpc-js through its connection injector and answers other protocols itself.
import * as grpc from '@grpc/grpc-js';
import { readPem } from '../util/read-pem.js';
import { adminServiceImpl } from './admin-service.js';
import type { ServiceContext } from '../services.js';
import { messagingServiceImpl } from './messaging-service.js';
import { addLazyReflection } from './lazy-reflection.js';
import { adminService, loadProtos, messagingService } from './proto.js';
import { startPortSniffer } from './port-sniffer.js';

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
  const server = new grpc.Server({
    'grpc.max_receive_message_length': svc.config.maxMessageSizeBytes + svc.config.maxPropertiesBytes + HEADROOM_BYTES,
    'grpc.max_send_message_length': -1,
    'grpc.max_concurrent_streams': svc.config.grpcMaxConcurrentStreams,
    // Connections that went quiet, or stopped in the middle of a frame, do not stay open for ever.
    'grpc.max_connection_idle_ms': svc.config.grpcIdleTimeoutMs,
    'grpc.keepalive_time_ms': svc.config.grpcKeepaliveTimeMs,
    'grpc.keepalive_timeout_ms': svc.config.grpcKeepaliveTimeoutMs,
  });
  server.addService(messagingService().service, messagingServiceImpl(svc));
  server.addService(adminService().service, adminServiceImpl(svc));
  addLazyReflection(server, () => loadProtos().definition);

  const credentials = serverCredentials(svc.config);
  const injector = server.createConnectionInjector(credentials);
  const sniffer = await startPortSniffer({
    host,
    port,
    maxConnections: svc.config.grpcMaxConnections,
    sniffTimeoutMs: svc.config.grpcSniffTimeoutMs,
    inject: (socket) => injector.injectConnection(socket),
    httpGateway: options.httpGateway ?? (() => undefined),
    grpcEndpoint: () => {
      const a = svc.brokerEndpoints().addresses[0];
      return a ? `${a.host}:${a.port}` : `${host}:${port}`;
    },
    log: svc.log.child({ component: 'grpc-port' }),
  });
  const bound = sniffer.port;
  return {
    port: bound,
    close: (graceMs = 2000) =>
      new Promise<void>((resolve) => {
        const stopped = sniffer.close();
        const force = setTimeout(() => server.forceShutdown(), graceMs);
        force.unref();
        server.tryShutdown(() => {
          clearTimeout(force);
          injector.destroy();
          void stopped.then(() => resolve());
        });
      }),
  };
}

/** TLS when a certificate and key are configured, else plaintext. */
function serverCredentials(config: { tlsCert: string; tlsKey: string }): grpc.ServerCredentials {
  if (!config.tlsCert) return grpc.ServerCredentials.createInsecure();
  return grpc.ServerCredentials.createSsl(null, [{ cert_chain: readPem(config.tlsCert, 'certificate'), private_key: readPem(config.tlsKey, 'private key') }], false);
}
