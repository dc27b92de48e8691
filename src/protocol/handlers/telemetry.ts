// Telemetry (bidirectional stream): binds the stream to the client id, answers every settings
// command with the full merged settings, and carries server commands (transaction checks) to the
// client. Invalid settings get an in-band status; the stream always ends with OK when the client ends.
// With auth on, a stream is admitted like a unary call (signature) or answered UNAUTHORIZED and ended;
// its session records the user, so that checks go only to producers allowed to decide them.
// Each stream holds a Telemetry slot of its client (ClientLimits; past the limit
// the stream gets TOO_MANY_REQUESTS and ends), and a stream whose client does not read gets no
// more commands once telemetryMaxQueuedBytes are waiting (its checks go to other producers).
import { endpointsOf, parseEndpoint } from '../../cluster/cluster-service.js';
import { consumerBackoff } from '../../consumer/consumer-service.js';
import { BrokerError, Code } from '../../errors.js';
import { validateGroupName, validateTopicName } from '../../domain/names.js';
import type { ClientSession, ClientType, CommandSink } from '../../session/session-registry.js';
import type { HalfMessage } from '../../domain/transactions.js';
import { admitCall, admitSettings, mayUseSession } from '../access.js';
import { callInfo, type CallInfo } from '../context.js';
import type { ServiceContext } from '../../services.js';
import { checkMessage, fromMs, scopedName } from '../convert.js';
import { OK_STATUS, statusOf } from '../status.js';
import type { BidiCallHandler } from '../transport/types.js';
import type { Settings, TelemetryCommand } from '../types.js';
import { endpointText } from './receive-message.js';

const PRODUCER_BACKOFF = { initialMs: 10, maxMs: 1000, multiplier: 2 };
/** What a command takes besides a message body (properties, settings), for the queue estimate. */
const COMMAND_ROOM_BYTES = 1024;

export function telemetry(svc: ServiceContext): BidiCallHandler<TelemetryCommand, TelemetryCommand> {
  const log = svc.log.child({ rpc: 'Telemetry' });
  return (call) => {
    const info = callInfo(call);
    let release: () => void;
    try {
      release = svc.limits.acquire('telemetry', info.clientId);
    } catch (err) {
      call.write({ status: statusOf(err, log) });
      call.end();
      return;
    }
    const open = (): boolean => !call.cancelled && !call.destroyed && call.writable;
    try {
      admitCall('Telemetry', undefined, call.metadata, info, svc);
    } catch (err) {
      // Refused streams get their status and end: never a session, so never a check.
      log.debug({ clientId: info.clientId, peer: info.peer }, 'telemetry stream refused');
      if (open()) call.write({ status: statusOf(err, log) });
      call.end();
      return;
    }
    /** Bytes written to the stream that the client has not taken yet (an estimate: bodies + room). */
    let queuedBytes = 0;
    const write = (cmd: TelemetryCommand, bytes: number): void => {
      queuedBytes += bytes;
      call.write(cmd, () => (queuedBytes -= bytes));
    };
    const readable = (): boolean => open() && queuedBytes < svc.config.telemetryMaxQueuedBytes;
    let answered: Settings | undefined;
    const sink: CommandSink = {
      resendSettings(): boolean {
        if (!answered || !readable()) return false;
        write({ status: OK_STATUS, settings: answered }, COMMAND_ROOM_BYTES);
        return true;
      },
      accepting: readable,
      sendTransactionCheck(half: HalfMessage): boolean {
        if (!readable()) return false;
        write(
          {
            status: OK_STATUS,
            recover_orphaned_transaction_command: {
              message: checkMessage(half, { namespace: info.namespace, storeHost: endpointText(svc) }),
              transaction_id: half.transactionId,
            },
          },
          half.message.body.length + COMMAND_ROOM_BYTES,
        );
        return true;
      },
    };
    const detach = (): void => {
      release();
      svc.sessions.detach(info.clientId, sink);
    };

    call.on('data', (cmd: TelemetryCommand) => {
      if (cmd.command !== 'settings' || !cmd.settings) {
        log.debug({ clientId: info.clientId, command: cmd.command }, 'telemetry command ignored');
        return;
      }
      onSettings(cmd.settings, info, sink, svc).then(
        (reply) => {
          const first = answered === undefined;
          answered = reply;
          if (!open()) return;
          write({ status: OK_STATUS, settings: reply }, COMMAND_ROOM_BYTES);
          // The first answer can reach the client before it waits for one (see echoSettingsLater).
          if (first) svc.sessions.echoSettingsLater(info.clientId, svc.config.settingsEchoDelayMs, svc.clock);
        },
        (err: unknown) => open() && call.write({ status: statusOf(err, log) }),
      );
    });
    call.on('end', () => {
      detach();
      call.end();
    });
    call.on('cancelled', detach);
    call.on('error', (err) => {
      detach();
      log.debug({ err, clientId: info.clientId }, 'telemetry stream failed');
    });
  };
}

