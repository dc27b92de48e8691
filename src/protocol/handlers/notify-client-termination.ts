// NotifyClientTermination: the client is leaving; forget its session and release its
// auto-renewed deliveries (always OK: Node's shutdown() rejects on any error here).
import { BrokerError, Code } from '../../errors.js';
import { mayUseSession } from '../access.js';
import type { CallInfo } from '../context.js';
import type { ServiceContext } from '../../services.js';
import { OK_STATUS } from '../status.js';
import type { NotifyClientTerminationRequest, Status } from '../types.js';

export async function notifyClientTermination(_req: NotifyClientTerminationRequest, call: CallInfo, svc: ServiceContext): Promise<{ status: Status }> {
  if (!mayUseSession(svc.sessions.get(call.clientId), call)) {
    throw new BrokerError(Code.FORBIDDEN, `client id ${call.clientId} belongs to another user's session: only that user may end it`);
  }
  svc.sessions.remove(call.clientId);
  // Its push deliveries still in flight (acks that never made it) go back to the group now.
  await svc.consumer
    .clientTerminated(call.clientId)
    .catch((err: unknown) => svc.log.warn({ err, clientId: call.clientId }, 'could not release the deliveries of a departed client'));
  svc.log.debug({ clientId: call.clientId }, 'client terminated');
  return { status: OK_STATUS };
}
