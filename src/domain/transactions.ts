// Owns the transaction model: the records (half message, decision, check trail), the state
// machine as one explicit transition table, and the pure rules every backend applies inside its
// own atomic write: when a check budget is used up, whom a check goes to, what a claim, a
// released check and a decision make of a transaction. No I/O here.
import type { MessageInput } from './messages.js';

/** Where a transaction decision came from; recorded for the audit trail. */
export type DecisionSource = 'CLIENT' | 'SERVER_CHECK' | 'ADMIN' | 'POLICY' | 'HTTP';
export type Resolution = 'COMMIT' | 'ROLLBACK';

/**
 * PENDING: half message stored, waiting for a decision (and being checked).
 * ABANDONED: check budget used up under the KEEP policy (or quarantined); kept for manual
 * resolution, not checked. COMMITTED / ROLLED_BACK: terminal.
 */
export type TransactionState = 'PENDING' | 'ABANDONED' | 'COMMITTED' | 'ROLLED_BACK';

/**
 * What may happen to a transaction. CHECK: a check was claimed for a producer; RELEASE: the
 * claimed check never reached anyone; ABANDON: the KEEP policy; QUARANTINE: its record is
 * unreadable; REARM: an operator asks for checks again; COMMIT / ROLLBACK: the decision.
 */
export type TransactionEvent = 'CHECK' | 'RELEASE' | 'ABANDON' | 'QUARANTINE' | 'REARM' | 'COMMIT' | 'ROLLBACK';

/** The state machine: the state each event leads to; an event missing from a row is refused. */
export const TRANSACTION_TRANSITIONS: Readonly<Record<TransactionState, Readonly<Partial<Record<TransactionEvent, TransactionState>>>>> = {
  PENDING: { CHECK: 'PENDING', RELEASE: 'PENDING', ABANDON: 'ABANDONED', QUARANTINE: 'ABANDONED', COMMIT: 'COMMITTED', ROLLBACK: 'ROLLED_BACK' },
  ABANDONED: { REARM: 'PENDING', COMMIT: 'COMMITTED', ROLLBACK: 'ROLLED_BACK' },
  COMMITTED: {},
  ROLLED_BACK: {},
};

/** The state `event` leads to from `state`, or undefined when the transition is not allowed. */
export function transition(state: TransactionState, event: TransactionEvent): TransactionState | undefined {
  return TRANSACTION_TRANSITIONS[state][event];
}

/**
 * How long a transaction may stay undecided before the policy applies: `checks` counts checks
 * delivered (transactionCheckMax, RocketMQ's rule); `age` is a time since it was received
 * (httpTransactionMaxAgeMs: MQ HTTP pollers see a half message about every 10 s for a day).
 */
export type CheckBudget = 'checks' | 'age';

export interface HalfMessage {
  transactionId: string;
  message: MessageInput;
  /** Producer group that may be asked about it; the RocketMQ 5 proxy uses the topic name. */
  producerGroup: string;
  /** Client id of the producer that sent the half message (asked first). */
  senderClientId: string;
  receivedAtMs: number;
  state: 'PENDING' | 'ABANDONED';
  budget: CheckBudget;
  /** Checks actually delivered to a producer (answered, timed out, and the one awaiting an answer). */
  checkCount: number;
  /** Checks that got no answer before the next one was sent (absent: none). */
  timeouts?: number;
  /** The last check delivered has not been answered yet (absent: false). */
  awaitingAnswer?: boolean;
  /**
   * The last check, left unanswered, counts as an UNKNOWN answer rather than a timeout: it went
   * to the only live producer, or to one that answers checks (the official clients send nothing
   * back for UNKNOWN, so a producer that answers and stays silent on one transaction says UNKNOWN).
   */
  silenceIsUnknown?: boolean;
  /** Next time the transaction is due for a check (meaningless when ABANDONED). */
  nextCheckAtMs: number;
  lastCheckAtMs?: number;
  /** When the transaction had come due for that last check (how late it went out: metrics). */
  lastCheckDueAtMs?: number;
  lastCheckClientId?: string;
  /** Why it was abandoned, when ABANDONED. */
  abandonReason?: string;
  /** The checks delivered, oldest first (the audit trail; the latest MAX_CHECK_HISTORY). */
  checks?: CheckRecord[];
}