/** Keeps what the client reported about itself (client list / describe). */
function noteReported(session: ClientSession, settings: Settings): void {
  session.reportedSettings = settings;
  const ua = settings.user_agent;
  if (ua) session.userAgent = { language: ua.language, version: ua.version, platform: ua.platform, hostname: ua.hostname };
}

/** Settings.metric: where the client pushes its own metrics (OTLP), if a collector is configured. */
function clientMetric(endpoint: string): NonNullable<Settings['metric']> {
  const address = endpoint ? parseEndpoint(endpoint) : undefined;
  return address ? { on: true, endpoints: endpointsOf(address) } : { on: false };
}

async function onSettings(settings: Settings, info: CallInfo, sink: CommandSink, svc: ServiceContext): Promise<Settings> {
  if (!info.hasClientId) throw new BrokerError(Code.CLIENT_ID_REQUIRED, 'the x-mq-client-id header is missing: every client must identify itself');
  const { config, clock, sessions } = svc;
  if (!mayUseSession(sessions.get(info.clientId), info)) {
    throw new BrokerError(Code.FORBIDDEN, `client id ${info.clientId} is in use by another user's session: pick another client id`);
  }
  const clientType = (settings.client_type ?? 'CLIENT_TYPE_UNSPECIFIED') as ClientType;
  const common: Settings = { metric: clientMetric(config.clientMetricsEndpoint) };
  if (settings.access_point) common.access_point = settings.access_point;
  if (settings.request_timeout) common.request_timeout = settings.request_timeout;
  if (settings.user_agent) common.user_agent = settings.user_agent;
  if (settings.client_type) common.client_type = settings.client_type;

  if (settings.publishing) {
    const topics = settings.publishing.topics ?? [];
    const names = topics.map((t) => scopedName(t, info.namespace));
    for (const name of names) validateTopicName(name);
    const session = sessions.attach(info.clientId, sink, clock.now());
    noteReported(session, settings);
    if (info.identity) session.user = info.identity.user;
    session.clientType = 'PRODUCER';
    for (const name of names) session.topics.add(name);
    sessions.announce(session);
    return {
      ...common,
      backoff_policy: {
        max_attempts: config.producerMaxAttempts,
        exponential_backoff: {
          initial: fromMs(PRODUCER_BACKOFF.initialMs),
          max: fromMs(PRODUCER_BACKOFF.maxMs),
          multiplier: PRODUCER_BACKOFF.multiplier,
        },
      },
      publishing: { topics, max_body_size: config.maxMessageSizeBytes, validate_message_type: true },
    };
  }
  if (settings.subscription) {
    admitSettings(settings, info, svc);
    const sub = settings.subscription;
    const groupName = scopedName(sub.group, info.namespace);
    validateGroupName(groupName);
    for (const s of sub.subscriptions ?? []) {
      validateTopicName(scopedName(s.topic, info.namespace));
      svc.consumer.parseFilter({ type: s.expression?.type === 'SQL' ? 'SQL' : 'TAG', expression: s.expression?.expression ?? '*' });
    }
    const group = await svc.consumer.group(groupName);
    const session = sessions.attach(info.clientId, sink, clock.now());
    noteReported(session, settings);
    if (info.identity) session.user = info.identity.user;
    session.clientType = clientType;
    session.group = groupName;
    // The broker enforces this back-off on push consumer nacks too (see ConsumerService).
    const backoff = consumerBackoff(config);
    return {
      ...common,
      backoff_policy: {
        max_attempts: group.maxDeliveryAttempts,
        exponential_backoff: {
          initial: fromMs(backoff.initialMs),
          max: fromMs(backoff.maxMs),
          multiplier: backoff.multiplier,
        },
      },
      subscription: {
        group: sub.group ?? { name: groupName },
        subscriptions: sub.subscriptions ?? [],
        fifo: group.fifo,
        receive_batch_size: config.receiveBatchSize,
        long_polling_timeout: fromMs(config.maxLongPollingTimeoutMs),
      },
    };
  }
  throw new BrokerError(Code.BAD_REQUEST, 'settings carry neither publishing nor subscription: producers send publishing, consumers subscription');
}
