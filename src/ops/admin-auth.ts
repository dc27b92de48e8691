// Owns how the admin listener admits requests with --auth: a super user's credentials as HTTP
// Basic (`Authorization: Basic base64(accessKey:secret)`, what curl -u sends) or the MQv2
// signature the gRPC clients send (authorization + x-mq-date-time).
import type { IncomingMessage } from 'node:http';
import type { AuthService } from '../auth/auth-service.js';
import { BrokerError, Code } from '../errors.js';

export function adminAuthenticator(auth: AuthService): (req: IncomingMessage) => void {
  return (req) => {
    const header = req.headers.authorization;
    if (!header) {
      throw new BrokerError(Code.UNAUTHORIZED, "the admin listener requires a super user's credentials: send HTTP Basic (curl -u ACCESS_KEY:SECRET) or an MQv2 signature");
    }
    let identity;
    if (/^Basic /i.test(header)) {
      const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon <= 0) throw new BrokerError(Code.UNAUTHORIZED, 'the Basic credentials are malformed: expected base64 of ACCESS_KEY:SECRET');
      identity = auth.authenticateSecret(decoded.slice(0, colon), decoded.slice(colon + 1));
    } else {
      const dateTime = req.headers['x-mq-date-time'];
      identity = auth.authenticateMqv2(header, Array.isArray(dateTime) ? dateTime[0] : dateTime);
    }
    auth.requireSuperUser(identity, 'use the admin listener');
  };
}
