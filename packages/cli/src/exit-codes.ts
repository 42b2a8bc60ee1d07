/**
 * Exit statuses. Every command exits 0 on success and 2 on a usage error.
 * `seal`, `open` and `directory get` give each class of failure its own
 * status, so a script can tell a tampered message from an untrusted sender
 * or a store that is down; the other commands exit 1 for every failed
 * operation. The class follows the error code (SPEC.md §9).
 */
import { ErrorCode, type BlindwireError } from '@blindwire/core';

/** The exit statuses of `blindwire`, by meaning (the CLI README's exit codes). */
export const ExitCode = {
  Ok: 0,
  /** The operation failed: a BlindwireError (or an unexpected error). */
  Failed: 1,
  /** The command line does not follow the usage. */
  Usage: 2,
  /** seal/open/get: the input is not a message these keys can verify and decrypt. */
  Unreadable: 3,
  /** seal/open/get: no usable key: not addressed to the keys given, or none published. */
  NoKey: 4,
  /** seal/open/get: the sender, key or context is not trusted or not allowed. */
  Untrusted: 5,
  /** seal/open/get: outside its validity window (expired or not yet valid). */
  Expired: 6,
  /** seal/open/get: a file, store or argument value that cannot be used. */
  Io: 7,
} as const;

const BY_CODE: Partial<Record<ErrorCode, number>> = {
  [ErrorCode.EnvelopeMalformed]: ExitCode.Unreadable,
  [ErrorCode.UnsupportedVersion]: ExitCode.Unreadable,
  [ErrorCode.UnsupportedSuite]: ExitCode.Unreadable,
  [ErrorCode.LimitExceeded]: ExitCode.Unreadable,
  [ErrorCode.OpenFailed]: ExitCode.Unreadable,
  [ErrorCode.Hpke]: ExitCode.Unreadable,
  [ErrorCode.SequenceOverflow]: ExitCode.Unreadable,
  [ErrorCode.KeyNotFound]: ExitCode.NoKey,
  [ErrorCode.KeyRevoked]: ExitCode.NoKey,
  [ErrorCode.KeyUntrusted]: ExitCode.Untrusted,
  [ErrorCode.SenderNotAllowed]: ExitCode.Untrusted,
  [ErrorCode.ContextMismatch]: ExitCode.Untrusted,
  [ErrorCode.KeyRollback]: ExitCode.Untrusted,
  [ErrorCode.Replay]: ExitCode.Untrusted,
  [ErrorCode.ReplayInFlight]: ExitCode.Untrusted,
  [ErrorCode.Expired]: ExitCode.Expired,
  [ErrorCode.NotYetValid]: ExitCode.Expired,
  [ErrorCode.Transport]: ExitCode.Io,
  [ErrorCode.InvalidArgument]: ExitCode.Io,
  [ErrorCode.Unsupported]: ExitCode.Io,
  [ErrorCode.RecordMalformed]: ExitCode.Io,
};

/** The status of a failed `seal`, `open` or `directory get`. */
export function classifiedExit(e: BlindwireError): number {
  return BY_CODE[e.code] ?? ExitCode.Failed;
}

/** Every code with its status, for the README table's test. */
export const EXIT_BY_CODE: Readonly<Partial<Record<ErrorCode, number>>> = BY_CODE;
