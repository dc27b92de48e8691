// A grpcurl stand-in for tests (grpcurl itself cannot be installed here). Knows nothing of our
// .proto files: like grpcurl it asks the broker's server reflection service (v1, falling back to
// v1alpha) for `list_services` and `file_containing_symbol` descriptors, fetches the declared
// imports by file name, links them by the rules of Go's protodesc that grpcurl (protoreflect
// >= 1.15) applies (see LinkMode), builds a descriptor registry with @bufbuild/protobuf, and
// turns -d JSON into requests and responses into JSON with the proto3 canonical JSON mapping
// (lowerCamelCase names, bytes as base64, enums by name, "30s" Durations, RFC 3339 Timestamps,
// int64 as strings, default values omitted), as grpcurl does. The only .proto file it loads is
// the reflection protocol's own, shipped with @grpc/reflection. Not emulated: the rest of
// protodesc's validation, TLS, and grpcurl's other flags and verbs.
//
// Supported command lines: `grpcurl [-plaintext] [-H 'k: v']... [-d JSON] ADDRESS list [SERVICE]`,
// `... ADDRESS describe SYMBOL` and `... ADDRESS package.Service/Method`. Any other flag is an
// error, so a README can't use one that this stand-in would silently ignore.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import {
  clone,
  create,
  createFileRegistry,
  fromBinary,
  fromJson,
  toBinary,
  toJsonString,
  type DescField,
  type DescMessage,
  type DescMethod,
  type DescService,
  type FileRegistry,
  type JsonValue,
  type Message,
} from '@bufbuild/protobuf';
import {
  FileDescriptorProtoSchema,
  FileDescriptorSetSchema,
  type DescriptorProto,
  file_google_protobuf_any,
  file_google_protobuf_duration,
  file_google_protobuf_empty,
  file_google_protobuf_struct,
  file_google_protobuf_timestamp,
  file_google_protobuf_wrappers,
  type FileDescriptorProto,
} from '@bufbuild/protobuf/wkt';

// ---------------------------------------------------------------------------------------------
// Server reflection
// ---------------------------------------------------------------------------------------------

type ReflectionVersion = 'v1' | 'v1alpha';

interface ReflectionResponse {
  file_descriptor_response?: { file_descriptor_proto: Buffer[] };
  list_services_response?: { service: { name: string }[] };
  error_response?: { error_code: number; error_message: string };
  message_response?: string;
}

type ReflectionRequest = { list_services: string } | { file_containing_symbol: string } | { file_by_filename: string };

const require = createRequire(import.meta.url);
const reflectionConstructors = new Map<ReflectionVersion, grpc.ServiceClientConstructor>();

/** The reflection protocol's client for one version, from the .proto that @grpc/reflection ships. */
function reflectionConstructor(version: ReflectionVersion): grpc.ServiceClientConstructor {
  let ctor = reflectionConstructors.get(version);
  if (!ctor) {
    const root = dirname(require.resolve('@grpc/reflection/package.json'));
    const file = join(root, 'build', 'proto', 'grpc', 'reflection', version, 'reflection.proto');
    const def = protoLoader.loadSync(file, { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true });
    const pkg = grpc.loadPackageDefinition(def) as unknown as { grpc: { reflection: Record<string, { ServerReflection: grpc.ServiceClientConstructor }> } };
    ctor = pkg.grpc.reflection[version]!.ServerReflection;
    reflectionConstructors.set(version, ctor);
  }
  return ctor;
}

/** One ServerReflectionInfo stream, used request by request (answers come back in order). */
class ReflectionStream {
  private readonly client: grpc.Client;
  private readonly stream: grpc.ClientDuplexStream<ReflectionRequest & { host: string }, ReflectionResponse>;
  private readonly waiting: { resolve(r: ReflectionResponse): void; reject(e: Error): void }[] = [];
  private failure: Error | undefined;

  constructor(endpoint: string, version: ReflectionVersion) {
    const Ctor = reflectionConstructor(version);
    this.client = new Ctor(endpoint, grpc.credentials.createInsecure());
    this.stream = (this.client as unknown as { ServerReflectionInfo(): ReflectionStream['stream'] }).ServerReflectionInfo();
    this.stream.on('data', (r: ReflectionResponse) => this.waiting.shift()?.resolve(r));
    this.stream.on('error', (e: Error) => this.fail(e));
    this.stream.on('end', () => this.fail(new Error('reflection stream ended')));
  }

