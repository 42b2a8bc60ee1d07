/**
 * The one error hierarchy of Blindwire. Every rejection is a `BlindwireError`
 * with a stable string `code`; codes are API and are listed in SPEC.md §9.
 */

/** Stable error codes. Adding a code is a minor change; renaming one is breaking. */
export const ErrorCode = {
  /** An argument is missing, of the wrong type or the wrong size. */
  InvalidArgument: 'ERR_INVALID_ARGUMENT',
  /** The envelope bytes do not follow SPEC.md (framing, CBOR, header fields). */
  EnvelopeMalformed: 'ERR_ENVELOPE_MALFORMED',
  /** The envelope names a version this library does not implement. */
  UnsupportedVersion: 'ERR_UNSUPPORTED_VERSION',
  /** The suite is unknown, or not in the caller's allow-list. */
  UnsupportedSuite: 'ERR_UNSUPPORTED_SUITE',
  /** A hard size or structure limit was exceeded (checked before any crypto). */
  LimitExceeded: 'ERR_LIMIT_EXCEEDED',
  /** The envelope's expiry (plus allowed skew) is in the past. */
  Expired: 'ERR_EXPIRED',
  /** The envelope's issued-at is further in the future than the allowed skew. */
  NotYetValid: 'ERR_NOT_YET_VALID',
  /** None of the caller's keys is a recipient of this envelope. */
  KeyNotFound: 'ERR_KEY_NOT_FOUND',
  /** A key could not be verified as belonging to the named identity. */
  KeyUntrusted: 'ERR_KEY_UNTRUSTED',
  /** Any cryptographic failure after parsing: decapsulation, tag, commitment, signature. */
  OpenFailed: 'ERR_OPEN_FAILED',
  /** The bound context given to `open` differs from the one the sender bound. */
  ContextMismatch: 'ERR_CONTEXT_MISMATCH',
  /** The verified sender is not allowed by the caller's policy. */
  SenderNotAllowed: 'ERR_SENDER_NOT_ALLOWED',
  /** The message id was already processed. */
  Replay: 'ERR_REPLAY',
  /** The message id is reserved by another consumer that is still processing it: redeliver later. */
  ReplayInFlight: 'ERR_REPLAY_IN_FLIGHT',
  /** An HPKE operation failed (invalid key, zero shared secret, DeriveKeyPair failure). */
  Hpke: 'ERR_HPKE',
  /** The HPKE context's sequence number would overflow (RFC 9180 §5.2). */
  SequenceOverflow: 'ERR_SEQUENCE_OVERFLOW',
  /** The operation is not available (for example seal with the export-only AEAD). */
  Unsupported: 'ERR_UNSUPPORTED',
  /** A signed directory record does not follow SPEC.md §11. */
  RecordMalformed: 'ERR_RECORD_MALFORMED',
  /** The key was revoked by its identity or a trust anchor. */
  KeyRevoked: 'ERR_KEY_REVOKED',
  /** The directory served an older key record than one already seen (rollback). */
  KeyRollback: 'ERR_KEY_ROLLBACK',
  /** A transport (broker, HTTP, storage) failed; see `cause`. */
  Transport: 'ERR_TRANSPORT',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export interface BlindwireErrorOptions {
  cause?: unknown;
}

/** Base class of every error Blindwire throws on purpose. */
export class BlindwireError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: BlindwireErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'BlindwireError';
    this.code = code;
  }
}

/** The fixed message of `ERR_OPEN_FAILED`: it never says which check failed (oracle rule). */
export const OPEN_FAILED_MESSAGE = 'envelope could not be opened';

/** The single error for every cryptographic failure after parsing. No cause is attached. */
export function openFailed(): BlindwireError {
  return new BlindwireError(ErrorCode.OpenFailed, OPEN_FAILED_MESSAGE);
}

export function invalidArgument(name: string, expected: string, got?: string): BlindwireError {
  const suffix = got === undefined ? '' : `, got ${got}`;
  return new BlindwireError(ErrorCode.InvalidArgument, `"${name}" expected ${expected}${suffix}`);
}

/** Whether `e` is a BlindwireError, optionally with the given code. */
export function isBlindwireError(e: unknown, code?: ErrorCode): e is BlindwireError {
  return e instanceof BlindwireError && (code === undefined || e.code === code);
}
