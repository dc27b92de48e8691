// Owns ClientServiceProvider, the Java-style entry point that hands out every builder.
import { MessageBuilder } from './message.js';
import { ProducerBuilder } from './producer.js';
import { PushConsumerBuilder } from './push-consumer.js';
import { SimpleConsumerBuilder } from './simple-consumer.js';

export class ClientServiceProvider {
  static #instance: ClientServiceProvider | undefined;

  /** The provider (one per process, like Java's ServiceLoader lookup). */
  static loadService(): ClientServiceProvider {
    ClientServiceProvider.#instance ??= new ClientServiceProvider();
    return ClientServiceProvider.#instance;
  }

  newProducerBuilder(): ProducerBuilder {
    return new ProducerBuilder();
  }

  newMessageBuilder(): MessageBuilder {
    return new MessageBuilder();
  }

  newSimpleConsumerBuilder(): SimpleConsumerBuilder {
    return new SimpleConsumerBuilder();
  }

  newPushConsumerBuilder(): PushConsumerBuilder {
    return new PushConsumerBuilder();
  }
}