  private fail(e: Error): void {
    this.failure ??= e;
    for (const w of this.waiting.splice(0)) w.reject(e);
  }

  ask(req: ReflectionRequest): Promise<ReflectionResponse> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.stream.write({ host: '', ...req });
    });
  }

  close(): void {
    this.stream.end();
    this.client.close();
  }
}

/** grpcurl's well-known imports: used only when the server does not serve them itself. */
const BUILTIN_FILES = new Map<string, FileDescriptorProto>(
  [
    file_google_protobuf_any,
    file_google_protobuf_duration,
    file_google_protobuf_empty,
    file_google_protobuf_struct,
    file_google_protobuf_timestamp,
    file_google_protobuf_wrappers,
  ].map((f) => [f.proto.name, f.proto]),
);

export type LinkMode = 'grpcurl' | 'repair';

export interface ReflectionOptions {
  /**
   * 'grpcurl' (default): link descriptors by Go's protodesc rules, as grpcurl (protoreflect ≥ 1.15)
   * does: a file sees only its own declarations and those of its declared imports, and an
   * implicit map entry must be named `<CamelCaseField>Entry`. Violations throw grpcurl's error.
   * 'repair': link leniently instead (resolve names across every file received, add missing
   * imports, rename map entries): a no-op on well-formed descriptors, used to exercise the RPCs
   * themselves while the descriptors a server sends are not well-formed.
   */
  link?: LinkMode;
}

/** What a server tells through reflection: its services and their descriptors. */
export class ReflectionClient {
  private stream: ReflectionStream | undefined;
  private version: ReflectionVersion | undefined;
  private readonly link: LinkMode;
  /** Every file descriptor received so far, by file name, as received. */
  readonly files = new Map<string, FileDescriptorProto>();
  /** Imports the server did not serve, filled in from the built-in well-known types. */
  readonly builtinFilesUsed = new Set<string>();
  /** Linked (validated, fully-qualified) files, by name. */
  private readonly linked = new Map<string, FileDescriptorProto>();
  private registry: FileRegistry | undefined;

  constructor(
    private readonly endpoint: string,
    options: ReflectionOptions = {},
  ) {
    this.link = options.link ?? 'grpcurl';
  }

  /** The reflection version the server answered (after the first call). */
  get protocolVersion(): ReflectionVersion | undefined {
    return this.version;
  }

  private async ask(req: ReflectionRequest): Promise<ReflectionResponse> {
    if (this.stream && this.version) return this.stream.ask(req);
    // Like grpcurl: v1 first, v1alpha when the server does not implement v1.
    for (const version of ['v1', 'v1alpha'] as const) {
      const stream = new ReflectionStream(this.endpoint, version);
      try {
        const res = await stream.ask(req);
        this.stream = stream;
        this.version = version;
        return res;
      } catch (err) {
        stream.close();
        if ((err as grpc.ServiceError).code !== grpc.status.UNIMPLEMENTED || version === 'v1alpha') throw err;
      }
    }
    throw new Error('unreachable');
  }

  private async fetchFiles(req: ReflectionRequest): Promise<FileDescriptorProto[]> {
    const res = await this.ask(req);
    if (res.error_response) throw new ReflectionLookupError(res.error_response.error_code, res.error_response.error_message);
    if (!res.file_descriptor_response) throw new Error(`reflection answered ${JSON.stringify(req)} with ${res.message_response}`);
    const files = res.file_descriptor_response.file_descriptor_proto.map((b) => fromBinary(FileDescriptorProtoSchema, b));
    for (const f of files) if (!this.files.has(f.name)) this.files.set(f.name, f);
    return files;
  }

  /** A file by name: already received, else file_by_filename, else a built-in well-known file. */
  private async fileByName(name: string): Promise<FileDescriptorProto> {
    const known = this.files.get(name);
    if (known) return known;
    try {
      await this.fetchFiles({ file_by_filename: name });
    } catch (err) {
      const builtin = BUILTIN_FILES.get(name);
      if (!(err instanceof ReflectionLookupError) || !builtin) throw err;
      this.builtinFilesUsed.add(name);
      this.files.set(name, builtin);
    }
    const got = this.files.get(name);
    if (!got) throw new Error(`File not found: ${name}`);
    return got;
  }

