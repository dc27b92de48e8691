// Owns the CLI's connection to a running broker: calls halfmoon.admin.v1.AdminService and turns a
// non-OK body status (or an unreachable broker) into a BrokerRefusedError with the RocketMQ code.
import * as grpc from '@grpc/grpc-js';
import { codeOf } from '../errors.js';
import { adminService } from '../protocol/proto.js';
import type { Status } from '../protocol/types.js';
import { BrokerRefusedError } from './args.js';

export interface AdminClient {
  call<Res extends object>(method: string, request: object): Promise<Res>;
  close(): void;
}

export function connectAdmin(endpoint: string, timeoutMs = 10_000): AdminClient {
  const Client = adminService();
  const client = new Client(endpoint, grpc.credentials.createInsecure());
  return {
    call<Res extends object>(method: string, request: object): Promise<Res> {
      return new Promise<Res>((resolve, reject) => {
        const fn = (client as unknown as Record<string, Function>)[method]!.bind(client);
        fn(request, { deadline: Date.now() + timeoutMs }, (err: grpc.ServiceError | null, res: Res & { status?: Status | null }) => {
          if (err) {
            const reason = err.code === grpc.status.UNAVAILABLE || err.code === grpc.status.DEADLINE_EXCEEDED
              ? `cannot reach a Halfmoon broker at ${endpoint} (${err.details}); start one with "halfmoon start" or pass --endpoints host:port`
              : `${method} failed: ${err.details || err.message}`;
            reject(new BrokerRefusedError(reason));
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
