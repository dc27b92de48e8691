// Owns the CLI's credentials for an --auth broker: --access-key / --secret-key (or
// $HALFMOON_ACCESS_KEY / $HALFMOON_SECRET_KEY), both or neither, and how an admin call carries
// them (the MQv2 signature the official clients send: authorization + x-mq-date-time); and --tls.
import * as grpc from '@grpc/grpc-js';
import { formatMqDateTime, mqv2Signature } from '../domain/mqv2-signature.js';
import { UsageError } from './args.js';

export interface CliCredentials {
  accessKey: string;
  secretKey: string;
}

export const CREDENTIAL_OPTIONS = {
  'access-key': { type: 'string' },
  'secret-key': { type: 'string' },
  tls: { type: 'boolean' },
} as const;

export const CREDENTIALS_HELP =
  '--access-key AK --secret-key SK (default $HALFMOON_ACCESS_KEY, $HALFMOON_SECRET_KEY) for a broker started with --auth, --tls (or $HALFMOON_TLS=true) for one started with --tls-cert';

/** --tls, else $HALFMOON_TLS=true|1: connect over TLS (trusting Node's CA store and NODE_EXTRA_CA_CERTS). */
export function resolveTls(values: { tls?: boolean }): boolean {
  return values.tls ?? ['true', '1'].includes(process.env.HALFMOON_TLS ?? '');
}

export function resolveCredentials(values: { 'access-key'?: string; 'secret-key'?: string }, usage?: string): CliCredentials | undefined {
  const accessKey = values['access-key'] ?? process.env.HALFMOON_ACCESS_KEY ?? '';
  const secretKey = values['secret-key'] ?? process.env.HALFMOON_SECRET_KEY ?? '';
  if (accessKey === '' && secretKey === '') return undefined;
  if (accessKey === '' || secretKey === '') throw new UsageError('--access-key and --secret-key go together (or $HALFMOON_ACCESS_KEY and $HALFMOON_SECRET_KEY)', usage);
  return { accessKey, secretKey };
}

/** The signed metadata of one call. */
export function signedMetadata(credentials: CliCredentials | undefined, nowMs = Date.now()): grpc.Metadata {
  const md = new grpc.Metadata();
  if (!credentials) return md;
  const dateTime = formatMqDateTime(nowMs);
  md.set('x-mq-date-time', dateTime);
  md.set('authorization', `MQv2-HMAC-SHA1 Credential=${credentials.accessKey}, SignedHeaders=x-mq-date-time, Signature=${mqv2Signature(credentials.secretKey, dateTime)}`);
  return md;
}
