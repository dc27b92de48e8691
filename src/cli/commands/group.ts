// Owns `halfmoon group`: create, list, describe and update consumer groups and reset their offsets
// over the admin API.
import { parseBool, parseIntArg, UsageError } from '../args.js';
import { formatTable } from '../output.js';
import { adminCommand, type AdminValues } from './admin.js';

interface GroupMsg {
  name: string;
  fifo: boolean;
  max_delivery_attempts: number;
  start_from: string;
  lag: string;
  in_flight: string;
  dead_letters: string;
  dead_letter_topic: string;
}

/** --max-attempts, or its older spelling --max-delivery-attempts. */
const maxAttemptsOf = (values: AdminValues): string | undefined => values['max-attempts'] ?? values['max-delivery-attempts'];

export const groupCommand = adminCommand('group', 'Consumer groups', {
  create: {
    usage: 'group create NAME [--fifo] [--max-attempts N] [--start-from earliest|latest]',
    fifoSwitch: true,
    async run({ admin, values, need, print, usage }) {
      const req: Record<string, unknown> = { name: need('a group name'), fifo: values.fifo === true };
      const maxAttempts = maxAttemptsOf(values);
      if (maxAttempts !== undefined) req.max_delivery_attempts = parseIntArg('--max-attempts', maxAttempts, usage);
      const start = values['start-from'];
      if (start !== undefined) {
        if (start !== 'earliest' && start !== 'latest') throw new UsageError(`--start-from takes earliest or latest, got "${start}"`, usage);
        req.start_from = start;
      }
      const res = await admin.call<{ group: GroupMsg; created: boolean }>('CreateGroup', req);
      const g = res.group;
      return print(g, () => `${res.created ? 'created' : 'exists'}: group ${g.name} fifo=${g.fifo} maxDeliveryAttempts=${g.max_delivery_attempts} startFrom=${g.start_from}`);
    },
  },
  list: {
    usage: 'group list                                   (with lag, in-flight and dead-letter counts)',
    async run({ admin, print }) {
      const res = await admin.call<{ groups: GroupMsg[] }>('ListGroups', {});
      return print(res.groups, () =>
        formatTable(
          ['GROUP', 'FIFO', 'MAX ATTEMPTS', 'LAG', 'IN FLIGHT', 'DLQ'],
          res.groups.map((g) => [g.name, String(g.fifo), String(g.max_delivery_attempts), g.lag, g.in_flight, g.dead_letters]),
        ),
      );
    },
  },
  describe: {
    usage: 'group describe NAME',
    async run({ admin, need, print }) {
      const res = await admin.call<{ group: GroupMsg; progress: { topic: string; consumed_offset: string; lag: string; in_flight: string }[] }>('DescribeGroup', {
        name: need('a group name'),
      });
      const g = res.group;
      return print(res, () =>
        [
          `group ${g.name} fifo=${g.fifo} maxDeliveryAttempts=${g.max_delivery_attempts} startFrom=${g.start_from}`,
          `lag ${g.lag}, in flight ${g.in_flight}, dead letters ${g.dead_letters} (topic ${g.dead_letter_topic})`,
          formatTable(
            ['TOPIC', 'CONSUMED OFFSET', 'LAG', 'IN FLIGHT'],
            res.progress.map((p) => [p.topic, p.consumed_offset, p.lag, p.in_flight]),
          ),
        ].join('\n'),
      );
    },
  },
  update: {
    usage: 'group update NAME [--fifo true|false] [--max-attempts N]',
    async run({ admin, values, need, print, usage }) {
      const req: Record<string, unknown> = { name: need('a group name') };
      if (typeof values.fifo === 'string') req.fifo = parseBool('--fifo', values.fifo, usage);
      const maxAttempts = maxAttemptsOf(values);
      if (maxAttempts !== undefined) req.max_delivery_attempts = parseIntArg('--max-attempts', maxAttempts, usage);
      const res = await admin.call<{ group: GroupMsg }>('UpdateGroup', req);
      return print(res.group, () => `updated: group ${res.group.name} fifo=${res.group.fifo} maxDeliveryAttempts=${res.group.max_delivery_attempts}`);
    },
  },
  'reset-offset': {
    usage: 'group reset-offset NAME --topic T --to earliest|latest|<ISO time>|<epoch ms>',
    async run({ admin, values, need, print, usage }) {
      const group = need('a group name');
      if (!values.topic) throw new UsageError('group reset-offset needs --topic T', usage);
      if (!values.to) throw new UsageError('group reset-offset needs --to earliest|latest|<ISO time>|<epoch ms>', usage);
      const res = await admin.call<{ resets: { queue_id: number; previous_offset: string; new_offset: string; dropped_in_flight: string }[] }>('ResetOffset', {
        group,
        topic: values.topic,
        to: values.to,
      });
      return print(res.resets, () =>
        [
          `reset: group ${group} on topic ${values.topic} to ${values.to}`,
          formatTable(
            ['QUEUE', 'FROM OFFSET', 'TO OFFSET', 'DROPPED IN FLIGHT'],
            res.resets.map((r) => [String(r.queue_id), r.previous_offset, r.new_offset, r.dropped_in_flight]),
          ),
        ].join('\n'),
      );
    },
  },
});
