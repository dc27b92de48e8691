// ackMessage (DELETE, no trans): acknowledges 1–16 consumer receipt handles through
// ConsumerService. All acked → 204; otherwise 404 <Errors> naming each failed handle
// (ReceiptHandleError: not a handle of this topic; MessageNotExist: expired or already acked).
import { BrokerError, Code } from '../../errors.js';
import type { HttpContext, MqRequest, MqResponse } from '../context.js';
import { handleErrorsResponse, readReceiptHandles, type HandleError } from '../documents.js';
import { MqHttpError, toMqError } from '../errors.js';
import { isHalfHandle } from '../handles.js';
import { consumerGroup, MAX_BATCH } from '../params.js';

export async function ack(req: MqRequest, ctx: HttpContext): Promise<MqResponse> {
  const group = consumerGroup(req.query);
  const handles = readReceiptHandles(req.body, MAX_BATCH);
  const topic = await ctx.svc.topics.require(req.topic);
  const failed = await Promise.all(
    handles.map(async (handle): Promise<HandleError | undefined> => {
      try {
        await ackOne(ctx, group, topic.name, handle);
        return undefined;
      } catch (err) {
        const { code, message } = toMqError(err, ctx.log);
        return { receiptHandle: handle, code, message };
      }
    }),
  );
  const errors = failed.filter((e): e is HandleError => e !== undefined);
  return errors.length === 0 ? { status: 204 } : { status: 404, body: handleErrorsResponse(errors) };
}

async function ackOne(ctx: HttpContext, group: string, topic: string, handle: string): Promise<void> {
  if (isHalfHandle(handle)) {
    throw new MqHttpError('ReceiptHandleError', 'this is the handle of a half message: commit or roll it back (trans=commit|rollback) instead of acking it');
  }
  let result: Awaited<ReturnType<typeof ctx.svc.consumer.tryAck>>;
  try {
    result = await ctx.svc.consumer.tryAck(group, topic, handle);
  } catch (err) {
    // Malformed, or a handle of another topic: the broker's message says which.
    if (err instanceof BrokerError && err.code === Code.INVALID_RECEIPT_HANDLE)
      throw new MqHttpError('ReceiptHandleError', `the receipt handle you provide is not valid: ${err.message}`);
    throw err;
  }
  if (result === 'stale') {
    throw new MqHttpError(
      'MessageNotExist',
      `the handle is spent: the message was acked already, or its NextConsumeTime passed and it is delivered again with a new handle (or the handle was issued to another group than ${group})`,
      Code.INVALID_RECEIPT_HANDLE,
    );
  }
}
