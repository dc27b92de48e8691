// SendMessage: converts, hands the batch to SendService, and answers one entry per message
// (message_id = transaction_id, as RocketMQ does; TRANSACTION messages land in the half store).
import { BrokerError, Code } from '../../errors.js';
import type { CallInfo } from '../context.js';
import type { ServiceContext } from '../../services.js';
import { fromProtoMessage } from '../convert.js';
import { OK_STATUS, statusOf } from '../status.js';
import type { SendMessageRequest, Status } from '../types.js';

interface SendResultEntry {
  status: Status;
  message_id: string;
  transaction_id: string;
  /** A number (int64 on the wire): the reply encoder writes it without a decimal round trip. */
  offset: number;
}

export async function sendMessage(req: SendMessageRequest, call: CallInfo, svc: ServiceContext): Promise<{ status: Status; entries: SendResultEntry[] }> {
  const raw = req.messages ?? [];
  try {
    if (raw.length === 0) throw new BrokerError(Code.MESSAGE_CORRUPTED, 'SendMessage carries no message: put at least one message in `messages`');
    const now = svc.clock.now();
    const incoming = raw.map((m) => fromProtoMessage(m, now, call.namespace));
    const recovery = incoming[0]!.transactionRecoveryMs;
    const results = await svc.sender.send(
      incoming.map((i) => i.input),
      recovery === undefined ? { clientId: call.clientId } : { clientId: call.clientId, transactionRecoveryMs: recovery },
    );
    svc.sessions.notePublished(call.clientId, incoming[0]!.input.topic, now);
    return {
      status: OK_STATUS,
      entries: results.map((r) => ({ status: OK_STATUS, message_id: r.messageId, transaction_id: r.transactionId, offset: r.offset })),
    };
  } catch (err) {
    const status = statusOf(err, svc.log);
    const entries = raw.map((m) => ({ status, message_id: m.system_properties?.message_id ?? '', transaction_id: '', offset: 0 }));
    return { status, entries };
  }
}
