/** Option handling shared by seal, open, inspect and responses. */
import { getDefaultBackend } from '../backend/index.js';
import type { CryptoBackend } from '../backend/types.js';
import { fromBase64url, utf8 } from '../bytes.js';
import { BlindwireError, ErrorCode, invalidArgument } from '../errors.js';
import { DEFAULT_LIMITS, MAX_LIMITS, type Limits } from '../limits.js';

export interface CommonOptions {
  /** Force a crypto backend for this call (default: the process-wide one). */
  backend?: CryptoBackend;
  /** Lower (or raise up to the ceilings) the hard limits. */
  limits?: Partial<Limits>;
}

export function backendOf(o: CommonOptions | undefined): CryptoBackend {
  return o?.backend ?? getDefaultBackend();
}

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

/** The bound context as bytes (SPEC.md §4.3); strings are UTF-8. */
export function contextBytes(context: string | Uint8Array | undefined, limits: Limits): Uint8Array {
  const b =
    context === undefined
      ? new Uint8Array(0)
      : typeof context === 'string'
        ? utf8(context)
        : context;
  if (!(b instanceof Uint8Array)) throw invalidArgument('context', 'a string or Uint8Array');
  if (b.length > limits.maxContextBytes) {
    throw new BlindwireError(
      ErrorCode.LimitExceeded,
      `context of ${b.length} bytes exceeds maxContextBytes ${limits.maxContextBytes}`,
    );
  }
  return b;
}

export function payloadBytes(payload: string | Uint8Array): Uint8Array {
  if (typeof payload === 'string') return utf8(payload);
  if (!(payload instanceof Uint8Array)) throw invalidArgument('payload', 'a string or Uint8Array');
  return payload;
}

/** Current time in milliseconds from `now` (a number of ms or a Date). */
export function nowMs(now: number | Date | undefined): number {
  if (now === undefined) return Date.now();
  const t = now instanceof Date ? now.getTime() : now;
  if (!Number.isFinite(t) || t < 0)
    throw invalidArgument('now', 'a non-negative time in milliseconds');
  return t;
}

/** Decoded kids, keyed by their text: the same few kids recur on every call. Never mutated. */
const kidCache = new Map<string, Uint8Array>();
const KID_CACHE_ENTRIES = 1024;

export function kidBytes(kid: unknown, name: string): Uint8Array {
  if (typeof kid !== 'string' || kid.length === 0)
    throw invalidArgument(name, 'a base64url key id');
  const hit = kidCache.get(kid);
  if (hit) return hit;
  const b = fromBase64url(kid, name);
  if (b.length < 1 || b.length > 64) throw invalidArgument(name, 'a key id of 1 to 64 bytes');
  if (kidCache.size >= KID_CACHE_ENTRIES) kidCache.delete(kidCache.keys().next().value!);
  kidCache.set(kid, b);
  return b;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export function hexId(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += HEX[b[i]!];
  return s;
}

/** Seconds tolerance for clocks; default 60 s. */
export function skewOf(skew: number | undefined): number {
  if (skew === undefined) return 60;
  if (!Number.isInteger(skew) || skew < 0 || skew > 86_400) {
    throw invalidArgument('clockSkew', 'whole seconds from 0 to 86400', String(skew));
  }
  return skew;
}

/** SPEC.md §7 step 7: expiry and not-before checks against the caller's clock. */
export function checkTimes(
  issuedAt: number,
  expiresAt: number,
  nowSeconds: number,
  skew: number,
  maxAge: number | undefined,
): void {
  if (nowSeconds > expiresAt + skew) {
    throw new BlindwireError(ErrorCode.Expired, 'envelope has expired');
  }
  if (maxAge !== undefined && nowSeconds > issuedAt + maxAge + skew) {
    throw new BlindwireError(ErrorCode.Expired, 'envelope is older than maxAge');
  }
  if (issuedAt > nowSeconds + skew) {
    throw new BlindwireError(ErrorCode.NotYetValid, 'envelope was issued in the future');
  }
}
