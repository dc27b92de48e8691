// Owns the gRPC server: both services (messaging + admin), server reflection for grpcurl (built on
// first use), a raised inbound size limit (a 4 MiB body plus headers exceeds grpc-js's default),
// plaintext or TLS (--tls-cert/--tls-key), bind and close.
import * as grpc from '@grpc/grpc-js';
import { readPem } from '../util/read-pem.js';
import { adminServiceImpl } from './admin-service.js';
import { listenError } from './listen-error.js';
import type { ServiceContext } from '../services.js';
import { messagingServiceImpl } from './messaging-service.js';
import { addLazyReflection } from './lazy-reflection.js';
import { adminService, loadProtos, messagingService } from './proto.js';

const HEADROOM_BYTES = 1024 * 1024;

export interface GrpcServer {
  /** The port actually bound (useful with port 0). */
  port: number;
  close(graceMs?: number): Promise<void>;
}

export async function startGrpcServer(svc: ServiceContext, host: string, port: number): Promise<GrpcServer> {
  const server = new grpc.Server({
    'grpc.max_receive_message_length': svc.config.maxMessageSizeBytes + svc.config.maxPropertiesBytes + HEADROOM_BYTES,
    'grpc.max_send_message_length': -1,
  });
  server.addService(messagingService().service, messagingServiceImpl(svc));
  server.addService(adminService().service, adminServiceImpl(svc));
  addLazyReflection(server, () => loadProtos().definition);

  const address = host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
  const bound = await new Promise<number>((resolve, reject) =>
    server.bindAsync(address, serverCredentials(svc.config), (err, p) => (err ? reject(listenError(err, 'grpc', host, port)) : resolve(p))),
  );
  return {
    port: bound,
    close: (graceMs = 2000) =>
      new Promise<void>((resolve) => {
        const force = setTimeout(() => server.forceShutdown(), graceMs);
        force.unref();
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      }),
  };
}

/** TLS when a certificate and key are configured, else plaintext. */
function serverCredentials(config: { tlsCert: string; tlsKey: string }): grpc.ServerCredentials {
  if (!config.tlsCert) return grpc.ServerCredentials.createInsecure();
  return grpc.ServerCredentials.createSsl(null, [{ cert_chain: readPem(config.tlsCert, 'certificate'), private_key: readPem(config.tlsKey, 'private key') }], false);
}
