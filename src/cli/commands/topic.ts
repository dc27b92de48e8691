// Owns `halfmoon topic`: create, list, describe and delete topics over the admin API.
import { UsageError } from '../args.js';
import { formatTable } from '../output.js';
import { adminCommand } from './admin.js';

interface TopicRes {
  topic: { name: string; message_type: string; queue_count: number; check_policy: string };
  created: boolean;
  queues: { queue_id: number; min_offset: string; max_offset: string }[];
}

export const topicCommand = adminCommand('topic', 'Topics', {
  create: {
    usage: 'topic create NAME --type NORMAL|FIFO|DELAY|TRANSACTION [--check-policy ROLLBACK|KEEP]',
    async run({ admin, values, need, print, usage }) {
      const topic = need('a topic name');
      if (!values.type) throw new UsageError('topic create needs --type NORMAL|FIFO|DELAY|TRANSACTION', usage);
      const res = await admin.call<TopicRes>('CreateTopic', { name: topic, message_type: values.type, check_policy: values['check-policy'] ?? '' });
      return print(res.topic, () => `${res.created ? 'created' : 'exists'}: topic ${res.topic.name} (${res.topic.message_type})`);
    },
  },
  list: {
    usage: 'topic list',
    async run({ admin, print }) {
      const res = await admin.call<{ topics: TopicRes['topic'][] }>('ListTopics', {});
      return print(res.topics, () => formatTable(['TOPIC', 'TYPE', 'QUEUES'], res.topics.map((t) => [t.name, t.message_type, String(t.queue_count)])));
    },
  },
  describe: {
    usage: 'topic describe NAME',
    async run({ admin, need, print }) {
      const res = await admin.call<TopicRes>('DescribeTopic', { name: need('a topic name') });
      return print({ ...res.topic, queues: res.queues }, () =>
        [
          `topic ${res.topic.name} (${res.topic.message_type}${res.topic.check_policy ? `, check policy ${res.topic.check_policy}` : ''})`,
          formatTable(['QUEUE', 'MIN OFFSET', 'MAX OFFSET'], res.queues.map((q) => [String(q.queue_id), q.min_offset, q.max_offset])),
        ].join('\n'),
      );
    },
  },
  delete: {
    usage: 'topic delete NAME',
    async run({ admin, need, print }) {
      const topic = need('a topic name');
      await admin.call('DeleteTopic', { name: topic });
      return print({ deleted: topic }, () => `deleted: topic ${topic}`);
    },
  },
});