/** What a producer hands the store with a half message; the store sets times and counters. */
export type NewHalf = Pick<HalfMessage, 'transactionId' | 'message' | 'producerGroup' | 'senderClientId' | 'budget'>;

/**
 * A transaction as backends keep it apart from its body: everything but the message, plus what
 * identifies and finds the message (topic, id, keys).
 */
export type HalfRecord = Omit<HalfMessage, 'message'> & { topic: string; messageId: string; keys?: string[] };

/** The record of a half message received at `nowMs`: PENDING, no check yet, first due `firstCheckInMs` later. */
export function newHalfRecord(half: NewHalf, nowMs: number, firstCheckInMs: number): HalfRecord {
  const record: HalfRecord = {
    transactionId: half.transactionId,
    producerGroup: half.producerGroup,
    senderClientId: half.senderClientId,
    receivedAtMs: nowMs,
    nextCheckAtMs: nowMs + firstCheckInMs,
    state: 'PENDING',
    budget: half.budget,
    checkCount: 0,
    topic: half.message.topic,
    messageId: half.message.messageId,
  };
  if (half.message.keys.length > 0) record.keys = half.message.keys;
  return record;
}

/**
 * The transaction of a record with its message: every HalfMessage field of the record (not the
 * topic, id and keys, which the message carries). Built field by field: rest destructuring and
 * a spread literal adding `message` cost a claim sweep several times the rest of this.
 */
export function halfMessageOf(r: HalfRecord, message: MessageInput): HalfMessage {
  const h: HalfMessage = {
    transactionId: r.transactionId,
    message,
    producerGroup: r.producerGroup,
    senderClientId: r.senderClientId,
    receivedAtMs: r.receivedAtMs,
    state: r.state,
    budget: r.budget,
    checkCount: r.checkCount,
    nextCheckAtMs: r.nextCheckAtMs,
  };
  if (r.timeouts !== undefined) h.timeouts = r.timeouts;
  if (r.awaitingAnswer !== undefined) h.awaitingAnswer = r.awaitingAnswer;
  if (r.silenceIsUnknown !== undefined) h.silenceIsUnknown = r.silenceIsUnknown;
  if (r.lastCheckAtMs !== undefined) h.lastCheckAtMs = r.lastCheckAtMs;
  if (r.lastCheckDueAtMs !== undefined) h.lastCheckDueAtMs = r.lastCheckDueAtMs;
  if (r.lastCheckClientId !== undefined) h.lastCheckClientId = r.lastCheckClientId;
  if (r.abandonReason !== undefined) h.abandonReason = r.abandonReason;
  if (r.checks !== undefined) h.checks = r.checks;
  return h;
}

/** One check pushed to a producer: when, and to which client. */
export interface CheckRecord {
  atMs: number;
  clientId: string;
}

/** Checks kept per transaction in its audit trail. */
export const MAX_CHECK_HISTORY = 32;

/** The durable outcome of a decided transaction (kept for idempotence and audit). */
export interface TransactionDecision {
  transactionId: string;
  topic: string;
  messageId: string;
  state: 'COMMITTED' | 'ROLLED_BACK';
  source: DecisionSource;
  reason?: string;
  receivedAtMs: number;
  decidedAtMs: number;
  checkCount: number;
  /** The message's keys, to find the transaction by key after it was decided. */
  keys?: string[];
  /** The checks delivered before the decision (see HalfMessage.checks). */
  checks?: CheckRecord[];
  /** Offset of the committed message in the topic's log. */
  offset?: number;
  /** Who decided (the audit trail): the authenticated user (auth on), the client id and its address. */
  decidedBy?: DecisionActor;
}

/** Who made a decision: user (when authenticated), client id (or operator tool) and network address. */
export interface DecisionActor {
  user?: string;
  clientId?: string;
  address?: string;
}

export type EndTransactionResult =
  | { kind: 'applied'; decision: TransactionDecision }
  | { kind: 'duplicate'; decision: TransactionDecision }
  | { kind: 'conflict'; decision: TransactionDecision }
  | { kind: 'unknown' }
  | { kind: 'mismatch'; expected: { topic: string; messageId: string } };

