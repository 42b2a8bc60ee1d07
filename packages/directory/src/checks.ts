/**
 * Argument checks shared by the directory's modules (SPEC.md §9
 * ERR_INVALID_ARGUMENT): how a bad value is
 * shown in an error, the longest timer Node honours, and the checked clock.
 */
import { BlindwireError, ErrorCode } from '@blindwire/core';

/** A value as an error message shows it: strings quoted, so "60" and 60 differ. */
export const show = (v: unknown): string => (typeof v === 'string' ? JSON.stringify(v) : String(v));

/** Longest timer or interval Node runs as asked: longer ones fire after 1 ms. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Reads a caller's clock (ms since the epoch), checked on every read: a NaN
 * or string time would pass every validity window, or never rotate.
 */
export function readClock(clock: () => number): number {
  const t = clock();
  if (typeof t !== 'number' || !Number.isFinite(t) || t < 0) {
    throw new BlindwireError(
      ErrorCode.InvalidArgument,
      `"now" expected a clock returning ms ≥ 0, got ${show(t)}`,
    );
  }
  return t;
}

/** Whole seconds ≥ 0, `d` when absent (a string, NaN or 1e20 is refused, never defaulted). */
export function wholeSeconds(v: unknown, d: number | undefined, name: string): number {
  const x = v ?? d;
  if (!Number.isSafeInteger(x) || (x as number) < 0)
    throw new BlindwireError(
      ErrorCode.InvalidArgument,
      `"${name}" expected whole seconds ≥ 0, got ${show(x)}`,
    );
  return x as number;
}
