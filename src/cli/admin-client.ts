// Owns the CLI's connection to a running broker: calls halfmoon.admin.v1.AdminService and turns a
// non-OK body status (or an unreachable broker) into a BrokerRefusedError with the RocketMQ code.
// With credentials, every call is signed.
import * as grpc from '@grpc/grpc-js';
import { codeOf } from '../errors.js';
import { adminService } from '../protocol/proto.js';
import type { Status } from '../protocol/types.js';
import { BrokerRefusedError } from './args.js';
import { unreachable } from './connection.js';
import { signedMetadata, type CliCredentials } from './credentials.js';

export interface AdminClient {
  call<Res extends object>(method: string, request: object): Promise<Res>;
  close(): void;
}

/** A unary method of a grpc-js client made from the admin service definition. */
type GrpcUnaryMethod = (request: object, metadata: grpc.Metadata, options: grpc.CallOptions, callback: (err: grpc.ServiceError | null, res: never) => void) => void;

export function connectAdmin(endpoint: string, timeoutMs = 10_000, credentials?: CliCredentials, tls = false): AdminClient {
  const Client = adminService();
  const client = new Client(endpoint, tls ? grpc.credentials.createSsl() : grpc.credentials.createInsecure());
  return {
    call<Res extends object>(method: string, request: object): Promise<Res> {
      return new Promise<Res>((resolve, reject) => {
        const fn = (client as unknown as Record<string, GrpcUnaryMethod>)[method]!.bind(client);
        fn(request, signedMetadata(credentials), { deadline: Date.now() + timeoutMs }, (err: grpc.ServiceError | null, res: Res & { status?: Status | null }) => {
          if (err) {
            if (err.code === grpc.status.UNAVAILABLE || err.code === grpc.status.DEADLINE_EXCEEDED) reject(unreachable(endpoint, err.details || err.message));
            else if (err.code === grpc.status.UNIMPLEMENTED) {
              reject(
                new BrokerRefusedError(
                  `${endpoint} does not serve Halfmoon's admin API (${method})`,
                  undefined,
                  'is it a Halfmoon broker? Pass the gRPC port of one with --endpoints HOST:PORT',
                ),
              );
            } else reject(new BrokerRefusedError(`${method} failed: ${err.details || err.message}`));
            return;
          }
          const code = res.status?.code ?? 'OK';
          if (code !== 'OK' && code !== 20000) reject(new BrokerRefusedError(res.status?.message || `${method} was refused`, codeOf(code)));
          else resolve(res);
        });
      });
    },
    close: () => client.close(),
  };
}
