// Example: transactional messages over Halfmoon's ApsaraMQ (Aliyun MQ) HTTP gateway with the
// unmodified @aliyunmq/mq-http-sdk. Two half messages are published with a TransCheckImmunityTime:
//   - order-1 is committed at once with the receipt handle publishMessage returned;
//   - order-2 is left undecided, so after the immunity time the gateway offers it to
//     consumeHalfMessage (the HTTP form of a transaction check) and it is committed with that handle.
// Then a consumer group receives both committed messages and acks them.
// Creates nothing; the topic must exist as a TRANSACTION topic:
//
//   npx halfmoon topic create Payments --type TRANSACTION
//
//   npx tsx examples/http-transaction.ts [Payments] [GID_PAYMENTS] [GID_BILLING] [immunitySeconds=10]
//
// Arguments: topic, the producer's group id, the consumer's group id, TransCheckImmunityTime in
// seconds (10–300). The gateway address comes from $HALFMOON_HTTP_ENDPOINT (default
// http://127.0.0.1:8082, the broker's --http-port). Access key and secret come from
// $HALFMOON_ACCESS_KEY / $HALFMOON_SECRET_KEY; a broker started without --access-key checks no
// signatures, so the defaults below do. The instance id is ignored by Halfmoon (one instance).
import sdk from '@aliyunmq/mq-http-sdk';

const endpoint = process.env.HALFMOON_HTTP_ENDPOINT ?? 'http://127.0.0.1:8082';
const accessKey = process.env.HALFMOON_ACCESS_KEY ?? 'ak';
const secretKey = process.env.HALFMOON_SECRET_KEY ?? 'sk';
const [topic = 'Payments', producerGroup = 'GID_PAYMENTS', consumerGroup = 'GID_BILLING', immunityArg = '10'] = process.argv.slice(2);
const immunitySeconds = Number(immunityArg);
const instanceId = '';
const TIMEOUT_MS = 60_000;

/** MessageNotExist is how the gateway says "nothing to give you right now" (after a long poll). */
function isEmpty(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { Code?: unknown }).Code === 'MessageNotExist';
}

/** commit/rollback/ack answer 204, or 404 with one failure per bad handle instead of throwing. */
function check(what: string, res: sdk.Response<sdk.HandleFailure[] | undefined>): void {
  if (res.code !== 204) throw new Error(`${what} failed (${res.code}): ${JSON.stringify(res.body)}`);
}

function halfProperties(order: string): sdk.MessageProperties {
  const props = new sdk.MessageProperties();
  props.messageKey(order);
  props.putProperty('order', order);
  // The gateway offers the half message to consumeHalfMessage only after this many seconds; until
  // then the receipt handle from publishMessage can commit or roll back directly.
  props.transCheckImmunityTime(immunitySeconds);
  return props;
}

async function main(): Promise<void> {
  const client = new sdk.MQClient(endpoint, accessKey, secretKey);
  const producer = client.getTransProducer(instanceId, topic, producerGroup);

  // order-1: publish, do the local work, commit with the publish handle.
  const first = await producer.publishMessage('order-1 paid', 'paid', halfProperties('order-1'));
  console.log(`published half ${first.body.MessageId} (order-1)`);
  check('commit', await producer.commit(first.body.ReceiptHandle!));
  console.log(`committed ${first.body.MessageId} with the publish handle`);

  // order-2: publish and "forget" to decide — as if the process had crashed before commit.
  const second = await producer.publishMessage('order-2 paid', 'paid', halfProperties('order-2'));
  console.log(`published half ${second.body.MessageId} (order-2), left undecided`);

  // The check loop every HTTP transactional producer runs: long-poll consumeHalfMessage and decide
  // each offered half message (commit if the order exists, roll back if not). An undecided offer is
  // offered again later with a new handle.
  const deadline = Date.now() + TIMEOUT_MS;
  let decided = false;
  while (!decided && Date.now() < deadline) {
    try {
      const offered = await producer.consumeHalfMessage(3, 3);
      for (const half of offered.body) {
        console.log(`offered half ${half.MessageId} (${half.Properties.order}) check #${half.ConsumedTimes}`);
        check('commit', await producer.commit(half.ReceiptHandle));
        console.log(`committed ${half.MessageId} with the check handle`);
        if (half.MessageId === second.body.MessageId) decided = true;
      }
    } catch (err) {
      if (!isEmpty(err)) throw err;
    }
  }
  if (!decided) throw new Error(`order-2 was not offered to consumeHalfMessage within ${TIMEOUT_MS} ms`);

  // Consume both committed messages and ack them (un-acked messages come back after NextConsumeTime).
  const consumer = client.getConsumer(instanceId, topic, consumerGroup, 'paid');
  const wanted = new Set([first.body.MessageId, second.body.MessageId]);
  while (wanted.size > 0 && Date.now() < deadline) {
    try {
      const res = await consumer.consumeMessage(16, 3);
      for (const m of res.body) {
        console.log(`consumed ${m.MessageId} tag=${m.MessageTag ?? ''} body=${m.MessageBody}`);
        wanted.delete(m.MessageId);
      }
      check('ack', await consumer.ackMessage(res.body.map((m) => m.ReceiptHandle)));
    } catch (err) {
      if (!isEmpty(err)) throw err;
    }
  }
  if (wanted.size > 0) throw new Error(`not consumed within ${TIMEOUT_MS} ms: ${[...wanted].join(', ')}`);
  console.log('done');
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error('failed:', err);
    process.exit(1);
  },
);
