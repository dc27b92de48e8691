// publishMessage (POST): a <Message> becomes a NORMAL, DELAY (__STARTDELIVERTIME), FIFO
// (__SHARDINGKEY) or TRANSACTION (__TransCheckT) message, stored through SendService. A half
// message answers with the receipt handle that commits or rolls it back until its immunity ends.
import { randomBytes } from 'node:crypto';
import { Code } from '../../errors.js';
import type { MessageInput, MessageType } from '../../domain/messages.js';
import { HTTP_CLIENT_PREFIX, type HttpContext, type MqRequest, type MqResponse } from '../context.js';
import { publishResponse, readPublishDocument } from '../documents.js';
import { MqHttpError } from '../errors.js';
import { encodeHalfHandle } from '../handles.js';
import { parseProperties, SHARDING_KEY, START_DELIVER_TIME, TRANS_CHECK_IMMUNITY, type PublishProperties } from '../properties.js';

/** 32 upper-case hex digits, like the service's message ids. */
export function newMessageId(): string {
  return randomBytes(16).toString('hex').toUpperCase();
}

/** The message type the properties ask for, and what made it so (for error messages). */
function typeOf(p: PublishProperties): { type: MessageType; because: string } {
  const asked: { type: MessageType; because: string }[] = [];
  if (p.transCheckImmunitySeconds !== undefined) asked.push({ type: 'TRANSACTION', because: `it sets TransCheckImmunityTime (${TRANS_CHECK_IMMUNITY})` });
  if (p.startDeliverTimeMs !== undefined) asked.push({ type: 'DELAY', because: `it sets StartDeliverTime (${START_DELIVER_TIME})` });
  if (p.shardingKey !== undefined) asked.push({ type: 'FIFO', because: `it sets a sharding key (${SHARDING_KEY})` });
  if (asked.length > 1) {
    throw new MqHttpError('InvalidArgument', `a message is one of transactional, timed or ordered; this one is several: ${asked.map((a) => a.because).join(' and ')}`);
  }
  return asked[0] ?? { type: 'NORMAL', because: 'it sets none of TransCheckImmunityTime, StartDeliverTime or a sharding key' };
}

export async function publish(req: MqRequest, ctx: HttpContext): Promise<MqResponse> {
  const { svc } = ctx;
  const doc = readPublishDocument(req.body);
  const props = parseProperties(doc.properties);
  const { type, because } = typeOf(props);
  const topic = await svc.topics.require(req.topic, type);
  if (topic.messageType !== type) {
    throw new MqHttpError(
      'InvalidArgument',
      `topic ${topic.name} takes ${topic.messageType} messages, but this message is ${type} because ${because}: publish it to a ${type} topic`,
      Code.MESSAGE_PROPERTY_CONFLICT_WITH_TYPE,
    );
  }
  const now = svc.clock.now();
  const body = Buffer.from(doc.body, 'utf8');
  const input: MessageInput = {
    topic: topic.name,
    messageId: newMessageId(),
    messageType: type,
    body,
    keys: props.keys,
    userProperties: props.user,
    bornTimestampMs: now,
    bornHost: req.remoteAddress,
  };
  if (doc.tag !== undefined) input.tag = doc.tag;
  if (props.shardingKey !== undefined) input.messageGroup = props.shardingKey;
  if (props.startDeliverTimeMs !== undefined) input.deliveryTimestampMs = props.startDeliverTimeMs;
  const clientId = `${HTTP_CLIENT_PREFIX}${req.remoteAddress}`;
  if (props.transCheckImmunitySeconds === undefined) {
    await svc.sender.send([input], { clientId });
    return { status: 201, body: publishResponse(input.messageId, body) };
  }
  // HTTP pollers see a half message about every 10 s: its budget is an age, not a check count.
  const [result] = await svc.sender.send([input], {
    clientId,
    transactionRecoveryMs: props.transCheckImmunitySeconds * svc.config.httpTransCheckSecondMs,
    budget: 'age',
  });
  const handle = encodeHalfHandle({ transactionId: result!.transactionId, checkNumber: 0 });
  return { status: 201, body: publishResponse(input.messageId, body, handle) };
}
