// Heartbeat: records liveness (and the client's type/group) and answers at once.
import type { CallInfo } from '../context.js';
import type { ServiceContext } from '../../services.js';
import { scopedName } from '../convert.js';
import { OK_STATUS } from '../status.js';
import type { HeartbeatRequest, Status } from '../types.js';
import type { ClientType } from '../../session/session-registry.js';

export async function heartbeat(req: HeartbeatRequest, call: CallInfo, svc: ServiceContext): Promise<{ status: Status }> {
  const session = svc.sessions.touch(call.clientId, svc.clock.now());
  if (req.client_type && req.client_type !== 'CLIENT_TYPE_UNSPECIFIED') session.clientType = req.client_type as ClientType;
  if (req.group?.name) session.group = scopedName(req.group, call.namespace);
  return { status: OK_STATUS };
}
