// consumeHalfMessage (GET, trans=pop): the transactional producer's check poll. Claims due half
// messages of the topic (producer group = topic name, as for gRPC) through the store's
// claimDueChecks — the same engine that pushes gRPC checks — for up to waitseconds. Each offer
// counts as a check (ConsumedTimes), comes due again httpHalfCheckIntervalMs later
// (NextConsumeTime) and carries a new handle; a half message whose budget is used up gets the
// policy instead. Nothing due → 404 MessageNotExist.
import { Code } from '../../errors.js';
import type { HalfMessage } from '../../domain/transactions.js';
import { HTTP_CLIENT_PREFIX, pause, type HttpContext, type MqRequest, type MqResponse } from '../context.js';
import { messagesResponse, type OutgoingMessage } from '../documents.js';
import { MqHttpError } from '../errors.js';
import { encodeHalfHandle } from '../handles.js';
import { batchSize, consumerGroup, waitSeconds } from '../params.js';
import { TRANS_CHECK_IMMUNITY } from '../properties.js';

/** Longest sleep between looks (wake-ups are hints: a due time passing wakes nobody). */
const MAX_NAP_MS = 1000;
/** Shortest sleep, should a due transaction stay unclaimable (claimed elsewhere meanwhile). */
const MIN_NAP_MS = 20;

export async function consumeHalf(req: MqRequest, ctx: HttpContext): Promise<MqResponse> {
  const { svc } = ctx;
  const group = consumerGroup(req.query);
  const max = batchSize(req.query);
  const wait = waitSeconds(req.query);
  const topic = await svc.topics.require(req.topic, 'TRANSACTION');
  if (topic.messageType !== 'TRANSACTION') {
    throw new MqHttpError('InvalidArgument', `consumeHalfMessage needs a TRANSACTION topic; ${topic.name} is ${topic.messageType}`);
  }
  const endAt = svc.clock.now() + wait * 1000;
  for (;;) {
    const offered = await svc.checks.claimForPoller(topic.name, `${HTTP_CLIENT_PREFIX}${group}`, max);
    const now = svc.clock.now();
    if (offered.length > 0) {
      ctx.log.debug({ topic: topic.name, group, count: offered.length }, 'half messages offered for check');
      return { status: 200, body: messagesResponse(offered.map((h) => outgoing(ctx, h, now))) };
    }
    if (now >= endAt || req.signal.aborted) {
      throw new MqHttpError('MessageNotExist', `no half message of topic ${topic.name} is due for a check (waited ${wait} s)`, Code.MESSAGE_NOT_FOUND);
    }
    const dueIn = await svc.checks.nextDueInMs(topic.name);
    const nap = Math.min(endAt - now, MAX_NAP_MS, dueIn === undefined ? Infinity : Math.max(dueIn, MIN_NAP_MS));
    await pause(svc.clock, nap, req.signal, (wake) => svc.events.on('halfPublished', topic.name, wake));
  }
}

function outgoing(ctx: HttpContext, half: HalfMessage, now: number): OutgoingMessage {
  const { config } = ctx.svc;
  const immunitySeconds = Number(half.message.userProperties[TRANS_CHECK_IMMUNITY]);
  const firstCheckDelay = immunitySeconds > 0 ? immunitySeconds * config.httpTransCheckSecondMs : config.transactionTimeoutMs;
  return {
    message: half.message,
    receiptHandle: encodeHalfHandle({ transactionId: half.transactionId, checkNumber: half.checkCount }),
    publishTimeMs: half.receivedAtMs,
    // When the message was first due for a check (the service does not document this field).
    firstConsumeTimeMs: Math.min(now, half.receivedAtMs + firstCheckDelay),
    nextConsumeTimeMs: half.nextCheckAtMs,
    consumedTimes: half.checkCount,
  };
}
