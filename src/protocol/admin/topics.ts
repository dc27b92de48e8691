// Admin RPCs for topics: create, describe, list, delete.
import type { TopicRecord } from '../../domain/topics.js';
import type { CallInfo } from '../context.js';
import type { ServiceContext } from '../../services.js';
import { OK_STATUS } from '../status.js';
import type { Status } from '../types.js';

export interface TopicMessage {
  name: string;
  message_type: string;
  queue_count: number;
  created_at_ms: string;
  check_policy: string;
}

export function topicMessage(t: TopicRecord): TopicMessage {
  return { name: t.name, message_type: t.messageType, queue_count: t.queueCount, created_at_ms: String(t.createdAtMs), check_policy: t.checkPolicy ?? '' };
}

export async function createTopic(req: { name: string; message_type: string; check_policy?: string }, _c: CallInfo, svc: ServiceContext) {
  const { topic, created } = await svc.topics.create(req.name, req.message_type || 'NORMAL', req.check_policy ? { checkPolicy: req.check_policy } : {});
  if (created) svc.log.info({ topic: topic.name, messageType: topic.messageType }, 'topic created');
  return { status: OK_STATUS, topic: topicMessage(topic), created, queues: [] };
}

export async function describeTopic(req: { name: string }, _c: CallInfo, svc: ServiceContext) {
  const { topic, queues } = await svc.topics.describe(req.name);
  return {
    status: OK_STATUS,
    topic: topicMessage(topic),
    created: false,
    queues: queues.map((q) => ({ queue_id: q.queueId, min_offset: String(q.minOffset), max_offset: String(q.maxOffset) })),
  };
}

export async function listTopics(_req: unknown, _c: CallInfo, svc: ServiceContext): Promise<{ status: Status; topics: TopicMessage[] }> {
  return { status: OK_STATUS, topics: (await svc.topics.list()).map(topicMessage) };
}

export async function deleteTopic(req: { name: string }, _c: CallInfo, svc: ServiceContext): Promise<{ status: Status }> {
  await svc.topics.delete(req.name);
  svc.log.info({ topic: req.name }, 'topic deleted');
  return { status: OK_STATUS };
}
