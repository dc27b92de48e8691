// commit / rollback (DELETE, trans=commit|rollback): resolves one half message by its receipt
// handle through TransactionService (source HTTP; first decision wins, durable before 204). The
// transaction is found from the handle alone — Go sends `consumer=` empty. A failed handle is
// answered 404 <Errors>: ReceiptHandleError (not a handle of a transaction of this topic) or
// MessageNotExist (expired, or the transaction is already decided).
import { BrokerError, Code } from '../../errors.js';
import type { DecisionActor, Resolution } from '../../domain/transactions.js';
import type { HttpContext, MqRequest, MqResponse } from '../context.js';
import { handleErrorsResponse, readReceiptHandles } from '../documents.js';
import { MqHttpError, toMqError } from '../errors.js';
import { decodeHalfHandle, halfHandleProblem } from '../handles.js';

export async function endTransaction(req: MqRequest, ctx: HttpContext, resolution: Resolution): Promise<MqResponse> {
  const [handle] = readReceiptHandles(req.body, 1);
  const topic = await ctx.svc.topics.require(req.topic);
  try {
    await resolve(ctx, topic.name, handle!, resolution, req.query.consumer, { address: req.remoteAddress, ...(req.user ? { user: req.user } : {}) });
    return { status: 204 };
  } catch (err) {
    const { code, message } = toMqError(err, ctx.log);
    return { status: 404, body: handleErrorsResponse([{ receiptHandle: handle!, code, message }]) };
  }
}

function spent(message: string): MqHttpError {
  return new MqHttpError('MessageNotExist', message, Code.INVALID_TRANSACTION_ID);
}

async function resolve(ctx: HttpContext, topic: string, handle: string, resolution: Resolution, group: string | undefined, actor: DecisionActor): Promise<void> {
  const { svc } = ctx;
  const h = decodeHalfHandle(handle);
  let state: Awaited<ReturnType<typeof svc.transactions.describe>>;
  try {
    state = await svc.transactions.describe(h.transactionId);
  } catch (err) {
    if (err instanceof BrokerError && err.code === Code.INVALID_TRANSACTION_ID) {
      throw new MqHttpError('ReceiptHandleError', 'the receipt handle names no transaction of this broker: pass the handle exactly as returned');
    }
    throw err;
  }
  if (state.decision) {
    const what = state.decision.state === 'COMMITTED' ? 'committed' : 'rolled back';
    throw spent(`the transaction was already ${what} (by ${state.decision.source} at ${new Date(state.decision.decidedAtMs).toISOString()}); its handles are spent`);
  }
  const half = state.half!;
  if (half.message.topic !== topic) throw new MqHttpError('ReceiptHandleError', `the receipt handle belongs to topic ${half.message.topic}, not ${topic}`);
  const problem = halfHandleProblem(h, half, svc.clock.now());
  if (problem) throw spent(problem);
  const by = h.checkNumber === 0 ? 'publish handle' : `check ${h.checkNumber}`;
  try {
    const outcome = await svc.transactions.endTransaction({
      transactionId: h.transactionId,
      resolution,
      source: 'HTTP',
      topic,
      messageId: half.message.messageId,
      reason: `trans=${resolution.toLowerCase()} with the ${by} handle${group ? ` (consumer ${group})` : ''}`,
      actor,
    });
    if (!outcome.applied) throw spent(`the transaction was already ${outcome.decision.state === 'COMMITTED' ? 'committed' : 'rolled back'}; its handles are spent`);
  } catch (err) {
    // Decided by someone else between the look above and this decision.
    if (err instanceof BrokerError && !(err instanceof MqHttpError) && err.code === Code.INVALID_TRANSACTION_ID) throw spent(err.message);
    throw err;
  }
}
