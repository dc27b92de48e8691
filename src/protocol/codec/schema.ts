// Owns the protobufjs runtime the fast codecs share: the Reader/Writer/Long that @grpc/proto-loader's
// serializers use (the same protobufjs module), and the enum tables of apache.rocketmq.v2 read from
// our .proto files by reflection (so a value added to a .proto reaches the fast path without a
// hand-kept list): number -> name for decoding (as toObject with enums: String), name -> number for
// encoding (as fromObject).
import protobuf from 'protobufjs';
import { join } from 'node:path';
import { packageRoot } from '../../util/package-root.js';

export const Reader = protobuf.Reader;
export const Writer = protobuf.Writer;
export type Reader = protobuf.Reader;
export type Writer = protobuf.Writer;
export const pbUtil = protobuf.util;

/** The `long` package's Long as protobufjs holds it (util.Long), with the two calls the codecs make. */
export const LongClass = protobuf.util.Long as unknown as {
  new (low: number, high: number, unsigned: boolean): { toString(): string };
  fromValue(value: unknown, unsigned: boolean): protobuf.Long;
};

/** What a decoded enum field holds: its name, or the number itself when the .proto has no such value. */
export type EnumNames = (value: number) => string | number;
/** What fromObject makes of an enum field: the number, or undefined (the field is then not written). */
export type EnumValues = (value: unknown) => number | undefined;

let root: protobuf.Root | undefined;

function schemaRoot(): protobuf.Root {
  if (!root) {
    const r = new protobuf.Root();
    // As proto-loader's include path: our files from proto/, the google ones bundled with protobufjs.
    r.resolvePath = (_origin, target) => (target.startsWith('google/') ? target : join(packageRoot(), 'proto', target));
    r.loadSync(['apache/rocketmq/v2/service.proto'], { keepCase: true });
    r.resolveAll();
    root = r;
  }
  return root;
}

function enumOf(name: string): protobuf.Enum {
  return schemaRoot().lookupEnum(`apache.rocketmq.v2.${name}`);
}

/** number -> name for enum `name` (a dense array when the values are small, else a Map). */
export function enumNames(name: string): EnumNames {
  const byId = enumOf(name).valuesById;
  const ids = Object.keys(byId).map(Number);
  if (Math.max(...ids) < 256 && Math.min(...ids) >= 0) {
    const table: (string | undefined)[] = [];
    for (const id of ids) table[id] = byId[id];
    return (v) => table[v] ?? v;
  }
  const map = new Map<number, string>(ids.map((id) => [id, byId[id]!]));
  return (v) => map.get(v) ?? v;
}

/** fromObject's enum rule: a known name or any number is the value; anything else leaves the field unset. */
export function enumValues(name: string): EnumValues {
  const map = new Map<string, number>(Object.entries(enumOf(name).values));
  return (v) => (typeof v === 'number' ? v : typeof v === 'string' ? map.get(v) : undefined);
}
