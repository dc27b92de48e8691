// Owns the shapes the gRPC transport (src/protocol/transport/) gives handlers: the call objects of
// unary, server-streaming and bidirectional calls, the handler signatures, the method definitions a
// service is registered with (proto-loader's, or any with the same members), and the metadata view.
// Handlers import these types only; the classes behind them are call.ts and server.ts.

/** A metadata value: text, or bytes for keys ending in `-bin`. */
export type MetadataValue = string | Buffer;

/** The request metadata (HTTP/2 headers) of a call, read by key; grpc-js's Metadata fits it too. */
export interface CallMetadata {
  /** The values of `key` (lower case), in order; empty when absent. */
  get(key: string): MetadataValue[];
}

/** Epoch milliseconds (Infinity: none); grpc-js also used Dates. */
export type Deadline = Date | number;

/** What every call tells its handler. */
export interface CallBase {
  readonly metadata: CallMetadata;
  /** `address:port` of the client. */
  getPeer(): string;
  /** When the caller stops waiting (grpc-timeout), in epoch ms of the server's clock; Infinity without one. */
  getDeadline(): Deadline;
  /** True once the call is over without the handler's answer having gone out (client reset, deadline, connection lost). */
  readonly cancelled: boolean;
  on(event: 'cancelled', listener: () => void): this;
}

export interface UnaryCall<Req> extends CallBase {
  readonly request: Req;
}

/** A gRPC error a unary handler may answer with instead of a response. */
export interface CallError {
  code?: number;
  details?: string;
  message?: string;
}

export type UnaryCallback<Res> = (err: CallError | null, value?: Res) => void;

/** The sending half of a streaming call. */
export interface WritableCall<Res> extends CallBase {
  /** Sends one message; `cb` runs once it is handed to the connection (never after a cancel). False: the stream's buffer is full. */
  write(message: Res, cb?: () => void): boolean;
  /** Ends the call with grpc-status OK. */
  end(): void;
  readonly destroyed: boolean;
  readonly writable: boolean;
}

export interface ServerStreamCall<Req, Res> extends WritableCall<Res> {
  readonly request: Req;
}

export interface BidiCall<Req, Res> extends WritableCall<Res> {
  on(event: 'data', listener: (message: Req) => void): this;
  on(event: 'end' | 'cancelled', listener: () => void): this;
  on(event: 'error', listener: (err: Error) => void): this;
  /** Ends the call with a gRPC error status (a failed handler). */
  fail(code: number, message: string): void;
}

export type UnaryCallHandler<Req, Res> = (call: UnaryCall<Req>, callback: UnaryCallback<Res>) => void;
export type ServerStreamCallHandler<Req, Res> = (call: ServerStreamCall<Req, Res>) => void;
export type BidiCallHandler<Req, Res> = (call: BidiCall<Req, Res>) => void;

/** Any handler, as a service implementation table holds them. */
export type CallHandler = UnaryCallHandler<never, unknown> | ServerStreamCallHandler<never, unknown> | BidiCallHandler<never, unknown>;

/** RPC name → handler. */
export type ServiceImplementation = Record<string, CallHandler>;

/** One method as a service definition describes it (proto-loader's definitions have these members). */
export interface MethodDefinition {
  path: string;
  requestStream: boolean;
  responseStream: boolean;
  requestDeserialize(bytes: Buffer): unknown;
  responseSerialize(value: never): Uint8Array;
}

/** RPC name → method. */
export type ServiceDefinition = Readonly<Record<string, MethodDefinition>>;
