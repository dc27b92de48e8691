// NotifyClientTermination: the client is leaving; forget its session (always OK: Node's
// shutdown() rejects on any error here).
import type { CallInfo, ServiceContext } from '../context.js';
import { OK_STATUS } from '../status.js';
import type { NotifyClientTerminationRequest, Status } from '../types.js';

export async function notifyClientTermination(
  _req: NotifyClientTerminationRequest,
  call: CallInfo,
  svc: ServiceContext,
): Promise<{ status: Status }> {
  svc.sessions.remove(call.clientId);
  svc.log.debug({ clientId: call.clientId }, 'client terminated');
  return { status: OK_STATUS };
}
