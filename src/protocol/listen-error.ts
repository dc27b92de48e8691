// Owns what a server that cannot bind its port throws: a BrokerError saying which server, which
// address and why (in use, not allowed, no such local address), with the socket error as cause,
// marked so that the CLI can name the flag that changes the port. grpc-js reports a failed bind
// as "No address added out of total 1 resolved errors: [listen EADDRINUSE: ...]", without an
// errno code, so the code is read from that text.
import { BrokerError, Code } from '../errors.js';

export type ServerKind = 'grpc' | 'http' | 'admin';

/** The cause of a listen BrokerError: the socket error code and what was being bound. */
export interface ListenFailure extends Error {
  readonly code: string;
  readonly server: ServerKind;
  readonly host: string;
  readonly port: number;
}

export function isListenFailure(err: unknown): err is ListenFailure {
  return err instanceof Error && 'server' in err && 'port' in err && typeof (err as { code?: unknown }).code === 'string';
}

const WHY: Record<string, string> = {
  EADDRINUSE: 'the address is already in use (is another broker running?)',
  EACCES: 'this process may not bind it (ports below 1024 need privileges)',
  EADDRNOTAVAIL: 'it is not an address of this machine',
};

const NAMES: Record<ServerKind, string> = { grpc: 'gRPC', http: 'the MQ HTTP gateway', admin: 'the admin listener' };

/** The BrokerError for a bind of `host:port` that failed with `err`. */
export function listenError(err: unknown, server: ServerKind, host: string, port: number): BrokerError {
  const text = err instanceof Error ? err.message : String(err);
  const code = (err as { code?: unknown }).code;
  const errno = typeof code === 'string' ? code : (/\b(E[A-Z]{3,})\b/.exec(text)?.[1] ?? 'UNKNOWN');
  const address = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  const cause: ListenFailure = Object.assign(new Error(text, { cause: err }), { code: errno, server, host, port });
  const why = WHY[errno] ?? text;
  return new BrokerError(Code.PRECONDITION_FAILED, `cannot listen on ${address} for ${NAMES[server]}: ${why}`, { cause });
}
