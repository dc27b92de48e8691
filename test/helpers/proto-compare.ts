// Structural comparison of two protobufjs namespaces, for checking that our hand-written
// apache.rocketmq.v2 protos stay wire-compatible with the official ones.
//
// Each namespace is flattened into "items" keyed by kind and full name (a message, a field, a
// oneof, an enum, an enum value, a service, an rpc), each with a canonical signature holding
// everything that affects the wire or the generated API: field number, resolved type, label,
// map key type, packed-ness, real-oneof membership, proto3 `optional`; enum value numbers; rpc
// request/response types and streaming flags. Two namespaces are compatible when both item maps
// have the same keys and equal signatures.
import protobuf from 'protobufjs';
import { isAbsolute, join } from 'node:path';

export type ItemKind = 'message' | 'field' | 'oneof' | 'enum' | 'enumvalue' | 'service' | 'rpc';

export interface ProtoDiff {
  /** `missing`: only in `expected`; `extra`: only in `actual`; `mismatch`: signatures differ. */
  kind: 'missing' | 'extra' | 'mismatch';
  /** Item key, e.g. `field apache.rocketmq.v2.Address.port`. */
  key: string;
  expected?: string;
  actual?: string;
}

/** Loads `files` (paths relative to `dir`, as in import statements) into a fresh root. */
export function loadProtoRoot(dir: string, files: string[]): protobuf.Root {
  const root = new protobuf.Root();
  // Imports are written relative to the proto root (`apache/rocketmq/v2/definition.proto`), not
  // to the importing file, so map every non-absolute target onto `dir`. google/protobuf/* imports
  // never reach this: protobufjs serves its bundled copies first.
  root.resolvePath = (_origin: string, target: string): string => (isAbsolute(target) ? target : join(dir, target));
  root.loadSync(files, { keepCase: true });
  root.resolveAll();
  return root;
}

/** Parses proto source text (no imports other than google/protobuf/*) into a resolved root. */
export function parseProtoRoot(...sources: string[]): protobuf.Root {
  const root = new protobuf.Root();
  root.loadSync(['google/protobuf/duration.proto', 'google/protobuf/timestamp.proto'], { keepCase: true });
  for (const source of sources) protobuf.parse(source, root, { keepCase: true });
  root.resolveAll();
  return root;
}

function typeName(field: protobuf.FieldBase): string {
  // After resolveAll, message/enum fields carry their resolved definition; compare by full name
  // so `Resource` and `apache.rocketmq.v2.Resource` spellings are equal.
  if (field.resolvedType) return field.resolvedType.fullName.replace(/^\./, '');
  return field.type;
}

/** Packed encoding only exists for repeated scalar numeric and enum fields. */
function isPackable(field: protobuf.FieldBase): boolean {
  return field.resolvedType instanceof protobuf.Enum || (field.resolvedType === null && field.type in protobuf.types.packed);
}

function isProto3Optional(field: protobuf.FieldBase): boolean {
  return field.options?.['proto3_optional'] === true;
}

function fieldSignature(field: protobuf.FieldBase): string {
  const isMap = field instanceof protobuf.MapField;
  const realOneof = field.partOf && !isProto3Optional(field) ? field.partOf.name : null;
  const sig = {
    id: field.id,
    type: typeName(field),
    label: isMap ? 'map' : field.repeated ? 'repeated' : 'singular',
    keyType: isMap ? (field as protobuf.MapField).keyType : null,
    packed: field.repeated && !isMap && isPackable(field) ? (field as protobuf.Field).packed : null,
    oneof: realOneof,
    proto3Optional: isProto3Optional(field),
  };
  return JSON.stringify(sig);
}

/** Flattens every definition under `namespaceName` into `key -> signature`. */
export function describeNamespace(root: protobuf.Root, namespaceName: string): Map<string, string> {
  const items = new Map<string, string>();
  const ns = root.lookup(namespaceName);
  if (!(ns instanceof protobuf.Namespace)) throw new Error(`namespace ${namespaceName} not found`);
  const strip = (fullName: string): string => fullName.replace(/^\./, '');

  const walk = (container: protobuf.Namespace): void => {
    for (const obj of container.nestedArray) {
      const name = strip(obj.fullName);
      if (obj instanceof protobuf.Type) {
        items.set(`message ${name}`, 'message');
        for (const field of obj.fieldsArray) items.set(`field ${name}.${field.name}`, fieldSignature(field));
        for (const oneof of obj.oneofsArray) {
          // Synthetic single-member oneofs are how protobufjs models proto3 `optional`; that is
          // already part of the field signature, so only real oneofs become items.
          if (oneof.fieldsArray.every(isProto3Optional)) continue;
          items.set(`oneof ${name}.${oneof.name}`, JSON.stringify([...oneof.oneof].sort()));
        }
        walk(obj);
      } else if (obj instanceof protobuf.Enum) {
        items.set(`enum ${name}`, 'enum');
        for (const [valueName, id] of Object.entries(obj.values)) items.set(`enumvalue ${name}.${valueName}`, String(id));
      } else if (obj instanceof protobuf.Service) {
        items.set(`service ${name}`, 'service');
        for (const method of obj.methodsArray) {
          const sig = {
            request: method.resolvedRequestType ? strip(method.resolvedRequestType.fullName) : method.requestType,
            response: method.resolvedResponseType ? strip(method.resolvedResponseType.fullName) : method.responseType,
            requestStream: Boolean(method.requestStream),
            responseStream: Boolean(method.responseStream),
          };
          items.set(`rpc ${name}.${method.name}`, JSON.stringify(sig));
        }
      } else if (obj instanceof protobuf.Namespace) {
        items.set(`namespace ${name}`, 'namespace');
        walk(obj);
      } else {
        items.set(`other ${name}`, obj.constructor.name);
      }
    }
  };
  walk(ns);
  return items;
}

/** Differences of `actual` against `expected` in one namespace, sorted by key. */
export function compareNamespaces(expected: protobuf.Root, actual: protobuf.Root, namespaceName: string): ProtoDiff[] {
  const want = describeNamespace(expected, namespaceName);
  const have = describeNamespace(actual, namespaceName);
  const diffs: ProtoDiff[] = [];
  for (const [key, sig] of want) {
    const got = have.get(key);
    if (got === undefined) diffs.push({ kind: 'missing', key, expected: sig });
    else if (got !== sig) diffs.push({ kind: 'mismatch', key, expected: sig, actual: got });
  }
  for (const [key, sig] of have) if (!want.has(key)) diffs.push({ kind: 'extra', key, actual: sig });
  return diffs.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}
