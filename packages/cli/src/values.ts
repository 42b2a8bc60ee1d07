/**
 * Option values shared by several commands: their specifications (so every
 * command spells `--store`, `--now`, `--json` the same way) and the parsers
 * of times, durations and ports.
 */
import { BlindwireError, ErrorCode } from '@blindwire/core';
import { UsageError, optString, type Context, type OptionSpec } from './args.js';

export const DEFAULT_STORE = 'file:./blindwire-directory.json';

export const STORE_OPTION: OptionSpec = {
  type: 'string',
  value: 'STORE',
  description:
    'Directory store: file:PATH, http(s)://URL (read-only), redis://HOST:PORT[/DB][?prefix=PREFIX], postgres://..., nats://HOST:PORT/BUCKET. ' +
    `Default $BLINDWIRE_STORE, else ${DEFAULT_STORE}.`,
};
export const JSON_OPTION: OptionSpec = {
  type: 'boolean',
  description: 'Print JSON instead of text.',
};
export const NOW_OPTION: OptionSpec = {
  type: 'string',
  value: 'TIME',
  description: 'The clock to use: Unix seconds or an ISO 8601 date-time (default: now).',
};
export const FORCE_OPTION: OptionSpec = {
  type: 'boolean',
  description: 'Replace output files that already exist.',
};
export const PASSPHRASE_ENV_OPTION: OptionSpec = {
  type: 'string',
  value: 'VAR',
  description:
    'Name of the environment variable holding the key store passphrase (never the passphrase itself).',
};

/** `--now`, in ms; `Date.now()` when absent. */
export function nowOption(ctx: Context): number {
  const s = optString(ctx, 'now');
  if (s === undefined) return Date.now();
  if (/^\d{1,12}$/.test(s)) return Number(s) * 1000;
  // An ISO 8601 date-time with a time zone, or a plain date (UTC).
  if (/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2}))?$/.test(s)) {
    const ms = Date.parse(s);
    if (Number.isFinite(ms) && ms >= 0) return ms;
  }
  throw new UsageError(
    `--now expected Unix seconds or an ISO 8601 date-time with a time zone, got ${JSON.stringify(s)}`,
    ctx.command,
  );
}

/** The clock skew when `--clock-skew` is not given, seconds (SPEC.md §11.2). */
export const DEFAULT_CLOCK_SKEW = 60;

/**
 * A destructive command's `--now` (Unix seconds) is no later than this
 * machine's clock plus the skew: planned for a later time, a prune (SPEC.md
 * §11.6) removes records clients still use, and a rotation step (§11.4)
 * erases private keys senders still seal to. ERR_INVALID_ARGUMENT, before
 * anything is opened; `consequence` says what the command would have done.
 */
export function assertNowNotAhead(now: number, skew: number, consequence: string): void {
  const limit = Math.floor(Date.now() / 1000) + skew;
  if (now <= limit) return;
  throw new BlindwireError(
    ErrorCode.InvalidArgument,
    `"--now" expected a time no later than this machine's clock plus the clock skew (${isoSeconds(limit)}), ` +
      `got ${isoSeconds(now)}: ${consequence}`,
  );
}

const UNITS: Record<string, number> = { '': 1, s: 1, m: 60, h: 3600, d: 86_400 };

/** A duration option in whole seconds: `3600`, `300s`, `15m`, `12h`, `7d`. */
export function durationOption(ctx: Context, name: string): number | undefined {
  const s = optString(ctx, name);
  if (s === undefined) return undefined;
  const m = /^(\d{1,10})([smhd]?)$/.exec(s);
  const v = m ? Number(m[1]) * UNITS[m[2]!]! : NaN;
  if (!Number.isSafeInteger(v)) {
    throw new UsageError(
      `--${name} expected whole seconds (or a number with s, m, h or d), got ${JSON.stringify(s)}`,
      ctx.command,
    );
  }
  return v;
}

/** A count option: a positive whole number. */
export function countOption(ctx: Context, name: string): number | undefined {
  const s = optString(ctx, name);
  if (s === undefined) return undefined;
  const v = /^\d{1,15}$/.test(s) ? Number(s) : NaN;
  if (!(v >= 1 && Number.isSafeInteger(v)))
    throw new UsageError(
      `--${name} expected a positive whole number, got ${JSON.stringify(s)}`,
      ctx.command,
    );
  return v;
}

export function portOption(ctx: Context, name: string, fallback: number): number {
  const s = optString(ctx, name);
  if (s === undefined) return fallback;
  const v = /^\d{1,5}$/.test(s) ? Number(s) : NaN;
  if (!(v >= 0 && v <= 65_535))
    throw new UsageError(
      `--${name} expected a port from 0 to 65535, got ${JSON.stringify(s)}`,
      ctx.command,
    );
  return v;
}

/** Unix seconds as `2026-11-23T17:38:18Z`. */
export function isoSeconds(s: number): string {
  return new Date(s * 1000).toISOString().replace('.000Z', 'Z');
}
