/**
 * The one error hierarchy of Blindwire. Every rejection is a `BlindwireError`
 * with a stable string `code`; codes are API and are listed in SPEC.md §9.
 */
import { INVISIBLE_CHARACTERS } from './identity/invisible.js';

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

/** Longest piece of a caller's string that an argument error quotes. */
const SHOWN_STRING_CHARS = 64;

/**
 * What JSON leaves as is but a log line must not carry raw: the characters
 * SPEC.md §10 keeps out of names (identity/invisible.ts), the space aside.
 */
const UNSAFE_IN_LOGS = new RegExp(`[${INVISIBLE_CHARACTERS}]`, 'gu');

/** `ch` as JSON escapes, one `\uXXXX` per UTF-16 code unit. */
function escaped(ch: string): string {
  let out = '';
  for (let i = 0; i < ch.length; i++) out += `\\u${ch.charCodeAt(i).toString(16).padStart(4, '0')}`;
  return out;
}

/** A string as JSON, with every character of UNSAFE_IN_LOGS but the space escaped too. */
function quoted(s: string): string {
  return JSON.stringify(s).replace(UNSAFE_IN_LOGS, (ch) => (ch === ' ' ? ch : escaped(ch)));
}

/**
 * A caller's value as an argument error shows it: the value with its type,
 * so that `"60" (string)` and `60 (number)` differ. Bytes, arrays and objects
 * are shown by their type and size, never their contents (a key's bytes, a
 * payload); with `secret`, a string is shown by its length alone. Reading the
 * value never throws (a Proxy's traps, a throwing getter).
 */
export function shown(v: unknown, secret = false): string {
  try {
    switch (typeof v) {
      case 'string':
        if (secret) return `a string of ${v.length} characters`;
        return v.length > SHOWN_STRING_CHARS
          ? `${quoted(v.slice(0, SHOWN_STRING_CHARS))}... (string of ${v.length} characters)`
          : `${quoted(v)} (string)`;
      case 'number':
        return `${Object.is(v, -0) ? '-0' : String(v)} (number)`;
      case 'bigint':
        return secret ? 'a bigint' : `${v}n (bigint)`;
      case 'boolean':
        return `${v} (boolean)`;
      case 'undefined':
        return 'undefined';
      case 'symbol':
        return 'a symbol';
      case 'function':
        return 'a function';
    }
    if (v === null) return 'null';
    if (ArrayBuffer.isView(v))
      return `a ${Object.prototype.toString.call(v).slice(8, -1)} of ${v.byteLength} bytes`;
    if (Array.isArray(v)) return `an array of ${v.length}`;
    if (v instanceof Date) return secret ? 'a Date' : `a Date of ${v.getTime()} ms`;
    return 'an object';
  } catch {
    return 'an unreadable value';
  }
}

/** Whether `e` is a BlindwireError, optionally with the given code. */
export function isBlindwireError(e: unknown, code?: ErrorCode): e is BlindwireError {
  return e instanceof BlindwireError && (code === undefined || e.code === code);
}

/** The type of a callback's answer, for an error's cause: never its value. */
function typeOfAnswer(v: unknown): string {
  if (v === null) return 'null';
  if (ArrayBuffer.isView(v)) return 'bytes of the wrong size';
  const t = typeof v;
  if (t !== 'object') return /^[aeiou]/.test(t) ? `an ${t}` : `a ${t}`;
  try {
    return Array.isArray(v) ? 'an array' : 'an object';
  } catch {
    return 'a revoked Proxy';
  }
}

/**
 * A caller's callback (a replay guard, a sender resolver) answered something
 * other than the documented type: ERR_TRANSPORT, never a pass. The cause
 * names the answer's type, never its value.
 */
export function wrongAnswer(who: string, answer: unknown, expected: string): BlindwireError {
  return new BlindwireError(ErrorCode.Transport, `${who} gave an answer of the wrong type`, {
    cause: new TypeError(`${who} answered ${typeOfAnswer(answer)}; expected ${expected}`),
  });
}