export interface TransactionCounters {
  pending: number;
  abandoned: number;
  committed: number;
  rolledBack: number;
  checksSent: number;
  checksAnswered: number;
}

/**
 * The limits of the two budgets (see CheckBudget). With `timeoutMax`, a `checks` budget counts
 * answered checks (UNKNOWN) against `checkMax` and unanswered ones against `timeoutMax` apart, so
 * producers that stay silent cannot run a transaction into its policy while one that answers is
 * online; without it every delivered check counts against `checkMax`.
 */
export interface BudgetLimits {
  checkMax: number;
  maxAgeMs: number;
  timeoutMax?: number;
}

type TallyFields = Pick<HalfMessage, 'checkCount' | 'timeouts' | 'awaitingAnswer' | 'silenceIsUnknown'>;
type BudgetFields = Pick<HalfMessage, 'budget' | 'receivedAtMs'> & TallyFields;

/**
 * Checks answered (UNKNOWN, said or silent — see silenceIsUnknown) and checks that timed out, the
 * last one counted as it will count while it awaits an answer (asked when it is due again).
 */
export function checkTally(half: TallyFields): { answered: number; timedOut: number } {
  const timedOut = (half.timeouts ?? 0) + (half.awaitingAnswer && !half.silenceIsUnknown ? 1 : 0);
  return { answered: Math.max(0, half.checkCount - timedOut), timedOut };
}

/** Why the transaction must get the policy now instead of another check (it is due); undefined while budget is left. */
export function budgetExhausted(half: BudgetFields, nowMs: number, limits: BudgetLimits): string | undefined {
  if (half.budget === 'age') {
    const age = nowMs - half.receivedAtMs;
    return age >= limits.maxAgeMs ? `undecided ${Math.round(age / 1000)} s after publish over HTTP (httpTransactionMaxAgeMs ${limits.maxAgeMs})` : undefined;
  }
  if (limits.timeoutMax === undefined) {
    return half.checkCount >= limits.checkMax ? `no decision after ${half.checkCount} checks (transactionCheckMax ${limits.checkMax})` : undefined;
  }
  const { answered, timedOut } = checkTally(half);
  if (answered >= limits.checkMax) return `no decision after ${answered} checks answered UNKNOWN (transactionCheckMax ${limits.checkMax})`;
  if (timedOut >= limits.timeoutMax) return `no answer to ${timedOut} checks (transactionCheckTimeoutMax ${limits.timeoutMax})`;
  return undefined;
}

/** A small stable hash of a transaction id, to spread checks of different transactions over producers. */
function spread(id: string): number {
  let h = 0;
  for (let i = 0; i < id.length; i++) h = (h * 31 + id.charCodeAt(i)) >>> 0;
  return h;
}

/**
 * How reliable a producer has been with checks, lower first (see CheckStats in the session
 * registry): RANK_ANSWERED answered its last check, RANK_UNTRIED has not been asked yet, and
 * RANK_UNTRIED + n let its last n checks time out (demoted).
 */
export type CheckRanks = Readonly<Record<string, number>>;
export const RANK_ANSWERED = 0;
export const RANK_UNTRIED = 1;

/**
 * Whom a check goes to among the live producers `candidates` (client ids), best `ranks` first
 * (absent: RANK_UNTRIED): the sender, unless it was asked last time and did not answer or a
 * better-ranked producer is online; otherwise one of the best-ranked others (not the one that did
 * not answer the last check), a different one on each further check; the avoided one only when it
 * is the only candidate. Undefined: nobody to ask.
 */
export function chooseCheckTarget(
  half: Pick<HalfMessage, 'transactionId' | 'senderClientId' | 'lastCheckClientId' | 'checkCount' | 'awaitingAnswer'>,
  candidates: readonly string[],
  ranks: CheckRanks = {},
): string | undefined {
  if (candidates.length === 0) return undefined;
  const rank = (c: string): number => ranks[c] ?? RANK_UNTRIED;
  // Only a producer that let its check go unanswered is avoided; one that answered UNKNOWN may be asked again.
  const avoid = half.awaitingAnswer ? half.lastCheckClientId : undefined;
  const others = candidates.filter((c) => c !== avoid);
  const usable = others.length > 0 ? others : candidates;
  const best = Math.min(...usable.map(rank));
  if (half.senderClientId !== avoid && candidates.includes(half.senderClientId) && rank(half.senderClientId) <= best) return half.senderClientId;
  const pool = usable.filter((c) => rank(c) === best);
  return pool[(spread(half.transactionId) + half.checkCount) % pool.length];
}

