// Owns ClientConfiguration and its builder (endpoints, credentials, timeout, namespace, TLS, logger).
// Also derives the options every official client is constructed with.
import { liveCredentials, type SessionCredentialsProvider } from './credentials.js';
import { IllegalArgumentException } from './errors.js';
import { officialLogger, silentClientLogger, type ClientLogger } from './logger.js';
import type { OfficialBaseOptions } from './official.js';
import { checkDuration, checkEndpoints } from './validation.js';

/** The official client (and RocketMQ) reject request timeouts under one second. */
const MIN_REQUEST_TIMEOUT_MS = 1000;
const DEFAULT_REQUEST_TIMEOUT_MS = 3000;

/** Connection settings shared by producers and consumers. Build one with `ClientConfiguration.newBuilder()`. */
export class ClientConfiguration {
  /** `host:port` entries separated by ';'. */
  readonly endpoints: string;
  readonly credentialsProvider: SessionCredentialsProvider | undefined;
  /** Milliseconds per request (long polls add their await duration). */
  readonly requestTimeout: number;
  readonly namespace: string;
  readonly sslEnabled: boolean;
  readonly logger: ClientLogger;

  /** Use `ClientConfiguration.newBuilder()`. */
  constructor(init: {
    endpoints: string;
    credentialsProvider?: SessionCredentialsProvider;
    requestTimeout: number;
    namespace: string;
    sslEnabled: boolean;
    logger: ClientLogger;
  }) {
    this.endpoints = init.endpoints;
    this.credentialsProvider = init.credentialsProvider;
    this.requestTimeout = init.requestTimeout;
    this.namespace = init.namespace;
    this.sslEnabled = init.sslEnabled;
    this.logger = init.logger;
    Object.freeze(this);
  }

  static newBuilder(): ClientConfigurationBuilder {
    return new ClientConfigurationBuilder();
  }
}

export class ClientConfigurationBuilder {
  #endpoints: string | undefined;
  #credentialsProvider: SessionCredentialsProvider | undefined;
  #requestTimeout = DEFAULT_REQUEST_TIMEOUT_MS;
  #namespace = '';
  #sslEnabled = false;
  #logger: ClientLogger | undefined;

  /** Broker / proxy address(es): "host:port", several separated by ';'. Required. */
  setEndpoints(endpoints: string): this {
    this.#endpoints = checkEndpoints(endpoints);
    return this;
  }

  setCredentialProvider(provider: SessionCredentialsProvider): this {
    if (!provider || typeof provider.getSessionCredentials !== 'function') {
      throw new IllegalArgumentException('credential provider must implement getSessionCredentials(), e.g. new StaticSessionCredentialsProvider(accessKey, secret)');
    }
    this.#credentialsProvider = provider;
    return this;
  }

  /** Per-request timeout in milliseconds (default 3000, at least 1000). */
  setRequestTimeout(milliseconds: number): this {
    this.#requestTimeout = checkDuration('request timeout', milliseconds, MIN_REQUEST_TIMEOUT_MS);
    return this;
  }

  /** Resource namespace sent with every request (default: none). */
  setNamespace(namespace: string): this {
    if (typeof namespace !== 'string') throw new IllegalArgumentException('namespace must be a string');
    this.#namespace = namespace;
    return this;
  }

  /** TLS to the endpoints (default: plaintext). */
  enableSsl(enabled: boolean): this {
    if (typeof enabled !== 'boolean') throw new IllegalArgumentException('enableSsl() takes a boolean');
    this.#sslEnabled = enabled;
    return this;
  }

  /** Where the client logs (default: nowhere). `console` works. */
  setLogger(logger: ClientLogger): this {
    if (!logger || typeof logger.info !== 'function' || typeof logger.warn !== 'function' || typeof logger.error !== 'function') {
      throw new IllegalArgumentException('logger must have info(), warn() and error() methods (console works)');
    }
    this.#logger = logger;
    return this;
  }

  build(): ClientConfiguration {
    if (this.#endpoints === undefined) {
      throw new IllegalArgumentException('endpoints have not been set: call setEndpoints("host:port") before build()');
    }
    return new ClientConfiguration({
      endpoints: this.#endpoints,
      ...(this.#credentialsProvider ? { credentialsProvider: this.#credentialsProvider } : {}),
      requestTimeout: this.#requestTimeout,
      namespace: this.#namespace,
      sslEnabled: this.#sslEnabled,
      logger: this.#logger ?? silentClientLogger(),
    });
  }
}

/** Options common to every official client built from this configuration. */
export function officialBaseOptions(config: ClientConfiguration): OfficialBaseOptions {
  return {
    endpoints: config.endpoints,
    namespace: config.namespace,
    requestTimeout: config.requestTimeout,
    sslEnabled: config.sslEnabled,
    logger: officialLogger(config.logger),
    ...(config.credentialsProvider ? { sessionCredentials: liveCredentials(config.credentialsProvider) } : {}),
  };
}

/** Builders' setClientConfiguration() check. */
export function checkConfiguration(config: unknown): ClientConfiguration {
  if (!(config instanceof ClientConfiguration)) {
    throw new IllegalArgumentException('setClientConfiguration() takes a ClientConfiguration from ClientConfiguration.newBuilder()...build()');
  }
  return config;
}
