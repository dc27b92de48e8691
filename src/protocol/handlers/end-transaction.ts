// EndTransaction: commit or roll back a half message by transaction id, from the producer
// (SOURCE_CLIENT) or as the answer to a check (SOURCE_SERVER_CHECK). Idempotent; first decision wins.
import { Code } from '../../errors.js';
import type { DecisionSource, Resolution } from '../../domain/transactions.js';
import { actorOf, type CallInfo } from '../context.js';
import type { ServiceContext } from '../../services.js';
import { resourceName } from '../convert.js';
import { OK_STATUS, status } from '../status.js';
import type { EndTransactionRequest, Status } from '../types.js';

export async function endTransaction(req: EndTransactionRequest, call: CallInfo, svc: ServiceContext): Promise<{ status: Status }> {
  const topic = resourceName(req.topic, 'topic', Code.ILLEGAL_TOPIC, call.namespace);
  const source: DecisionSource = req.source === 'SOURCE_SERVER_CHECK' ? 'SERVER_CHECK' : 'CLIENT';
  if (req.resolution !== 'COMMIT' && req.resolution !== 'ROLLBACK') {
    // UNSPECIFIED is "unknown": the transaction stays pending and will be checked again.
    if (source === 'SERVER_CHECK') await svc.checks.answered(req.transaction_id ?? '', call.clientId);
    return { status: status(Code.OK, 'resolution unspecified: the transaction stays pending and will be checked again') };
  }
  if (source === 'SERVER_CHECK') await svc.checks.answered(req.transaction_id ?? '', call.clientId, req.resolution as Resolution);
  await svc.transactions.endTransaction({
    transactionId: req.transaction_id ?? '',
    resolution: req.resolution as Resolution,
    source,
    topic,
    ...(req.message_id ? { messageId: req.message_id } : {}),
    actor: actorOf(call),
  });
  return { status: OK_STATUS };
}