  /** Fully-qualified names of the services the server lists. */
  async listServices(): Promise<string[]> {
    const res = await this.ask({ list_services: '*' });
    if (res.error_response) throw new ReflectionLookupError(res.error_response.error_code, res.error_response.error_message);
    return (res.list_services_response?.service ?? []).map((s) => s.name);
  }

  /**
   * Loads the file declaring `symbol` (the first file of the file_containing_symbol answer, as
   * grpcurl takes it) and its imports, transitively, then links them.
   */
  async loadSymbol(symbol: string): Promise<void> {
    const answer = await this.fetchFiles({ file_containing_symbol: symbol });
    const root = answer[0];
    if (!root) throw new Error(`Symbol not found: ${symbol}`);
    // grpcurl follows declared imports only; 'repair' also takes every file the server sent along.
    const pending = this.link === 'grpcurl' ? [root.name] : answer.map((f) => f.name);
    const closure = new Map<string, FileDescriptorProto>();
    while (pending.length > 0) {
      const name = pending.pop()!;
      if (closure.has(name)) continue;
      const file = await this.fileByName(name);
      closure.set(name, file);
      pending.push(...file.dependency);
    }
    const linked = linkFiles([...closure.values()], this.link);
    for (const f of linked) this.linked.set(f.name, f);
    this.registry = undefined;
  }

  /** A registry over every file linked so far. */
  getRegistry(): FileRegistry {
    if (!this.registry) {
      // createFileRegistry wants every file after the files it imports.
      const ordered: FileDescriptorProto[] = [];
      const placed = new Set<string>();
      const place = (f: FileDescriptorProto) => {
        if (placed.has(f.name)) return;
        placed.add(f.name);
        for (const d of f.dependency) {
          const dep = this.linked.get(d);
          if (dep) place(dep);
        }
        ordered.push(f);
      };
      for (const f of this.linked.values()) place(f);
      this.registry = createFileRegistry(create(FileDescriptorSetSchema, { file: ordered }));
    }
    return this.registry;
  }

  async service(name: string): Promise<DescService> {
    await this.loadSymbol(name);
    const s = this.getRegistry().getService(name);
    if (!s) throw new Error(`${name} is not a service`);
    return s;
  }

