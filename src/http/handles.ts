// Owns the receipt handles of half messages: the one a transactional publish returns and the one
// each trans=pop delivery issues. A handle names (transaction id, check number): 0 for the publish
// handle, n for the n-th offer. It is valid while the transaction is pending, still at that check
// number, and before its next check time — i.e. until the immunity time (publish handle) or the
// NextConsumeTime of that offer. Consumer handles are the store's own (ConsumerService).
import type { HalfMessage } from '../domain/transactions.js';
import { MqHttpError } from './errors.js';

const PREFIX = 't1';

export interface HalfHandle {
  transactionId: string;
  checkNumber: number;
}

export function encodeHalfHandle(h: HalfHandle): string {
  return `${PREFIX}.${Buffer.from(h.transactionId, 'utf8').toString('base64url')}.${h.checkNumber}`;
}

export function isHalfHandle(handle: string): boolean {
  return handle.startsWith(`${PREFIX}.`);
}

export function decodeHalfHandle(handle: string): HalfHandle {
  const parts = handle.split('.');
  const [prefix, id64, check] = parts;
  if (parts.length !== 3 || prefix !== PREFIX || !id64 || !/^[A-Za-z0-9_-]+$/.test(id64) || !/^\d{1,9}$/.test(check ?? '')) {
    throw new MqHttpError(
      'ReceiptHandleError',
      'the receipt handle is not valid for commit/rollback: pass the handle of publishMessage or consumeHalfMessage exactly as returned',
    );
  }
  return { transactionId: Buffer.from(id64, 'base64url').toString('utf8'), checkNumber: Number(check) };
}

/** Why a well-formed handle of a pending transaction cannot be used now, or undefined if it can. */
export function halfHandleProblem(h: HalfHandle, half: HalfMessage, nowMs: number): string | undefined {
  if (half.state !== 'PENDING') return 'the transaction is no longer checked (abandoned for manual resolution): resolve it with "halfmoon tx"';
  if (h.checkNumber !== half.checkCount || nowMs >= half.nextCheckAtMs) {
    return h.checkNumber === 0
      ? 'the publish handle expired with the TransCheckImmunityTime: commit or roll back the handle consumeHalfMessage returns'
      : 'the handle expired at its NextConsumeTime: use the handle of the latest consumeHalfMessage';
  }
  return undefined;
}
