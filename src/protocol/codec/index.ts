// Owns which MessagingService methods get the fast codecs (src/protocol/codec/) and how they are
// plugged into a grpc-js service definition: the server-side halves (requestDeserialize,
// responseSerialize) of the hot RPCs are replaced; the client-side halves (requestSerialize,
// responseDeserialize, used by grpc-js clients) and every other method stay on proto-loader's
// generic serializers. Each fast half produces exactly what the generic one does (the equivalence
// tests in test/unit/protocol/codec/ hold them to it).
import type * as grpc from '@grpc/grpc-js';
import {
  decodeAckMessageRequest,
  decodeChangeInvisibleDurationRequest,
  decodeEndTransactionRequest,
  decodeHeartbeatRequest,
  decodeReceiveMessageRequest,
  decodeSendMessageRequest,
} from './decode-requests.js';
import {
  encodeAckMessageResponse,
  encodeChangeInvisibleDurationResponse,
  encodeEndTransactionResponse,
  encodeHeartbeatResponse,
  encodeReceiveMessageResponse,
  encodeSendMessageResponse,
  encodeTelemetryCommand,
} from './encode-replies.js';

type Decode = (bytes: Buffer) => unknown;
/** undefined: this value is left to the generic serializer. */
type Encode = (value: unknown) => Uint8Array | undefined;

/** Fast request decoders by RPC name. */
export const FAST_DECODERS: Readonly<Record<string, Decode>> = {
  SendMessage: decodeSendMessageRequest,
  EndTransaction: decodeEndTransactionRequest,
  ReceiveMessage: decodeReceiveMessageRequest,
  AckMessage: decodeAckMessageRequest,
  ChangeInvisibleDuration: decodeChangeInvisibleDurationRequest,
  Heartbeat: decodeHeartbeatRequest,
};

/** Fast reply encoders by RPC name. */
export const FAST_ENCODERS: Readonly<Record<string, Encode>> = {
  SendMessage: encodeSendMessageResponse,
  EndTransaction: encodeEndTransactionResponse,
  ReceiveMessage: encodeReceiveMessageResponse,
  AckMessage: encodeAckMessageResponse,
  ChangeInvisibleDuration: encodeChangeInvisibleDurationResponse,
  Heartbeat: encodeHeartbeatResponse,
  Telemetry: encodeTelemetryCommand,
};

/** A copy of `service` whose server-side serializers are the fast ones where there is one. */
export function withFastCodecs(service: grpc.ServiceDefinition): grpc.ServiceDefinition {
  const out: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  for (const [name, method] of Object.entries(service) as [string, grpc.MethodDefinition<unknown, unknown>][]) {
    const decode = FAST_DECODERS[name];
    const encode = FAST_ENCODERS[name];
    const generic = method.responseSerialize;
    out[name] = {
      ...method,
      ...(decode ? { requestDeserialize: decode } : {}),
      ...(encode ? { responseSerialize: (value: unknown) => (encode(value) as Buffer | undefined) ?? generic(value) } : {}),
    };
  }
  return out as grpc.ServiceDefinition;
}
