// Owns `halfmoon topic`: create, list, describe and delete topics over the admin API.
import { parseChoice, UsageError } from '../args.js';
import { formatTable } from '../output.js';
import { adminCommand } from './admin.js';

interface TopicRes {
  topic: { name: string; message_type: string; queue_count: number; check_policy: string };
  created: boolean;
  queues: { queue_id: number; min_offset: string; max_offset: string }[];
}

const TOPIC_TYPES = ['NORMAL', 'FIFO', 'DELAY', 'TRANSACTION'] as const;
const CHECK_POLICIES = ['ROLLBACK', 'KEEP'] as const;

export const topicCommand = adminCommand('topic', 'Topics', {
  create: {
    usage: 'topic create NAME --type NORMAL|FIFO|DELAY|TRANSACTION [--check-policy ROLLBACK|KEEP]',
    details: `Creates a topic; a topic takes messages of one type only (creating it again with the same type is fine).

  --type NORMAL         plain messages, delivered in any order
         FIFO           messages with a message group (send --message-group G); each group is
                        delivered in order, one message at a time per consumer group
         DELAY          messages delivered at a later time (send --delay MS|ISO, at most 24 h ahead)
         TRANSACTION    half messages, delivered once the producer (or an operator: halfmoon tx)
                        commits them, never if rolled back
  --check-policy        TRANSACTION topics: what happens to a transaction nobody decided after
                        --transaction-check-max checks of its producers
         ROLLBACK       roll it back (the broker's default, halfmoon start --transaction-check-policy)
         KEEP           keep it, ABANDONED, for an operator to decide (halfmoon tx commit|rollback|recheck)`,
    async run({ admin, values, need, print, usage }) {
      const topic = need('a topic name');
      if (!values.type) throw new UsageError('topic create needs --type NORMAL|FIFO|DELAY|TRANSACTION', usage);
      const type = parseChoice('--type', values.type, TOPIC_TYPES, usage);
      const policy = values['check-policy'] === undefined ? '' : parseChoice('--check-policy', values['check-policy'], CHECK_POLICIES, usage);
      if (policy && type !== 'TRANSACTION') throw new UsageError(`--check-policy is for TRANSACTION topics, and this one is ${type}`, usage);
      const res = await admin.call<TopicRes>('CreateTopic', { name: topic, message_type: type, check_policy: policy });
      return print(res.topic, () => `${res.created ? 'created' : 'exists'}: topic ${res.topic.name} (${res.topic.message_type})`);
    },
  },
  list: {
    usage: 'topic list',
    async run({ admin, print }) {
      const res = await admin.call<{ topics: TopicRes['topic'][] }>('ListTopics', {});
      return print(res.topics, () =>
        formatTable(
          ['TOPIC', 'TYPE', 'QUEUES'],
          res.topics.map((t) => [t.name, t.message_type, String(t.queue_count)]),
        ),
      );
    },
  },
  describe: {
    usage: 'topic describe NAME',
    async run({ admin, need, print }) {
      const res = await admin.call<TopicRes>('DescribeTopic', { name: need('a topic name') });
      return print({ ...res.topic, queues: res.queues }, () =>
        [
          `topic ${res.topic.name} (${res.topic.message_type}${res.topic.check_policy ? `, check policy ${res.topic.check_policy}` : ''})`,
          formatTable(
            ['QUEUE', 'MIN OFFSET', 'MAX OFFSET'],
            res.queues.map((q) => [String(q.queue_id), q.min_offset, q.max_offset]),
          ),
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