  close(): void {
    this.stream?.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Linking: Go protodesc's rules (what grpcurl applies), or a lenient repair
// ---------------------------------------------------------------------------------------------

/** A linking failure, worded as protodesc words it (grpcurl prints it after "Failed to ..."). */
export class DescriptorLinkError extends Error {}

type Decl = { kind: 'message'; proto: DescriptorProto } | { kind: 'enum' } | { kind: 'service' };

function declarations(file: FileDescriptorProto): Map<string, Decl> {
  const out = new Map<string, Decl>();
  const pkg = file.package ? `${file.package}.` : '';
  const addMessages = (prefix: string, messages: DescriptorProto[]) => {
    for (const m of messages) {
      out.set(prefix + m.name, { kind: 'message', proto: m });
      addMessages(`${prefix}${m.name}.`, m.nestedType);
      for (const e of m.enumType) out.set(`${prefix}${m.name}.${e.name}`, { kind: 'enum' });
    }
  };
  addMessages(pkg, file.messageType);
  for (const e of file.enumType) out.set(pkg + e.name, { kind: 'enum' });
  for (const s of file.service) out.set(pkg + s.name, { kind: 'service' });
  return out;
}

/** strs.MapEntryName: `user_properties` → `UserPropertiesEntry`. */
export function mapEntryName(field: string): string {
  let out = '';
  let upper = true;
  for (const c of field) {
    if (c === '_') upper = true;
    else {
      out += upper ? c.toUpperCase() : c;
      upper = false;
    }
  }
  return `${out}Entry`;
}

/** strs.JSONCamelCase: the default json_name, `message_type` → `messageType`. */
export function jsonCamelCase(field: string): string {
  let out = '';
  let afterUnderscore = false;
  for (const c of field) {
    if (c !== '_') out += afterUnderscore && c >= 'a' && c <= 'z' ? c.toUpperCase() : c;
    afterUnderscore = c === '_';
  }
  return out;
}

/**
 * Links `files` (a file and everything it imports) into copies whose type references are
 * fully qualified, checking them the way protodesc.NewFile does in 'grpcurl' mode.
 */
export function linkFiles(files: FileDescriptorProto[], mode: LinkMode): FileDescriptorProto[] {
  const byName = new Map(files.map((f) => [f.name, clone(FileDescriptorProtoSchema, f)]));
  const decls = new Map([...byName.values()].map((f) => [f.name, declarations(f)]));
  const owner = new Map<string, string>();
  for (const [file, d] of decls) for (const name of d.keys()) if (!owner.has(name)) owner.set(name, file);

  /** Files whose declarations `file` may use: itself, its imports, and their public imports. */
  const visibleFiles = (file: FileDescriptorProto): Set<string> => {
    const seen = new Set<string>([file.name]);
    const addImport = (name: string) => {
      if (seen.has(name)) return;
      seen.add(name);
      const dep = byName.get(name);
      for (const i of dep?.publicDependency ?? []) {
        const pub = dep!.dependency[i];
        if (pub !== undefined) addImport(pub);
      }
    };
    for (const d of file.dependency) addImport(d);
    return seen;
  };

  for (const file of byName.values()) {
    const visible = visibleFiles(file);
    /** findDescriptor: `ref` relative to `scope` (C++-like), or absolute with a leading dot. */
    const resolve = (scope: string, ref: string, what: string): string => {
      if (ref.startsWith('.')) ref = ref.slice(1);
      else {
        for (let s = scope; ; s = s.includes('.') ? s.slice(0, s.lastIndexOf('.')) : '') {
          const candidate = s ? `${s}.${ref}` : ref;
          const home = owner.get(candidate);
          if (home !== undefined && (mode === 'repair' || visible.has(home))) return use(candidate, home);
          if (!s) break;
        }
        if (mode === 'grpcurl') throw new DescriptorLinkError(`proto: ${what}: "*.${ref}" not found`);
        throw new DescriptorLinkError(`${what}: ${ref} is declared in no file received`);
      }
      const home = owner.get(ref);
      if (home === undefined || (mode === 'grpcurl' && !visible.has(home))) throw new DescriptorLinkError(`proto: ${what}: "${ref}" not found`);
      return use(ref, home);
    };
    const use = (fullName: string, home: string): string => {
      if (mode === 'repair' && home !== file.name && !file.dependency.includes(home)) file.dependency.push(home);
      return `.${fullName}`;
    };

    const linkMessages = (scope: string, messages: DescriptorProto[]) => {
      for (const m of messages) {
        const full = `${scope}${m.name}`;
        for (const f of m.field) {
          if (f.typeName) f.typeName = resolve(full, f.typeName, `message field "${full}.${f.name}" cannot resolve type`);
          // protoc always fills json_name in; protodesc derives it when absent (protobufjs omits it).
          if (!f.jsonName) f.jsonName = jsonCamelCase(f.name);
        }
        linkMessages(`${full}.`, m.nestedType);
        // checkValidMap: the entry of map field `foo` must be the nested message `FooEntry`.
        for (const f of m.field) {
          const entry = m.nestedType.find((n) => `.${full}.${n.name}` === f.typeName && n.options?.mapEntry === true);
          if (!entry || entry.name === mapEntryName(f.name)) continue;
          if (mode === 'grpcurl') throw new DescriptorLinkError(`proto: message field "${full}.${f.name}" is an invalid map: incorrect implicit map entry name`);
          const renamed = mapEntryName(f.name);
          const from = `.${full}.${entry.name}`;
          entry.name = renamed;
          for (const other of m.field) if (other.typeName === from) other.typeName = `.${full}.${renamed}`;
        }
      }
    };
    const pkg = file.package ? `${file.package}.` : '';
    linkMessages(pkg, file.messageType);
    for (const s of file.service) {
      for (const m of s.method) {
        const full = `${pkg}${s.name}.${m.name}`;
        m.inputType = resolve(`${pkg}${s.name}`, m.inputType, `service method "${full}" cannot resolve input`);
        m.outputType = resolve(`${pkg}${s.name}`, m.outputType, `service method "${full}" cannot resolve output`);
      }
    }
  }
  return [...byName.values()];
}

export class ReflectionLookupError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

// ---------------------------------------------------------------------------------------------
// Calls from JSON, as grpcurl makes them
// ---------------------------------------------------------------------------------------------

export interface CallResult {
  /** gRPC status of the call. */
  code: grpc.status;
  details: string;
  /** Response messages (one for unary, the stream's elements otherwise). */
  responses: Message[];
  /** The same responses in proto3 JSON (as grpcurl prints them, one object each). */
  json: JsonValue[];
  output: DescMessage;
}

/** `service/Method` or `service.Method` → [service, method], as grpcurl accepts both. */
export function splitMethodName(full: string): [string, string] {
  const slash = full.lastIndexOf('/');
  const cut = slash >= 0 ? slash : full.lastIndexOf('.');
  if (cut <= 0) throw new Error(`not a method name: ${full}`);
  return [full.slice(0, cut), full.slice(cut + 1)];
}

export async function callFromJson(
  endpoint: string,
  reflection: ReflectionClient,
  methodName: string,
  data: string,
  headers: Record<string, string> = {},
): Promise<CallResult> {
  const [serviceName, name] = splitMethodName(methodName);
  const service = await reflection.service(serviceName);
  const method: DescMethod | undefined = service.methods.find((m) => m.name === name);
  if (!method) throw new Error(`service ${serviceName} has no method ${name}`);
  const registry = reflection.getRegistry();
  // Strict like grpcurl: unknown field names and enum value names are errors.
  const request = fromJson(method.input, JSON.parse(data === '' ? '{}' : data) as JsonValue, { registry });
  const path = `/${service.typeName}/${method.name}`;
  const serialize = (m: Message) => Buffer.from(toBinary(method.input, m));
  const deserialize = (b: Buffer) => fromBinary(method.output, b);
  const metadata = new grpc.Metadata();
  for (const [k, v] of Object.entries(headers)) metadata.add(k, v);
  const client = new grpc.Client(endpoint, grpc.credentials.createInsecure());
  const responses: Message[] = [];
  try {
    const status = await new Promise<{ code: grpc.status; details: string }>((resolve) => {
      if (method.methodKind === 'unary') {
        client.makeUnaryRequest(path, serialize, deserialize, request, metadata, {}, (err, res) => {
          if (res) responses.push(res);
          resolve(err ? { code: err.code, details: err.details } : { code: grpc.status.OK, details: '' });
        });
      } else if (method.methodKind === 'server_streaming') {
        const call = client.makeServerStreamRequest(path, serialize, deserialize, request, metadata, {});
        // Done once every element is read ('end') and the trailers are in ('status').
        let ended = false;
        let ok: grpc.StatusObject | undefined;
        const settle = () => {
          if (ended && ok) resolve({ code: ok.code, details: ok.details });
        };
        call.on('data', (m: Message) => responses.push(m));
        call.on('end', () => {
          ended = true;
          settle();
        });
        call.on('error', (err: grpc.ServiceError) => resolve({ code: err.code, details: err.details }));
        call.on('status', (s: grpc.StatusObject) => {
          if (s.code !== grpc.status.OK) return; // reported through 'error'
          ok = s;
          settle();
        });
      } else {
        throw new Error(`${methodName} is ${method.methodKind}: only unary and server-streaming calls are supported`);
      }
    });
    return { ...status, responses, json: responses.map((r) => JSON.parse(toJsonString(method.output, r, { registry })) as JsonValue), output: method.output };
  } finally {
    client.close();
  }
}

// ---------------------------------------------------------------------------------------------
// grpcurl's command line
// ---------------------------------------------------------------------------------------------

export interface GrpcurlResult {
  /** 0 on success; otherwise grpcurl's convention, 64 + the gRPC status code, or 1 for usage errors. */
  exitCode: number;
  stdout: string;
  stderr: string;
  /** Set for RPC invocations. */
  call?: CallResult;
}

export interface GrpcurlCommand {
  plaintext: boolean;
  headers: Record<string, string>;
  data?: string;
  address: string;
  /** `list`, `describe`, or a method name. */
  verb: string;
  symbol?: string;
}

/** Parses grpcurl's arguments (without the program name). */
export function parseGrpcurlArgs(args: string[]): GrpcurlCommand {
  const cmd: Partial<GrpcurlCommand> & { headers: Record<string, string>; plaintext: boolean } = { headers: {}, plaintext: false };
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const value = (): string => {
      const v = args[++i];
      if (v === undefined) throw new Error(`grpcurl: ${a} needs a value`);
      return v;
    };
    if (a === '-plaintext' || a === '--plaintext') cmd.plaintext = true;
    else if (a === '-H' || a === '--H' || a === '-rpc-header' || a === '--rpc-header') {
      const h = value();
      const colon = h.indexOf(':');
      if (colon <= 0) throw new Error(`grpcurl: header ${JSON.stringify(h)} is not "name: value"`);
      cmd.headers[h.slice(0, colon).trim().toLowerCase()] = h.slice(colon + 1).trim();
    } else if (a === '-d' || a === '--d') cmd.data = value();
    else if (a.startsWith('-')) throw new Error(`grpcurl stand-in: flag ${a} is not supported`);
    else positional.push(a);
  }
  const [address, verb, symbol, ...rest] = positional;
  if (!address || !verb || rest.length > 0) throw new Error(`grpcurl: expected ADDRESS (list|describe) [SYMBOL] or ADDRESS METHOD, got ${positional.join(' ')}`);
  if (verb !== 'list' && verb !== 'describe' && symbol !== undefined) throw new Error(`grpcurl: unexpected argument ${symbol}`);
  return { ...cmd, address, verb, ...(symbol !== undefined ? { symbol } : {}) };
}

const STATUS_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(grpc.status)
    .filter(([, v]) => typeof v === 'number')
    .map(([k, v]) => [v as number, k.toLowerCase().replace(/(^|_)([a-z])/g, (_, __, c: string) => c.toUpperCase())]),
);

