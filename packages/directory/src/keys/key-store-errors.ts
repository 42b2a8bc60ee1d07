/**
 * The errors of the file-backed private key store (SPEC.md §9 codes):
 * argument errors, and ERR_TRANSPORT for the file.
 */
import { BlindwireError, ErrorCode } from '@blindwire/core';

export function invalid(message: string): BlindwireError {
  return new BlindwireError(ErrorCode.InvalidArgument, message);
}

export function transport(message: string, cause?: unknown): BlindwireError {
  return new BlindwireError(
    ErrorCode.Transport,
    `key store: ${message}`,
    cause === undefined ? undefined : { cause },
  );
}
