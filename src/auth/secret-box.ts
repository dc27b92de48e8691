// Owns how user secrets are kept at rest. HMAC-SHA1 signatures (gRPC MQv2, MQ HTTP) need the
// secret itself, so it cannot be hashed: with a key (--auth-secret-key-file) each secret is
// encrypted with AES-256-GCM (`aes256gcm:<iv>:<tag>:<ciphertext>`, base64 parts, the user name
// as associated data so a row copied to another user does not open); without one it is stored
// as given (`plain:<secret>`). SECURITY.md says what that means for a dump of the store.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { BrokerError, Code } from '../errors.js';

export class SecretBox {
  private constructor(private readonly key: Buffer | undefined) {}

  /** No key: secrets are stored as given. */
  static plain(): SecretBox {
    return new SecretBox(undefined);
  }

  /** The key of a file: 64 hex digits, or base64 of 32 bytes (surrounding whitespace ignored). */
  static fromKeyFile(path: string): SecretBox {
    let text: string;
    try {
      text = readFileSync(path, 'utf8').trim();
    } catch (err) {
      throw new BrokerError(Code.BAD_REQUEST, `cannot read the auth secret key file ${path}: ${(err as Error).message}`);
    }
    const key = /^[0-9a-fA-F]{64}$/.test(text) ? Buffer.from(text, 'hex') : Buffer.from(text, 'base64');
    if (key.length !== 32) {
      throw new BrokerError(Code.BAD_REQUEST, `the auth secret key file ${path} must hold 32 bytes as 64 hex digits or base64 (make one with "openssl rand -hex 32")`);
    }
    return new SecretBox(key);
  }

  get encrypts(): boolean {
    return this.key !== undefined;
  }

  seal(user: string, secret: string): string {
    if (!this.key) return `plain:${secret}`;
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(user, 'utf8'));
    const ct = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
    return ['aes256gcm', iv.toString('base64'), cipher.getAuthTag().toString('base64'), ct.toString('base64')].join(':');
  }

  /** The secret, or a BrokerError saying why it cannot be read (no key, wrong key). */
  open(user: string, sealed: string): string {
    if (sealed.startsWith('plain:')) return sealed.slice('plain:'.length);
    const [kind, iv, tag, ct] = sealed.split(':');
    if (kind !== 'aes256gcm' || iv === undefined || tag === undefined || ct === undefined) {
      throw new BrokerError(Code.INTERNAL_ERROR, `the stored secret of user ${user} is in an unknown format`);
    }
    if (!this.key) throw new BrokerError(Code.INTERNAL_ERROR, `the secret of user ${user} is encrypted: start the broker with --auth-secret-key-file`);
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64'));
      decipher.setAAD(Buffer.from(user, 'utf8'));
      decipher.setAuthTag(Buffer.from(tag, 'base64'));
      return Buffer.concat([decipher.update(Buffer.from(ct, 'base64')), decipher.final()]).toString('utf8');
    } catch {
      throw new BrokerError(Code.INTERNAL_ERROR, `the secret of user ${user} does not open with this --auth-secret-key-file (another key encrypted it)`);
    }
  }
}
