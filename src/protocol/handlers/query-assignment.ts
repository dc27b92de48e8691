// QueryAssignment (PushConsumer): for each logical broker the cluster service lists (see
// QueryRoute), non-FIFO groups pop the whole broker (queue id -1) and FIFO groups get each queue
// of the topic. Every broker serves every queue; the store keeps a FIFO group's order.
import { Code } from '../../errors.js';
import type { CallInfo } from '../context.js';
import type { ServiceContext } from '../../services.js';
import { clientResource, namespaceOf, resourceName } from '../convert.js';
import { OK_STATUS } from '../status.js';
import type { MessageQueue, QueryAssignmentRequest, Status } from '../types.js';

export async function queryAssignment(
  req: QueryAssignmentRequest,
  call: CallInfo,
  svc: ServiceContext,
): Promise<{ status: Status; assignments: { message_queue: MessageQueue }[] }> {
  const topicName = resourceName(req.topic, 'topic', Code.ILLEGAL_TOPIC, call.namespace);
  const groupName = resourceName(req.group, 'group', Code.ILLEGAL_CONSUMER_GROUP, call.namespace);
  const topic = await svc.topics.require(topicName);
  const group = await svc.consumer.group(groupName);
  const ids = group.fifo && topic.messageType === 'FIFO' ? [...Array(topic.queueCount).keys()] : [-1];
  return {
    status: OK_STATUS,
    assignments: svc.cluster.brokers(req.endpoints).flatMap((broker) =>
      ids.map((id) => ({
        message_queue: {
          topic: clientResource(topicName, namespaceOf(req.topic, call.namespace)),
          id,
          permission: 'READ_WRITE',
          broker: { name: broker.name, id: 0, endpoints: broker.endpoints },
          accept_message_types: [],
        },
      })),
    ),
  };
}
