// Owns loading our .proto files (proto/) once: the gRPC service definitions for the server and
// the options every decoded message follows (see protocol/types.ts).
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { join } from 'node:path';
import { packageRoot } from '../util/package-root.js';

export const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
};

export const MESSAGING_PROTO = 'apache/rocketmq/v2/service.proto';
export const ADMIN_PROTO = 'halfmoon/admin/v1/admin.proto';

export function protoDir(): string {
  return join(packageRoot(), 'proto');
}

let loaded: { definition: protoLoader.PackageDefinition; grpcObject: grpc.GrpcObject } | undefined;

/** Both services' package definition (also fed to server reflection). */
export function loadProtos(): { definition: protoLoader.PackageDefinition; grpcObject: grpc.GrpcObject } {
  if (!loaded) {
    const definition = protoLoader.loadSync([MESSAGING_PROTO, ADMIN_PROTO], { ...LOADER_OPTIONS, includeDirs: [protoDir()] });
    loaded = { definition, grpcObject: grpc.loadPackageDefinition(definition) };
  }
  return loaded;
}

function serviceAt(path: string): grpc.ServiceClientConstructor {
  let node: unknown = loadProtos().grpcObject;
  for (const part of path.split('.')) node = (node as Record<string, unknown>)[part];
  return node as grpc.ServiceClientConstructor;
}

export function messagingService(): grpc.ServiceClientConstructor {
  return serviceAt('apache.rocketmq.v2.MessagingService');
}

export function adminService(): grpc.ServiceClientConstructor {
  return serviceAt('halfmoon.admin.v1.AdminService');
}