/**
 * Runs one grpcurl command line (args without `grpcurl`) against the server at its ADDRESS.
 * Failures to look up or link descriptors come back as grpcurl reports them (exit code 1,
 * "Failed to ..." on stderr); a failed RPC as exit code 64 + its gRPC status code.
 */
export async function grpcurl(args: string[], options: ReflectionOptions = {}): Promise<GrpcurlResult> {
  const cmd = parseGrpcurlArgs(args);
  if (!cmd.plaintext) throw new Error('grpcurl stand-in: only -plaintext connections are supported');
  const reflection = new ReflectionClient(cmd.address, options);
  let doing = '';
  try {
    if (cmd.verb === 'list') {
      doing = cmd.symbol === undefined ? 'Failed to list services' : `Failed to list methods for service "${cmd.symbol}"`;
      const services = (await reflection.listServices()).sort();
      if (cmd.symbol === undefined) return { exitCode: 0, stdout: services.map((s) => `${s}\n`).join(''), stderr: '' };
      const service = await reflection.service(cmd.symbol);
      return {
        exitCode: 0,
        stdout: service.methods
          .map((m) => `${service.typeName}.${m.name}\n`)
          .sort()
          .join(''),
        stderr: '',
      };
    }
    if (cmd.verb === 'describe') {
      if (cmd.symbol === undefined) throw new Error('grpcurl stand-in: describe needs a symbol');
      doing = `Failed to resolve symbol "${cmd.symbol}"`;
      await reflection.loadSymbol(cmd.symbol);
      return { exitCode: 0, stdout: describeSymbol(reflection.getRegistry(), cmd.symbol), stderr: '' };
    }
    doing = `Error invoking method "${cmd.verb}": failed to query for service descriptor "${splitMethodName(cmd.verb)[0]}"`;
    const call = await callFromJson(cmd.address, reflection, cmd.verb, cmd.data ?? '', cmd.headers);
    const stdout = call.responses.map((r) => `${toJsonString(call.output, r, { registry: reflection.getRegistry(), prettySpaces: 2 })}\n`).join('');
    if (call.code === grpc.status.OK) return { exitCode: 0, stdout, stderr: '', call };
    const stderr = `ERROR:\n  Code: ${STATUS_NAMES[call.code] ?? call.code}\n  Message: ${call.details}\n`;
    return { exitCode: 64 + call.code, stdout, stderr, call };
  } catch (err) {
    if (!(err instanceof DescriptorLinkError || err instanceof ReflectionLookupError)) throw err;
    return { exitCode: 1, stdout: '', stderr: `${doing}: ${err.message}\n` };
  } finally {
    reflection.close();
  }
}

