// Owns loading our .proto files (proto/) once: the gRPC service definitions for the server and
// the options every decoded message follows (see protocol/types.ts). The messaging service's hot
// RPCs decode requests and encode replies through the fast codecs (protocol/codec/), which give
// the same objects and bytes as proto-loader's serializers.
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { join } from 'node:path';
import { packageRoot } from '../util/package-root.js';
import { withFastCodecs } from './codec/index.js';

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

let messaging: grpc.ServiceClientConstructor | undefined;

/** The messaging service, its server-side serializers the fast ones (codec/) for the hot RPCs. */
export function messagingService(): grpc.ServiceClientConstructor {
  messaging ??= grpc.makeClientConstructor(withFastCodecs(serviceAt('apache.rocketmq.v2.MessagingService').service), 'MessagingService');
  return messaging;
}

/** The messaging service exactly as proto-loader builds it (generic serializers only). */
export function genericMessagingService(): grpc.ServiceClientConstructor {
  return serviceAt('apache.rocketmq.v2.MessagingService');
}

export function adminService(): grpc.ServiceClientConstructor {
  return serviceAt('halfmoon.admin.v1.AdminService');
}
