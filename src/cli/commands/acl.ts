// Owns `halfmoon acl`: grant, revoke and list the ACL rules of an --auth broker's users.
import { UsageError } from '../args.js';
import { formatTable } from '../output.js';
import { adminCommand } from './admin.js';

interface RuleMsg {
  user: string;
  resource: string;
  actions: string[];
  decision: string;
}

export const aclCommand = adminCommand('acl', 'ACL rules (authorization with --auth)', {
  grant: {
    usage: 'acl grant NAME --resource Topic:T --actions Pub[,Sub] [--deny]',
    details: `Sets the rule of user NAME on a resource (replacing its earlier rule on the same resource).

  --resource   Topic:<name>, Group:<name>, a prefix pattern such as Topic:orders-*, Topic:*, Group:* or *
  --actions    Pub (send, and decide transactions), Sub (receive, ack; needed on the topic and on
               the group), All (both); comma separated
  --deny       a Deny rule: it wins over every Allow that also matches

No rule means denied. Sending and deciding need Pub on the topic; consuming needs Sub on the topic
and on the consumer group; a transaction check goes only to producers whose user has Pub.`,
    async run({ admin, values, need, print, usage }) {
      const user = need('a user name');
      if (!values.resource) throw new UsageError('acl grant needs --resource Topic:T|Group:G (patterns: Topic:orders-*, *)', usage);
      if (!values.actions) throw new UsageError('acl grant needs --actions Pub[,Sub] (or All)', usage);
      const res = await admin.call<{ rule: RuleMsg }>('GrantAcl', {
        user,
        resource: values.resource,
        actions: values.actions.split(','),
        decision: values.deny ? 'Deny' : 'Allow',
      });
      const r = res.rule;
      return print(r, () => `granted: ${r.decision} ${r.actions.join(',')} on ${r.resource} to user ${r.user}`);
    },
  },
  revoke: {
    usage: 'acl revoke NAME --resource R',
    async run({ admin, values, need, print, usage }) {
      const user = need('a user name');
      if (!values.resource) throw new UsageError('acl revoke needs --resource R (the resource of the rule, as acl list shows it)', usage);
      await admin.call('RevokeAcl', { user, resource: values.resource });
      return print({ revoked: { user, resource: values.resource } }, () => `revoked: the rule of user ${user} on ${values.resource}`);
    },
  },
  list: {
    usage: 'acl list [NAME]',
    async run({ admin, name, print }) {
      const res = await admin.call<{ rules: RuleMsg[] }>('ListAcl', { user: name ?? '' });
      return print(res.rules, () =>
        formatTable(
          ['USER', 'RESOURCE', 'ACTIONS', 'DECISION'],
          res.rules.map((r) => [r.user, r.resource, r.actions.join(','), r.decision]),
        ),
      );
    },
  },
});