/**
 * The transaction after a check claimed for `clientId` at `nowMs`, due again `nextCheckInMs`
 * later unless answered: a previous check still unanswered counts as a timeout (unless its
 * silence was an UNKNOWN). `silenceIsUnknown`: how this check counts if it stays unanswered.
 */
export function claimCheck<H extends Omit<HalfMessage, 'message'>>(half: H, nowMs: number, clientId: string, nextCheckInMs: number, silenceIsUnknown = false): H {
  // A copy and assignments, no object literal: V8 (Node 20) builds a spread literal that adds
  // properties its source lacks (lastCheckAtMs, ... on a first check) on a slow path, ~4-9 µs
  // against ~0.2 µs; rest destructuring cost a tenth of a claim sweep before that.
  const claimed: H = Object.assign({}, half);
  claimed.checkCount = half.checkCount + 1;
  claimed.lastCheckAtMs = nowMs;
  claimed.lastCheckDueAtMs = half.nextCheckAtMs;
  claimed.lastCheckClientId = clientId;
  claimed.nextCheckAtMs = nowMs + nextCheckInMs;
  claimed.awaitingAnswer = true;
  const checks = half.checks ? half.checks.slice(half.checks.length >= MAX_CHECK_HISTORY ? half.checks.length - MAX_CHECK_HISTORY + 1 : 0) : [];
  checks.push({ atMs: nowMs, clientId });
  claimed.checks = checks;
  if (half.awaitingAnswer && !half.silenceIsUnknown) claimed.timeouts = (half.timeouts ?? 0) + 1;
  if (silenceIsUnknown) claimed.silenceIsUnknown = true;
  else if (claimed.silenceIsUnknown !== undefined) delete claimed.silenceIsUnknown;
  return claimed;
}

/**
 * The transaction after its last claimed check never reached anyone: count and trail restored,
 * due at `nowMs`; the check before it, if unanswered, stays counted as a timeout.
 */
export function releaseCheck<H extends Omit<HalfMessage, 'message'>>(half: H, nowMs: number): H {
  const { awaitingAnswer: _awaiting, silenceIsUnknown: _silence, ...rest } = half;
  return { ...rest, checkCount: Math.max(0, half.checkCount - 1), nextCheckAtMs: nowMs, checks: half.checks?.slice(0, -1) ?? [] } as H;
}

/**
 * The transaction after its last check was answered UNKNOWN at `nowMs`: no longer awaiting an
 * answer, due again one interval after that check (not before now). Undefined when no check is
 * awaiting an answer (a late or repeated answer changes nothing).
 */
export function answerCheck<H extends Omit<HalfMessage, 'message'>>(half: H, nowMs: number, intervalMs: number): H | undefined {
  if (half.state !== 'PENDING' || !half.awaitingAnswer) return undefined;
  const { awaitingAnswer: _awaiting, silenceIsUnknown: _silence, ...rest } = half;
  return { ...rest, nextCheckAtMs: Math.max(nowMs, (half.lastCheckAtMs ?? nowMs) + intervalMs) } as H;
}

/** The transaction checked again from scratch (REARM): PENDING, fresh budget, due at `dueAtMs`. */
export function rearm<H extends Omit<HalfMessage, 'message'>>(half: H, dueAtMs: number): H {
  const { abandonReason: _reason, timeouts: _timeouts, awaitingAnswer: _awaiting, silenceIsUnknown: _silence, ...rest } = half;
  return { ...rest, state: 'PENDING', checkCount: 0, nextCheckAtMs: dueAtMs } as H;
}

/** The transaction ABANDONED by the KEEP policy: no more checks, kept for manual resolution. */
export function abandon<H extends Omit<HalfMessage, 'message'>>(half: H, reason: string): H {
  // Assigned to a copy (see claimCheck: a spread literal adding abandonReason is slow).
  const abandoned: H = Object.assign({}, half);
  abandoned.state = 'ABANDONED';
  abandoned.abandonReason = reason;
  return abandoned;
}

