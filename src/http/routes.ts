// Owns dispatch: one resource, the operation chosen by method + `trans` (spec §2, §11).
//   POST                       publishMessage (normal, timed, ordered, half)
//   GET    [trans=order]       consumeMessage / consumeMessageOrderly
//   GET    trans=pop           consumeHalfMessage
//   DELETE                     ackMessage
//   DELETE trans=commit|rollback   commit / rollback
import type { HttpContext, MqRequest, MqResponse } from './context.js';
import { MqHttpError } from './errors.js';
import { ack } from './handlers/ack.js';
import { consumeHalf } from './handlers/consume-half.js';
import { consume } from './handlers/consume.js';
import { endTransaction } from './handlers/end-transaction.js';
import { publish } from './handlers/publish.js';

function badTrans(method: string, trans: string, allowed: string): MqHttpError {
  return new MqHttpError('InvalidQueryString', `trans=${trans.slice(0, 20)} is not an operation of ${method}: use ${allowed}`);
}

export async function dispatch(req: MqRequest, ctx: HttpContext): Promise<MqResponse> {
  const { trans } = req.query;
  switch (req.method) {
    case 'POST':
      if (trans !== undefined) throw badTrans('POST', trans, 'no trans parameter (a half message is marked by TransCheckImmunityTime)');
      return publish(req, ctx);
    case 'GET':
      if (trans === undefined) return consume(req, ctx, false);
      if (trans === 'order') return consume(req, ctx, true);
      if (trans === 'pop') return consumeHalf(req, ctx);
      throw badTrans('GET', trans, 'pop, order or none');
    case 'DELETE':
      if (trans === undefined) return ack(req, ctx);
      if (trans === 'commit') return endTransaction(req, ctx, 'COMMIT');
      if (trans === 'rollback') return endTransaction(req, ctx, 'ROLLBACK');
      throw badTrans('DELETE', trans, 'commit, rollback or none');
    default:
      throw new MqHttpError('InvalidRequestURL', `method ${req.method} is not supported: use POST (publish), GET (consume) or DELETE (ack, commit, rollback)`);
  }
}
