// Owns the start/close lifecycle shared by producers and consumers.
// Starting translates errors and cleans up on failure; close() is idempotent; closed clients refuse work.
import { translateError } from './error-mapping.js';
import { IllegalStateException } from './errors.js';

interface OfficialClient {
  startup(): Promise<void>;
  shutdown(): Promise<void>;
}

export class Lifecycle {
  readonly #client: OfficialClient;
  readonly #what: string;
  #closing: Promise<void> | undefined;

  constructor(client: OfficialClient, what: string) {
    this.#client = client;
    this.#what = what;
  }

  /** Starts the official client; on failure releases what it opened and throws a translated error. */
  async start(): Promise<void> {
    try {
      await this.#client.startup();
    } catch (err) {
      await this.#client.shutdown().catch(() => undefined);
      throw translateError(err, `start ${this.#what}`);
    }
  }

  ensureOpen(method: string): void {
    if (this.#closing) throw new IllegalStateException(`${method}() called on a closed ${this.#what}`);
  }

  /** Shuts the official client down once; later calls wait for the same shutdown. */
  close(): Promise<void> {
    this.#closing ??= this.#client.shutdown().catch((err: unknown) => {
      throw translateError(err, `close ${this.#what}`);
    });
    return this.#closing;
  }
}
