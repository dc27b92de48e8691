// Owns session credentials: the provider contract, the static provider, and their live view.
// The official client reads that view on every request, so a rotating provider takes effect at once.
import { IllegalArgumentException } from './errors.js';
import type { OfficialSessionCredentials } from './official.js';

export interface SessionCredentials {
  readonly accessKey: string;
  readonly accessSecret: string;
  readonly securityToken?: string;
}

/** Supplies credentials for each request (Java's SessionCredentialsProvider). */
export interface SessionCredentialsProvider {
  getSessionCredentials(): SessionCredentials;
}

/** Fixed access key / secret (and optional security token). */
export class StaticSessionCredentialsProvider implements SessionCredentialsProvider {
  readonly #credentials: SessionCredentials;

  constructor(accessKey: string, accessSecret: string, securityToken?: string) {
    if (typeof accessKey !== 'string' || accessKey.trim() === '') throw new IllegalArgumentException('accessKey must be a non-empty string');
    if (typeof accessSecret !== 'string' || accessSecret.trim() === '') throw new IllegalArgumentException('accessSecret must be a non-empty string');
    if (securityToken !== undefined && typeof securityToken !== 'string') throw new IllegalArgumentException('securityToken must be a string');
    this.#credentials = Object.freeze(securityToken ? { accessKey, accessSecret, securityToken } : { accessKey, accessSecret });
  }

  getSessionCredentials(): SessionCredentials {
    return this.#credentials;
  }
}

/** Credentials object whose fields read the provider on every access. */
export function liveCredentials(provider: SessionCredentialsProvider): OfficialSessionCredentials {
  return {
    get accessKey() {
      return provider.getSessionCredentials().accessKey;
    },
    get accessSecret() {
      return provider.getSessionCredentials().accessSecret;
    },
    get securityToken() {
      return provider.getSessionCredentials().securityToken;
    },
  };
}
