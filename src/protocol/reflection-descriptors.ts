// Owns the descriptors server reflection serves. proto-loader's (protobufjs's) file descriptors
// are not what protoc produces: files are regrouped per package and declare no imports, type
// names are relative, and map entries are named after the field (`User_properties`). grpcurl
// links reflection answers with Go's protodesc, which rejects a reference to a file not imported
// ("cannot resolve type") and a map entry not named <Field>Entry. This rewrites them: type names
// fully qualified, imports declared, map entries renamed. Wire format and JSON names unchanged.
// ReflectionService gets each file once (see the end of reflectionDefinition).
import type { PackageDefinition } from '@grpc/proto-loader';
import descriptor from 'protobufjs/ext/descriptor/index.js';

interface FieldProto {
  name: string;
  typeName?: string;
}
interface MessageProto {
  name: string;
  field?: FieldProto[];
  nestedType?: MessageProto[];
  enumType?: { name: string }[];
  options?: { mapEntry?: boolean } | null;
}
interface FileProto {
  name: string;
  package?: string;
  dependency?: string[];
  messageType?: MessageProto[];
  enumType?: { name: string }[];
  service?: { name: string; method?: { inputType?: string; outputType?: string }[] }[];
}

const FileDescriptorProto = (descriptor as unknown as { FileDescriptorProto: { decode(b: Uint8Array): unknown; encode(m: unknown): { finish(): Uint8Array } } })
  .FileDescriptorProto;

function mapEntryName(field: string): string {
  return `${field.replace(/(?:^|_)(.)/g, (_, c: string) => c.toUpperCase()).replace(/_/g, '')}Entry`;
}

/**
 * The file descriptors of `def` rewritten so that grpcurl (and protoc-based tools) accept them,
 * as a package definition for ReflectionService: one entry listing every file once.
 */
export function reflectionDefinition(def: PackageDefinition): PackageDefinition {
  const originals = new Set<Buffer>();
  for (const v of Object.values(def)) for (const b of (v as { fileDescriptorProtos?: Buffer[] }).fileDescriptorProtos ?? []) originals.add(b);
  const decoded = new Map<Buffer, FileProto>([...originals].map((b) => [b, FileDescriptorProto.decode(b) as FileProto]));

  const owner = new Map<string, string>();
  for (const f of decoded.values()) {
    const pkg = f.package ? `${f.package}.` : '';
    const addMessages = (prefix: string, ms: MessageProto[] = []) => {
      for (const m of ms) {
        owner.set(prefix + m.name, f.name);
        for (const e of m.enumType ?? []) owner.set(`${prefix}${m.name}.${e.name}`, f.name);
        addMessages(`${prefix}${m.name}.`, m.nestedType);
      }
    };
    addMessages(pkg, f.messageType);
    for (const e of f.enumType ?? []) owner.set(pkg + e.name, f.name);
  }

  for (const f of decoded.values()) {
    const deps = new Set<string>();
    /** A type name made absolute, resolved like protoc: innermost scope first. */
    const qualify = (scope: string, ref: string): string => {
      let full: string | undefined;
      if (ref.startsWith('.')) full = ref.slice(1);
      else {
        for (let s = scope; full === undefined; s = s.includes('.') ? s.slice(0, s.lastIndexOf('.')) : '') {
          const candidate = s ? `${s}.${ref}` : ref;
          if (owner.has(candidate)) full = candidate;
          else if (!s) throw new Error(`reflection: cannot resolve type ${ref} in ${scope}`);
        }
      }
      const home = owner.get(full);
      if (home !== undefined && home !== f.name) deps.add(home);
      return `.${full}`;
    };
    const fixMessages = (prefix: string, ms: MessageProto[] = []) => {
      for (const m of ms) {
        const full = `${prefix}${m.name}`;
        for (const nested of m.nestedType ?? []) {
          if (!nested.options?.mapEntry) continue;
          const field = m.field?.find((x) => x.typeName === nested.name || x.typeName === `.${full}.${nested.name}`);
          if (field) {
            nested.name = mapEntryName(field.name);
            field.typeName = `.${full}.${nested.name}`;
          }
        }
        for (const field of m.field ?? []) if (field.typeName) field.typeName = qualify(full, field.typeName);
        fixMessages(`${full}.`, m.nestedType);
      }
    };
    const pkg = f.package ? `${f.package}.` : '';
    fixMessages(pkg, f.messageType);
    for (const s of f.service ?? []) {
      for (const m of s.method ?? []) {
        if (m.inputType) m.inputType = qualify(`${pkg}${s.name}`, m.inputType);
        if (m.outputType) m.outputType = qualify(`${pkg}${s.name}`, m.outputType);
      }
    }
    f.dependency = [...deps].sort();
  }

  // @grpc/reflection decodes the file list of every entry it is given; proto-loader repeats the
  // whole list on each of its ~100 types, which made building the reflection service ~0.3 s of
  // start-up. One entry carrying every file once describes the same services and types.
  const files = [...decoded.values()].map((f) => Buffer.from(FileDescriptorProto.encode(f).finish()));
  return { 'halfmoon.reflection.AllFiles': { fileDescriptorProtos: files } } as unknown as PackageDefinition;
}
