/**
 * The options every verb takes (`seal`, `open`, `inspect`, responses,
 * streams): a per-call crypto backend and the SPEC.md §8 limits.
 */
import { getDefaultBackend } from '../backend/index.js';
import type { CryptoBackend } from '../backend/types.js';
import { invalidArgument } from '../errors.js';
import { DEFAULT_LIMITS, MAX_LIMITS, type Limits } from '../limits.js';

export interface CommonOptions {
  /** Use this crypto backend for this call (default: the process-wide one, `getDefaultBackend()`). */
  backend?: CryptoBackend;
  /** Lower (or raise up to the ceilings) the hard limits. */
  limits?: Partial<Limits>;
}

export function backendOf(o: CommonOptions | undefined): CryptoBackend {
  return o?.backend ?? getDefaultBackend();
}

/** SPEC.md §8: the caller's limits over the defaults, each within its ceiling. */
export function limitsOf(o: CommonOptions | undefined): Limits {
  if (!o?.limits) return DEFAULT_LIMITS;
  const out = { ...DEFAULT_LIMITS };
  for (const [k, v] of Object.entries(o.limits) as [keyof Limits, number | undefined][]) {
    if (v === undefined) continue;
    if (!(k in MAX_LIMITS)) throw invalidArgument(`limits.${k}`, 'a known limit');
    if (!Number.isInteger(v) || v < 1 || v > MAX_LIMITS[k]) {
      throw invalidArgument(`limits.${k}`, `an integer from 1 to ${MAX_LIMITS[k]}`, String(v));
    }
    out[k] = v;
  }
  return out;
}
