/**
 * The disposition table of a consumer (SPEC.md §7b), written once
 * as data: what an opening's outcome means for the message. Every code of
 * SPEC.md §9 has a row (the type requires it).
 *
 * - deliver: opened; the handler runs.
 * - duplicate: already processed; acknowledge, handler not called.
 * - in-flight: another consumer holds the reservation; do not acknowledge,
 *   redeliver later, never dead-letter.
 * - transient: not a verdict on the message (a store or directory down, a
 *   sender clock ahead, a handler that threw): retry, dead-letter after the
 *   last attempt.
 * - permanent: the message will never open here: dead-letter it unchanged.
 */
import { BlindwireError, type ErrorCode } from '../errors.js';

/**
 * What the consumer pipeline makes of a delivery (SPEC.md §7b): hand it over, drop a duplicate,
 * redeliver later, retry, or dead-letter.
 */
export type Outcome = 'deliver' | 'duplicate' | 'in-flight' | 'transient' | 'permanent';

/**
 * Why a message was not delivered: an error code of SPEC.md §9, or one of the
 * consumer's own reasons: `ERR_HANDLER` (the handler threw, or an error that
 * is no Blindwire error) and `ERR_NO_POLICY` (no policy entry matches the
 * destination).
 */
export type Reason = ErrorCode | 'ERR_HANDLER' | 'ERR_NO_POLICY';

/** The consumer's own reasons, besides the error codes. */
export const Reason = {
  Handler: 'ERR_HANDLER',
  NoPolicy: 'ERR_NO_POLICY',
} as const;

/** SPEC.md §7b: each error code of §9 and its outcome. */
export const DISPOSITION_TABLE: Readonly<Record<ErrorCode, Exclude<Outcome, 'deliver'>>> = {
  // The message itself.
  ERR_ENVELOPE_MALFORMED: 'permanent',
  ERR_UNSUPPORTED_VERSION: 'permanent',
  ERR_UNSUPPORTED_SUITE: 'permanent',
  ERR_LIMIT_EXCEEDED: 'permanent',
  ERR_EXPIRED: 'permanent',
  ERR_OPEN_FAILED: 'permanent',
  ERR_HPKE: 'permanent',
  ERR_SEQUENCE_OVERFLOW: 'permanent',
  ERR_UNSUPPORTED: 'permanent',
  // Keys and policy: this consumer will not accept it.
  ERR_KEY_NOT_FOUND: 'permanent',
  ERR_KEY_UNTRUSTED: 'permanent',
  ERR_KEY_REVOKED: 'permanent',
  ERR_CONTEXT_MISMATCH: 'permanent',
  ERR_SENDER_NOT_ALLOWED: 'permanent',
  // A consumer's argument (its own configuration, or bytes that are not bytes).
  ERR_INVALID_ARGUMENT: 'permanent',
  // Replay.
  ERR_REPLAY: 'duplicate',
  ERR_REPLAY_IN_FLIGHT: 'in-flight',
  // Not a verdict on the message: the sender's clock runs ahead, a store or
  // directory is down, the directory served a bad or rolled-back record.
  ERR_NOT_YET_VALID: 'transient',
  ERR_TRANSPORT: 'transient',
  ERR_RECORD_MALFORMED: 'transient',
  ERR_KEY_ROLLBACK: 'transient',
};

export interface Classification {
  outcome: Outcome;
  /** The error code, `ERR_HANDLER` for anything else; none on deliver. */
  reason?: Reason;
}

/**
 * The outcome of an opening (`undefined`: it opened) by the table; an error
 * that is no BlindwireError, or has a code the table does not know, is
 * transient with reason `ERR_HANDLER`.
 */
export function classify(error: unknown): Classification {
  if (error === undefined) return { outcome: 'deliver' };
  if (error instanceof BlindwireError && Object.hasOwn(DISPOSITION_TABLE, error.code)) {
    return { outcome: DISPOSITION_TABLE[error.code], reason: error.code };
  }
  return { outcome: 'transient', reason: Reason.Handler };
}