/**
 * The transaction taken out of the checks because its record cannot be used (QUARANTINE):
 * ABANDONED with the reason, so that an operator sees it and can roll it back.
 */
export function quarantine<H extends Omit<HalfMessage, 'message'>>(half: H, reason: string): H {
  return abandon(half, `quarantined: ${reason}`);
}

/** What a claim sweep does with one transaction it found in the due index (its record read). */
export type ClaimStep<H> =
  /** Not PENDING (or gone): the index entry dangles and is dropped. */
  | { kind: 'dangling' }
  /** Not due (any more): left alone. */
  | { kind: 'notDue' }
  /** Its budget is used up: the caller applies the policy. */
  | { kind: 'exhausted'; reason: string }
  /** Nobody to ask now: left alone, still due. */
  | { kind: 'noTarget' }
  /** Claimed for `clientId`: the record to write. */
  | { kind: 'claim'; clientId: string; updated: H };

/** What a claim sweep is asked to do (the domain part of ClaimChecksRequest). */
export interface ClaimRule {
  budget: BudgetLimits;
  targets: readonly string[];
  /** Producer ranks for chooseCheckTarget (absent: all untried). */
  ranks?: CheckRanks;
  /** The check interval: when the next check is due after an answer (or with nobody else to ask). */
  nextCheckInMs: number;
  /**
   * How long a check may go unanswered before it is sent again to another live producer
   * (before the interval); only applies while there is another candidate to ask.
   */
  answerTimeoutMs?: number;
  /** Targets that answer checks: their silence on a check is an UNKNOWN (see silenceIsUnknown). */
  answering?: readonly string[];
}

/**
 * The claim rule of a due transaction (the body was readable): PENDING and due, budget left and
 * someone to ask, in that order of precedence.
 */
export function planClaim<H extends Omit<HalfMessage, 'message'>>(half: H | undefined, nowMs: number, req: ClaimRule): ClaimStep<H> {
  if (!half || half.state !== 'PENDING') return { kind: 'dangling' };
  if (half.nextCheckAtMs > nowMs) return { kind: 'notDue' };
  const reason = budgetExhausted(half, nowMs, req.budget);
  if (reason !== undefined) return { kind: 'exhausted', reason };
  const clientId = chooseCheckTarget(half, req.targets, req.ranks);
  if (clientId === undefined) return { kind: 'noTarget' };
  // Silence is a timeout, re-sent to another producer after the answer timeout, only where there
  // is another one to ask and the chosen one does not answer checks; otherwise an UNKNOWN.
  const silenceIsUnknown = req.answerTimeoutMs === undefined || req.targets.length <= 1 || (req.answering?.includes(clientId) ?? false);
  const dueInMs = silenceIsUnknown ? req.nextCheckInMs : Math.min(req.answerTimeoutMs!, req.nextCheckInMs);
  return { kind: 'claim', clientId, updated: claimCheck(half, nowMs, clientId, dueInMs, silenceIsUnknown) };
}

/** The state a resolution leads to. */
export function decidedState(resolution: Resolution): TransactionDecision['state'] {
  return resolution === 'COMMIT' ? 'COMMITTED' : 'ROLLED_BACK';
}

/** How a decision request meets an existing decision: the same again (idempotent) or another one (refused). */
export function repeatOf(decision: TransactionDecision, resolution: Resolution): 'duplicate' | 'conflict' {
  return decision.state === decidedState(resolution) ? 'duplicate' : 'conflict';
}

/** The decision record of a transaction decided now. */
export function decide(half: HalfRecord, resolution: Resolution, source: DecisionSource, nowMs: number, reason?: string, actor?: DecisionActor): TransactionDecision {
  const decision: TransactionDecision = {
    transactionId: half.transactionId,
    topic: half.topic,
    messageId: half.messageId,
    state: decidedState(resolution),
    source,
    receivedAtMs: half.receivedAtMs,
    decidedAtMs: nowMs,
    checkCount: half.checkCount,
  };
  if (reason) decision.reason = reason;
  if (actor && (actor.user || actor.clientId || actor.address)) decision.decidedBy = { ...actor };
  if (half.keys?.length) decision.keys = half.keys;
  if (half.checks?.length) decision.checks = half.checks;
  return decision;
}
