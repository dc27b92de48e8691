// Owns gRPC server reflection (grpcurl's list/describe) without paying for it at start: loading
// protobufjs's descriptor types, building @grpc/reflection's descriptor index and its own protos cost the idle broker about 6 MB,
// and most brokers never see a reflection call. The two reflection services (v1 and v1alpha) are
// registered with pass-through (Buffer) serializers; the first call builds the real
// ReflectionService, which registers its handlers on a capturing stand-in for the server, and every
// call is then relayed to those handlers, decoding and encoding with the definitions they came with.
// Relies on @grpc/reflection calling `server.addService(definition, { ServerReflectionInfo })` and
// using only on('data'|'end'), write and end of the stream (version pinned in package.json).
// The services are served by Halfmoon's transport (transport/server.ts), as bidi calls.
import { EventEmitter } from 'node:events';
import type * as grpc from '@grpc/grpc-js';
import type { PackageDefinition } from '@grpc/proto-loader';
import type { GrpcTransport } from './transport/server.js';
import { GrpcStatus } from './transport/status.js';
import type { BidiCall, ServiceDefinition } from './transport/types.js';

const METHOD = 'ServerReflectionInfo';
const SERVICES = ['grpc.reflection.v1.ServerReflection', 'grpc.reflection.v1alpha.ServerReflection'] as const;

type Handler = (stream: EventEmitter & { write(m: unknown): boolean; end(): void }) => void;
interface Captured {
  definition: grpc.MethodDefinition<unknown, unknown>;
  handler: Handler;
}

const passThrough = (b: Buffer): Buffer => b;

/** Registers both reflection services on `server`; `definition()` (the services to describe) is called on the first reflection call. */
export function addLazyReflection(server: GrpcTransport, definition: () => PackageDefinition): void {
  let loading: Promise<Map<string, Captured>> | undefined;
  const load = (): Promise<Map<string, Captured>> =>
    (loading ??= Promise.all([import('@grpc/reflection'), import('./reflection-descriptors.js')]).then(([{ ReflectionService }, { reflectionDefinition }]) => {
      const captured = new Map<string, Captured>();
      const standIn = {
        addService(service: grpc.ServiceDefinition, impl: Record<string, Handler>): void {
          const method = service[METHOD] as grpc.MethodDefinition<unknown, unknown>;
          captured.set(method.path, { definition: method, handler: impl[METHOD]! });
        },
      };
      new ReflectionService(reflectionDefinition(definition())).addToServer(standIn as unknown as grpc.Server);
      return captured;
    }));

  for (const name of SERVICES) {
    const path = `/${name}/${METHOD}`;
    const service: ServiceDefinition = {
      [METHOD]: {
        path,
        requestStream: true,
        responseStream: true,
        requestDeserialize: passThrough,
        responseSerialize: passThrough,
      },
    };
    server.addService(service, {
      [METHOD]: (call: BidiCall<Buffer, Buffer>) => {
        // Until the real handler is there, requests (and the end) wait in `pending`.
        let deliver: ((b: Buffer | null) => void) | undefined;
        const pending: (Buffer | null)[] = [];
        call.on('data', (b: Buffer) => (deliver ? deliver(b) : pending.push(b)));
        call.on('end', () => (deliver ? deliver(null) : pending.push(null)));
        call.on('error', () => undefined); // a cancelled reflection stream is no broker error
        load().then(
          (captured) => {
            const { definition: def, handler } = captured.get(path)!;
            const relay = Object.assign(new EventEmitter(), {
              write: (m: unknown) => call.write(def.responseSerialize(m)),
              end: () => call.end(),
            });
            handler(relay);
            deliver = (b) => (b === null ? relay.emit('end') : relay.emit('data', def.requestDeserialize(b)));
            for (const b of pending.splice(0)) deliver(b);
          },
          (err: unknown) => call.fail(GrpcStatus.INTERNAL, `server reflection could not start: ${err instanceof Error ? err.message : String(err)}`),
        );
      },
    });
  }
}
