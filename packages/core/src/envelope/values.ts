/**
 * Checks of single argument values that several verbs take (the context,
 * the payload, a clock, a key id, the clock skew, a content type): each
 * names the parameter and what was expected. The option objects are checked
 * in check-seal.ts and check-open.ts.
 */
import { fromBase64url, utf8 } from '../bytes.js';
import { BlindwireError, ErrorCode, invalidArgument } from '../errors.js';
import type { Limits } from '../limits.js';

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

/** A key id (SPEC.md §5.2) from its base64url text. */
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

/** Seconds tolerance for clocks; default 60 s (SPEC.md §7 step 7). */
export function skewOf(skew: number | undefined): number {
  if (skew === undefined) return 60;
  if (!Number.isInteger(skew) || skew < 0 || skew > 86_400) {
    throw invalidArgument('clockSkew', 'whole seconds from 0 to 86400', String(skew));
  }
  return skew;
}

/** The optional content type of a message or response header (SPEC.md §4.1, §6.2). */
export function checkContentType(contentType: string | undefined, limits: Limits): void {
  if (contentType === undefined) return;
  if (
    typeof contentType !== 'string' ||
    contentType.length === 0 ||
    utf8(contentType).length > limits.maxStringBytes
  ) {
    throw invalidArgument(
      'contentType',
      `a non-empty string of at most ${limits.maxStringBytes} bytes`,
    );
  }
}
