// Owns reading the TLS files (--tls-cert, --tls-key) the gRPC server and the HTTP gateway share,
// with an error that names the file and the setting.
import { readFileSync } from 'node:fs';
import { BrokerError, Code } from '../errors.js';

export function readPem(path: string, what: 'certificate' | 'private key'): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new BrokerError(Code.BAD_REQUEST, `cannot read the TLS ${what} file ${path} (--tls-${what === 'certificate' ? 'cert' : 'key'}): ${(err as Error).message}`);
  }
}
