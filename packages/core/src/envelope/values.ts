/**
 * Checks of single argument values that several verbs take (the context,
 * the payload, a clock, a lifetime, a key id, the clock skew, a content
 * type): each names the parameter, what was expected and what it got, with
 * its type (never a secret's or a payload's contents). The option objects are checked
 * in check-seal.ts and check-open.ts.
 */
import { fromBase64url, utf8 } from '../bytes.js';
import { BlindwireError, ErrorCode, invalidArgument, shown } from '../errors.js';
import type { Limits } from '../limits.js';

/**
 * Whether `b` is a real Uint8Array (or Buffer): a Proxy around one passes
 * `instanceof` but has no bytes, and would fail deep inside the crypto.
 */
export function isBytes(b: unknown): b is Uint8Array {
  // isView first: it reads no trap, so a revoked Proxy is just "not bytes".
  return ArrayBuffer.isView(b) && b instanceof Uint8Array;
}

/** SPEC.md §7 step 2 for input that is not bytes at all (a Proxy of a Uint8Array included). */
export function notBytes(): never {
  throw new BlindwireError(
    ErrorCode.EnvelopeMalformed,
    'malformed envelope: expected a Uint8Array',
  );
}

/** The absent context: no bytes, so one shared array is as good as a fresh one. */
const NO_CONTEXT = new Uint8Array(0);

/** The bound context as bytes (SPEC.md §4.3); strings are UTF-8. */
export function contextBytes(context: unknown, limits: Limits): Uint8Array {
  const b =
    context === undefined ? NO_CONTEXT : typeof context === 'string' ? utf8(context) : context;
  if (!isBytes(b)) throw invalidArgument('context', 'a string or Uint8Array', shown(context));
  if (b.length > limits.maxContextBytes) {
    throw new BlindwireError(
      ErrorCode.LimitExceeded,
      `context of ${b.length} bytes exceeds maxContextBytes ${limits.maxContextBytes}`,
    );
  }
  return b;
}

export function payloadBytes(payload: unknown): Uint8Array {
  if (typeof payload === 'string') return utf8(payload);
  if (!isBytes(payload))
    throw invalidArgument('payload', 'a string or Uint8Array', shown(payload, true));
  return payload;
}

/** The earliest clock a caller may give: 2001-09-09 (1e12 ms), so a time in seconds is refused. */
export const MIN_NOW_MS = 1e12;
/** The latest: the largest time the header holds, (2^32 - 1) s (SPEC.md §4.1), in ms. */
export const MAX_NOW_MS = (2 ** 32 - 1) * 1000;

/**
 * A caller's clock (`now`): milliseconds since the epoch, a number or a Date,
 * from MIN_NOW_MS to MAX_NOW_MS. A time in seconds would seal a message
 * issued in 1970 that fails ERR_EXPIRED later, far from its cause; it is
 * refused here, and said to look like seconds.
 */
export function checkNow(now: unknown, name = 'now'): number {
  const t = now instanceof Date ? now.getTime() : now;
  if (typeof t === 'number' && Number.isFinite(t) && t >= MIN_NOW_MS && t <= MAX_NOW_MS) return t;
  const seconds =
    typeof t === 'number' && t >= MIN_NOW_MS / 1000 && t <= MAX_NOW_MS / 1000
      ? ': that looks like seconds since the epoch; pass milliseconds (Date.now())'
      : '';
  throw invalidArgument(
    name,
    `milliseconds since the epoch, a number or a Date from ${MIN_NOW_MS} (2001-09-09) to ${MAX_NOW_MS} (2106-02-07)`,
    `${shown(now)}${seconds}`,
  );
}

/** Current time in milliseconds: the caller's `now` (checked), else the system clock. */
export function nowMs(now: unknown): number {
  return now === undefined ? Date.now() : checkNow(now);
}

/**
 * The lifetime a sealer gives (SPEC.md §8 `maxTtlSeconds`): `ttl` as whole
 * seconds from 1 to the limit, `DEFAULT_TTL_SECONDS` when absent.
 */
export function ttlOf(ttl: unknown, fallback: number, limits: Limits): number {
  if (ttl === undefined) return Math.min(fallback, limits.maxTtlSeconds);
  if (!Number.isSafeInteger(ttl) || (ttl as number) < 1 || (ttl as number) > limits.maxTtlSeconds) {
    throw invalidArgument(
      'ttl',
      `whole seconds from 1 to maxTtlSeconds (${limits.maxTtlSeconds})`,
      shown(ttl),
    );
  }
  return ttl as number;
}

/** Decoded kids, keyed by their text: the same few kids recur on every call. Never mutated. */
const kidCache = new Map<string, Uint8Array>();
const KID_CACHE_ENTRIES = 1024;

/** A kid already decoded by `kidBytes`, if any: lets a caller skip spelling out a parameter name. */
export function knownKid(kid: unknown): Uint8Array | undefined {
  return typeof kid === 'string' ? kidCache.get(kid) : undefined;
}

/** The name of a field of a list parameter's item (`recipient[0].kid`), spelt out only for an error. */
export function itemName(list: string, i: number, field = ''): string {
  return `${list}[${i}]${field}`;
}

/** A key id (SPEC.md §5.2) from its base64url text. */
export function kidBytes(kid: unknown, name: string): Uint8Array {
  if (typeof kid !== 'string' || kid.length === 0)
    throw invalidArgument(name, 'a base64url key id', shown(kid));
  const hit = kidCache.get(kid);
  if (hit) return hit;
  const b = fromBase64url(kid, name);
  if (b.length < 1 || b.length > 64) throw invalidArgument(name, 'a key id of 1 to 64 bytes');
  if (kidCache.size >= KID_CACHE_ENTRIES) kidCache.delete(kidCache.keys().next().value!);
  kidCache.set(kid, b);
  return b;
}

/** Seconds tolerance for clocks; default 60 s (SPEC.md §7 step 7). */
export function skewOf(skew: unknown): number {
  if (skew === undefined) return 60;
  if (!Number.isInteger(skew) || (skew as number) < 0 || (skew as number) > 86_400) {
    throw invalidArgument('clockSkew', 'whole seconds from 0 to 86400', shown(skew));
  }
  return skew as number;
}

/** The optional content type of a message or response header (SPEC.md §4.1, §6.2). */
export function checkContentType(contentType: unknown, limits: Limits): void {
  if (contentType === undefined) return;
  if (
    typeof contentType !== 'string' ||
    contentType.length === 0 ||
    utf8(contentType).length > limits.maxStringBytes
  ) {
    throw invalidArgument(
      'contentType',
      `a non-empty string of at most ${limits.maxStringBytes} bytes`,
      shown(contentType),
    );
  }
}
