// Owns the halfmoon.admin.v1.AdminService implementation table: RPC name → handler.
import { describeClient, listClients } from './admin/clients.js';
import { createUser, deleteUser, grantAcl, listAcl, listUsers, revokeAcl } from './admin/auth.js';
import { createGroup, describeGroup, listGroups, resetOffset, updateGroup } from './admin/groups.js';
import { listMessages, showMessage } from './admin/messages.js';
import { createTopic, deleteTopic, describeTopic, listTopics } from './admin/topics.js';
import { describeTransaction, getTransactionStats, listTransactions, recheckTransaction, resolveTransaction } from './admin/transactions.js';
import type { ServiceContext } from '../services.js';
import type { ServiceImplementation } from './transport/types.js';
import { unary } from './unary.js';

export function adminServiceImpl(svc: ServiceContext): ServiceImplementation {
  return {
    CreateTopic: unary('CreateTopic', createTopic, svc),
    DescribeTopic: unary('DescribeTopic', describeTopic, svc),
    ListTopics: unary('ListTopics', listTopics, svc),
    DeleteTopic: unary('DeleteTopic', deleteTopic, svc),
    CreateGroup: unary('CreateGroup', createGroup, svc),
    UpdateGroup: unary('UpdateGroup', updateGroup, svc),
    DescribeGroup: unary('DescribeGroup', describeGroup, svc),
    ListGroups: unary('ListGroups', listGroups, svc),
    ResetOffset: unary('ResetOffset', resetOffset, svc),
    ListTransactions: unary('ListTransactions', listTransactions, svc),
    DescribeTransaction: unary('DescribeTransaction', describeTransaction, svc),
    ResolveTransaction: unary('ResolveTransaction', resolveTransaction, svc),
    RecheckTransaction: unary('RecheckTransaction', recheckTransaction, svc),
    GetTransactionStats: unary('GetTransactionStats', getTransactionStats, svc),
    ListClients: unary('ListClients', listClients, svc),
    DescribeClient: unary('DescribeClient', describeClient, svc),
    ShowMessage: unary('ShowMessage', showMessage, svc),
    ListMessages: unary('ListMessages', listMessages, svc),
    CreateUser: unary('CreateUser', createUser, svc),
    ListUsers: unary('ListUsers', listUsers, svc),
    DeleteUser: unary('DeleteUser', deleteUser, svc),
    GrantAcl: unary('GrantAcl', grantAcl, svc),
    RevokeAcl: unary('RevokeAcl', revokeAcl, svc),
    ListAcl: unary('ListAcl', listAcl, svc),
  };
}
