// Owns topics for every service and adapter: resolving one for use (auto-creating it when the
// broker is told to) and administration (create, list, describe, delete) with name and type validation.
import { CHECK_POLICIES, type BrokerConfig } from '../config.js';
import { BrokerError, Code } from '../errors.js';
import type { Logger } from '../logger.js';
import { validateUserTopicName, validateTopicName } from '../domain/names.js';
import type { BrokerStore } from '../store/broker-store.js';
import { isMessageType, MESSAGE_TYPES } from '../domain/messages.js';
import { type QueueStats, type TopicRecord } from '../domain/topics.js';

export interface TopicServiceDeps {
  store: BrokerStore;
  config: Pick<BrokerConfig, 'autoCreateTopics'>;
  log: Logger;
}

export class TopicService {
  constructor(private readonly deps: TopicServiceDeps) {}

  /** Resolves a topic for use, creating it when auto-creation is on. */
  async require(name: string, typeIfCreated: TopicRecord['messageType'] = 'NORMAL'): Promise<TopicRecord> {
    validateTopicName(name);
    const topic = await this.deps.store.getTopic(name);
    if (topic) return topic;
    if (this.deps.config.autoCreateTopics && !name.startsWith('%')) {
      const { topic: created } = await this.deps.store.createTopic({ name, messageType: typeIfCreated, queueCount: 1 });
      this.deps.log.info({ topic: name, messageType: typeIfCreated }, 'topic auto-created');
      return created;
    }
    throw new BrokerError(Code.TOPIC_NOT_FOUND, `topic ${name} does not exist: create it with "halfmoon topic create ${name} --type ${typeIfCreated}"`);
  }

  /** Creates a topic; TRANSACTION topics may carry their own check policy. */
  async create(name: string, messageType: string, options: { checkPolicy?: string } = {}): Promise<{ topic: TopicRecord; created: boolean }> {
    validateUserTopicName(name);
    const type = messageType.toUpperCase();
    if (!isMessageType(type)) {
      throw new BrokerError(Code.BAD_REQUEST, `message type "${messageType}" is unknown: use one of ${MESSAGE_TYPES.join(', ')}`);
    }
    if (options.checkPolicy === undefined) return this.deps.store.createTopic({ name, messageType: type, queueCount: 1 });
    const policy = CHECK_POLICIES.find((p) => p === options.checkPolicy!.toUpperCase());
    if (!policy) throw new BrokerError(Code.BAD_REQUEST, `check policy "${options.checkPolicy}" is unknown: use ${CHECK_POLICIES.join(' or ')}`);
    if (type !== 'TRANSACTION') {
      throw new BrokerError(Code.BAD_REQUEST, `a check policy applies to TRANSACTION topics only; ${name} would be ${type}`);
    }
    return this.deps.store.createTopic({ name, messageType: type, queueCount: 1, checkPolicy: policy });
  }

  list(): Promise<TopicRecord[]> {
    return this.deps.store.listTopics();
  }

  async describe(name: string): Promise<{ topic: TopicRecord; queues: QueueStats[] }> {
    validateTopicName(name);
    const topic = await this.deps.store.getTopic(name);
    if (!topic) throw new BrokerError(Code.TOPIC_NOT_FOUND, `topic ${name} does not exist`);
    return { topic, queues: await this.deps.store.queueStats(name) };
  }

  async delete(name: string): Promise<void> {
    validateTopicName(name);
    if (!(await this.deps.store.deleteTopic(name))) throw new BrokerError(Code.TOPIC_NOT_FOUND, `topic ${name} does not exist`);
  }
}
