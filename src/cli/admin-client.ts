// Owns the CLI's connection to a running broker: calls halfmoon.admin.v1.AdminService and turns a
// non-OK body status into an AdminError carrying the RocketMQ code name and message.
import * as grpc from '@grpc/grpc-js';
import { adminService } from '../protocol/proto.js';
import type { Status } from '../protocol/types.js';

export class AdminError extends Error {
  override readonly name = 'AdminError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

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
            reject(new AdminError('UNAVAILABLE', reason));
            return;
          }
          const code = res.status?.code ?? 'OK';
          if (code !== 'OK' && code !== 20000) reject(new AdminError(String(code), res.status?.message ?? ''));
          else resolve(res);
        });
      });
    },
    close: () => client.close(),
  };
}