// ---------------------------------------------------------------------------------------------
// describe: proto source text in grpcurl's style (compact, sorted, fully-qualified type names)
// ---------------------------------------------------------------------------------------------

export function describeSymbol(registry: FileRegistry, symbol: string): string {
  const service = registry.getService(symbol);
  if (service) {
    const rpcs = [...service.methods]
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((m) => {
        const inStream = m.methodKind === 'client_streaming' || m.methodKind === 'bidi_streaming' ? 'stream ' : '';
        const outStream = m.methodKind === 'server_streaming' || m.methodKind === 'bidi_streaming' ? 'stream ' : '';
        return `  rpc ${m.name} ( ${inStream}.${m.input.typeName} ) returns ( ${outStream}.${m.output.typeName} );\n`;
      });
    return `${symbol} is a service:\nservice ${service.name} {\n${rpcs.join('')}}\n`;
  }
  const message = registry.getMessage(symbol);
  if (message) {
    const fields = message.fields.map((f) => `  ${fieldType(f)} ${f.name} = ${f.number};\n`);
    return `${symbol} is a message:\nmessage ${message.name} {\n${fields.join('')}}\n`;
  }
  const found = registry.get(symbol);
  if (!found) throw new Error(`Symbol "${symbol}" not found`);
  return `${symbol} is a ${found.kind}\n`;
}

