// QueryRoute: the topic's READ_WRITE queues (id 0) on each logical broker the cluster service
// lists (this broker alone on LevelDB; every live broker on a shared store), accepting the
// topic's message type. Unknown topics answer TOPIC_NOT_FOUND (clients act on the code alone;
// the official Node and Java clients never parse the text) with what to do about it.
// Each answered route also schedules a settings echo on the client's Telemetry stream.
import { BrokerError, Code } from '../../errors.js';
import { validateTopicName } from '../../domain/names.js';
import type { CallInfo } from '../context.js';
import type { ServiceContext } from '../../services.js';
import { clientResource, namespaceOf, resourceName } from '../convert.js';
import { OK_STATUS } from '../status.js';
import type { MessageQueue, QueryRouteRequest, Status } from '../types.js';

export async function queryRoute(req: QueryRouteRequest, call: CallInfo, svc: ServiceContext): Promise<{ status: Status; message_queues: MessageQueue[] }> {
  const name = resourceName(req.topic, 'topic', Code.ILLEGAL_TOPIC, call.namespace);
  validateTopicName(name);
  let topic;
  try {
    topic = await svc.topics.require(name);
  } catch (err) {
    if (err instanceof BrokerError && err.code === Code.TOPIC_NOT_FOUND) {
      throw new BrokerError(Code.TOPIC_NOT_FOUND, `topic ${name} does not exist: create it with "halfmoon topic create ${name} --type NORMAL|FIFO|DELAY|TRANSACTION"`);
    }
    throw err;
  }
  const queues: MessageQueue[] = [];
  for (const broker of svc.cluster.brokers(req.endpoints)) {
    for (let id = 0; id < topic.queueCount; id++) {
      queues.push({
        topic: clientResource(name, namespaceOf(req.topic, call.namespace)),
        id,
        permission: 'READ_WRITE',
        broker: { name: broker.name, id: 0, endpoints: broker.endpoints },
        accept_message_types: [topic.messageType],
      });
    }
  }
  if (call.hasClientId) svc.sessions.echoSettingsLater(call.clientId, svc.config.settingsEchoDelayMs, svc.clock);
  return { status: OK_STATUS, message_queues: queues };
}
