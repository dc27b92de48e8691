// consumeMessage / consumeMessageOrderly (GET, no trans / trans=order): long-polls the group's
// committed messages through ConsumerService for up to waitseconds; every delivery carries a fresh
// receipt handle and stays invisible until NextConsumeTime. Nothing found → 404 MessageNotExist.
// Ordered consumption needs a FIFO topic and makes the group FIFO (one message of each sharding
// key in flight at a time), as `halfmoon group update --fifo` would.
import { Code } from '../../errors.js';
import type { Delivery } from '../../domain/consumption.js';
import type { HttpContext, MqRequest, MqResponse } from '../context.js';
import { messagesResponse, type OutgoingMessage } from '../documents.js';
import { MqHttpError } from '../errors.js';
import { batchSize, consumerGroup, waitSeconds } from '../params.js';

export async function consume(req: MqRequest, ctx: HttpContext, orderly: boolean): Promise<MqResponse> {
  const { svc } = ctx;
  const group = consumerGroup(req.query);
  const max = batchSize(req.query);
  const wait = waitSeconds(req.query);
  if (orderly) await makeOrderly(ctx, group, req.topic);
  const invisibleMs = orderly ? svc.config.httpOrderlyInvisibleDurationMs : svc.config.httpInvisibleDurationMs;
  const deliveries = await svc.consumer.receive(
    {
      group,
      topic: req.topic,
      filter: { type: 'TAG', expression: req.query.tag ?? '*' },
      batchSize: max,
      invisibleDurationMs: invisibleMs,
      autoRenew: false,
      holdMs: wait * 1000,
    },
    req.signal,
  );
  if (deliveries.length === 0) {
    throw new MqHttpError('MessageNotExist', `no message to consume in topic ${req.topic} for ${group} (waited ${wait} s)`, Code.MESSAGE_NOT_FOUND);
  }
  return { status: 200, body: messagesResponse(deliveries.map((d) => outgoing(d, invisibleMs))) };
}

function outgoing(d: Delivery, invisibleMs: number): OutgoingMessage {
  const m = d.message;
  // When the store handed it out (it set the invisibility from that instant), not when the
  // response is built: NextConsumeTime - FirstConsumeTime is then exactly the invisible time.
  const now = d.invisibleUntilMs - invisibleMs;
  const estimate = Math.max(m.bornTimestampMs, now - (d.deliveryAttempt - 1) * invisibleMs);
  return {
    message: m,
    receiptHandle: d.receiptHandle,
    publishTimeMs: m.bornTimestampMs,
    // Kept by the store with the delivery; estimated for deliveries older than that record.
    firstConsumeTimeMs: d.firstDeliveredAtMs ?? estimate,
    nextConsumeTimeMs: d.invisibleUntilMs,
    consumedTimes: d.deliveryAttempt,
  };
}

async function makeOrderly(ctx: HttpContext, group: string, topicName: string): Promise<void> {
  const { svc } = ctx;
  const topic = await svc.topics.require(topicName, 'FIFO');
  if (topic.messageType !== 'FIFO') {
    throw new MqHttpError(
      'InvalidArgument',
      `consumeMessageOrderly needs a FIFO topic; ${topic.name} is ${topic.messageType}: use consumeMessage, or publish with a sharding key to a FIFO topic`,
    );
  }
  const record = await svc.consumer.group(group);
  if (!record.fifo) {
    await svc.groups.update(group, { fifo: true });
    ctx.log.info({ group, topic: topic.name }, 'consumer group made FIFO by its first ordered consume');
  }
}
