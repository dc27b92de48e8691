// Owns what the CLI says when it cannot talk to a broker: grpc-js's and the SDK's transport
// messages ("No connection established. Last error: ... Resolution note: ") reduced to what
// happened, with a hint saying which port speaks what.
import { BrokerRefusedError } from './args.js';

const START_HINT = 'start a broker with "halfmoon start", or point the CLI at one with --endpoints HOST:PORT (or $HALFMOON_ENDPOINTS)';
const PORTS_HINT = "the CLI speaks gRPC: give it the broker's gRPC port (halfmoon start --grpc-port, default 8081), not the MQ HTTP gateway's (--http-port, default 8082)";

/** The transport failure as one short clause, and a hint. */
export function describeTransportFailure(detail: string, endpoint: string): { what: string; hint: string } {
  const last = /Last error: (?:Error: )?(.*?)(?: \(\d{4}-\d\d-\d\dT[^)]*\))?\.?(?: Resolution note:.*)?$/s.exec(detail)?.[1]?.trim() ?? detail.trim();
  if (/Protocol error|HTTP\/1|unexpected HTTP|Received HTTP status/i.test(last)) {
    return { what: `${endpoint} answered, but not in gRPC (is it the MQ HTTP gateway?)`, hint: PORTS_HINT };
  }
  if (/ECONNREFUSED/.test(last)) return { what: `nothing is listening at ${endpoint} (connection refused)`, hint: START_HINT };
  if (/ENOTFOUND|EAI_AGAIN|getaddrinfo|Name resolution failed/i.test(last)) return { what: `the host of ${endpoint} does not resolve`, hint: START_HINT };
  if (/deadline|timed? ?out|ETIMEDOUT/i.test(last)) return { what: `${endpoint} did not answer in time`, hint: START_HINT };
  const short = last.replace(/^gRPC [A-Z_]+ \(\d+\): /, '').replace(/ Resolution note: ?$/, '');
  return { what: `cannot connect to ${endpoint}${short ? ` (${short})` : ''}`, hint: START_HINT };
}

/** "cannot reach a Halfmoon broker: <what>" with its hint (exit 1). */
export function unreachable(endpoint: string, detail: string): BrokerRefusedError {
  const { what, hint } = describeTransportFailure(detail, endpoint);
  return new BrokerRefusedError(`cannot reach a Halfmoon broker: ${what}`, undefined, hint);
}
