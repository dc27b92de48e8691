// Shared by the codec equivalence tests: the fast and the generic (proto-loader) serializers of
// each MessagingService method, a seeded sampler of messages (the fuzzer's: random field presence,
// hostile strings, every enum value and unknown numbers, large and negative int64s, large bodies,
// maps, oneof variants), and `shape`, a strict comparable form of a decoded object (key order,
// Buffer vs array, string vs number, prototypes) so toEqual catches any drift.
import type * as grpc from '@grpc/grpc-js';
import type protobuf from 'protobufjs';
import { fileURLToPath } from 'node:url';
import { genericMessagingService, messagingService } from '../../../../src/protocol/proto.js';
import { loadProtoRoot } from '../../../helpers/proto-compare.js';
import { sample, stringPool } from '../../../../scripts/fuzz/protobuf-mutate.js';
import type { Rng } from '../../../../scripts/fuzz/random.js';

type Method = grpc.MethodDefinition<unknown, unknown>;

const root = loadProtoRoot(fileURLToPath(new URL('../../../../proto', import.meta.url)), ['apache/rocketmq/v2/service.proto']);

export function typeOf(name: string): protobuf.Type {
  return root.lookupType(`apache.rocketmq.v2.${name}`);
}

export function fast(rpc: string): Method {
  return messagingService().service[rpc] as Method;
}

export function generic(rpc: string): Method {
  return genericMessagingService().service[rpc] as Method;
}

export const STRINGS = stringPool(['topic-a', 'group-b', 'ns', 'TagA', 'key-1', 'héllo wörld']);

/** A sampled message of `type`, in the form fromObject takes (string enums and int64s). */
export function sampled(type: string, r: Rng): Record<string, unknown> {
  return sample(typeOf(type), r, STRINGS);
}

/** A strict, comparable form of a value: key order, Buffers, prototypes and primitive types kept. */
export function shape(v: unknown): unknown {
  if (Buffer.isBuffer(v)) return { buffer: v.toString('hex') };
  if (v instanceof Uint8Array) return { uint8array: Buffer.from(v).toString('hex') };
  if (Array.isArray(v)) return { array: v.map(shape) };
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return { plain: Object.getPrototypeOf(o) === Object.prototype, entries: Object.keys(o).map((k) => [k, shape(o[k])]) };
  }
  return { [typeof v]: v };
}

/** What a serializer did: its result's shape, or the error it threw (class and message). */
export function outcome(f: () => unknown): unknown {
  try {
    return { ok: shape(f()) };
  } catch (err) {
    return { threw: (err as Error).constructor.name, message: (err as Error).message };
  }
}