function fieldType(f: DescField): string {
  const label = f.fieldKind === 'list' ? 'repeated ' : f.proto.proto3Optional ? 'optional ' : '';
  switch (f.fieldKind) {
    case 'map':
      return `map<${scalarName(f.mapKey)}, ${f.mapKind === 'message' ? `.${f.message.typeName}` : f.mapKind === 'enum' ? `.${f.enum.typeName}` : scalarName(f.scalar)}>`;
    case 'message':
      return `${label}.${f.message.typeName}`;
    case 'enum':
      return `${label}.${f.enum.typeName}`;
    case 'list':
      return `${label}${f.listKind === 'message' ? `.${f.message.typeName}` : f.listKind === 'enum' ? `.${f.enum.typeName}` : scalarName(f.scalar)}`;
    default:
      return `${label}${scalarName(f.scalar)}`;
  }
}

const SCALAR_NAMES = [
  '',
  'double',
  'float',
  'int64',
  'uint64',
  'int32',
  'fixed64',
  'fixed32',
  'bool',
  'string',
  '',
  '',
  'bytes',
  'uint32',
  '',
  'sfixed32',
  'sfixed64',
  'sint32',
  'sint64',
];

function scalarName(t: number): string {
  return SCALAR_NAMES[t] ?? `scalar${t}`;
}

// ---------------------------------------------------------------------------------------------
// Shell words, for command lines copied from documentation
// ---------------------------------------------------------------------------------------------

/**
 * Splits POSIX shell text into commands and their words: single and double quotes, backslash
 * escapes, backslash-newline continuations, `#` comments; `;`, `&&` and newlines end a command. No expansions: `$` stays literal
 * (documentation commands must not depend on the shell's environment).
 */
export function shellCommands(text: string): string[][] {
  const commands: string[][] = [];
  let words: string[] = [];
  let word: string | undefined;
  const endWord = () => {
    if (word !== undefined) words.push(word);
    word = undefined;
  };
  const endCommand = () => {
    endWord();
    if (words.length > 0) commands.push(words);
    words = [];
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\') {
      const next = text[i + 1];
      i++;
      if (next === '\n') continue;
      if (next === undefined) throw new Error('shell text ends with a backslash');
      word = (word ?? '') + next;
    } else if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) throw new Error('unterminated single quote');
      word = (word ?? '') + text.slice(i + 1, end);
      i = end;
    } else if (c === '"') {
      let s = '';
      for (i++; ; i++) {
        const d = text[i];
        if (d === undefined) throw new Error('unterminated double quote');
        if (d === '"') break;
        if (d === '$' || d === '`') throw new Error('shell expansions are not supported in documented commands');
        if (d === '\\' && ['"', '\\', '$', '`', '\n'].includes(text[i + 1] ?? '')) {
          i++;
          if (text[i] !== '\n') s += text[i];
        } else s += d;
      }
      word = (word ?? '') + s;
    } else if (c === '\n' || c === ';') {
      endCommand();
    } else if (c === '&' && text[i + 1] === '&') {
      i++;
      endCommand();
    } else if (c === ' ' || c === '\t') {
      endWord();
    } else if (c === '#' && word === undefined) {
      const nl = text.indexOf('\n', i);
      i = nl < 0 ? text.length : nl - 1;
    } else if ('|&<>()$`'.includes(c)) {
      throw new Error(`shell syntax ${JSON.stringify(c)} is not supported in documented commands`);
    } else {
      word = (word ?? '') + c;
    }
  }
  endCommand();
  return commands;
}
