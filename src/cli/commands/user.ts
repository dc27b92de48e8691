// Owns `halfmoon user`: create, list and delete the users of an --auth broker over the admin API.
import { UsageError } from '../args.js';
import { formatTable } from '../output.js';
import { adminCommand } from './admin.js';

interface UserMsg {
  name: string;
  super_user: boolean;
  created_at_ms: string;
}

export const userCommand = adminCommand('user', 'Users (authentication with --auth)', {
  create: {
    usage: 'user create NAME --secret S [--super]',
    details: `Creates a user: NAME is its access key, S (at least 8 characters) its secret. Clients sign
requests with them (sessionCredentials / StaticSessionCredentialsProvider, the MQ HTTP SDK's
AccessKey/SecretKey). A user may do nothing until "halfmoon acl grant" allows it, unless --super
(super users may do everything, including this admin API).`,
    async run({ admin, values, need, print, usage }) {
      const name = need('a user name');
      if (!values.secret) throw new UsageError('user create needs --secret S (at least 8 characters)', usage);
      const res = await admin.call<{ user: UserMsg }>('CreateUser', { name, secret: values.secret, super_user: values.super === true });
      return print(res.user, () => `created: user ${res.user.name}${res.user.super_user ? ' (super user)' : ''}`);
    },
  },
  list: {
    usage: 'user list',
    async run({ admin, print }) {
      const res = await admin.call<{ users: UserMsg[] }>('ListUsers', {});
      return print(res.users, () =>
        formatTable(
          ['USER', 'SUPER', 'CREATED'],
          res.users.map((u) => [u.name, u.super_user ? 'yes' : 'no', new Date(Number(u.created_at_ms)).toISOString()]),
        ),
      );
    },
  },
  delete: {
    usage: 'user delete NAME',
    async run({ admin, need, print }) {
      const name = need('a user name');
      await admin.call('DeleteUser', { name });
      return print({ deleted: name }, () => `deleted: user ${name} and its ACL rules`);
    },
  },
});
