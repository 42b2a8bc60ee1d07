/**
 * Validity windows (SPEC.md §11.2 steps 4 and 8): whether a time, with the
 * clock skew, lies inside a record's not-before..not-after, and when a
 * signing key with several certificates is inside its validity.
 */
import { BlindwireError, ErrorCode, type ErrorCode as Code } from '@blindwire/core';
import { show } from '../checks.js';
import type { SigningKeyInfo } from './types.js';

/** A time in Unix seconds: a NaN clock would pass every window. */
export function checkNow(now: unknown): number {
  if (typeof now !== 'number' || !Number.isFinite(now) || now < 0) {
    throw new BlindwireError(
      ErrorCode.InvalidArgument,
      `"now" expected Unix seconds ≥ 0, got ${show(now)}`,
    );
  }
  return now;
}

export function windowCode(nbf: number, naf: number, now: number, skew: number): Code | undefined {
  if (now > naf + skew) return ErrorCode.Expired;
  if (nbf > now + skew) return ErrorCode.NotYetValid;
  return undefined;
}

/**
 * SPEC.md §11.2: a signing key is inside its validity when one of its
 * certificates' windows covers `now` (with skew). Otherwise the code is that
 * of the certificate with the highest serial.
 */
export function signingWindowCode(k: SigningKeyInfo, now: number, skew: number): Code | undefined {
  let first: Code | undefined;
  for (const w of k.windows) {
    const code = windowCode(w.notBefore, w.notAfter, now, skew);
    if (!code) return undefined;
    first ??= code;
  }
  return first ?? ErrorCode.KeyUntrusted;
}
