/**
 * What every replay store shares (SPEC.md §7 step 18): the argument checks,
 * the per-sender key, the retention arithmetic and the wrapping of client
 * errors into ERR_TRANSPORT. Error messages name parameters, ids, hashes and
 * timestamps only: never a sender name or a token.
 */
import { BlindwireError, ErrorCode } from '@blindwire/core';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import type { ReplayEntry, ReplayStore, ReserveAnswer } from './types.js';

/** Longest lease `reserve` takes: 1 hour. A handler that runs longer should not hold a lease. */
export const MAX_LEASE_MS = 3_600_000;
/** Longest reservation token, in UTF-16 code units. */
export const MAX_TOKEN_LENGTH = 64;
/** Longest sender name, in UTF-8 bytes (SPEC.md §10). */
export const MAX_SENDER_BYTES = 1024;
/** Latest keepUntil accepted: 9999-12-31T23:59:59Z, so that every time in ms stays exact. */
export const MAX_KEEP_UNTIL = 253_402_300_799;
/** Default extra retention of the legacy `record`: the largest clock skew `open` accepts (SPEC.md §7 step 7). */
export const DEFAULT_RECORD_SKEW = 86_400;

const MESSAGE_ID = /^[0-9a-f]{32}$/;
// Lone surrogates: two strings with different ones would encode to the same UTF-8.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Whether `s` holds a C0 control, DEL or a C1 control, or a lone surrogate. */
function hasControlOrLoneSurrogate(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) return true;
  }
  return LONE_SURROGATE.test(s);
}
const utf8 = new TextEncoder();

export function invalidArgument(name: string, expected: string, got?: string): BlindwireError {
  const suffix = got === undefined ? '' : `, got ${got}`;
  return new BlindwireError(ErrorCode.InvalidArgument, `"${name}" expected ${expected}${suffix}`);
}

const kindOf = (v: unknown): string => (v === null ? 'null' : typeof v);

export function assertMessageId(name: string, id: unknown): asserts id is string {
  if (typeof id !== 'string' || !MESSAGE_ID.test(id))
    throw invalidArgument(name, 'a message id (32 lowercase hex digits)');
}

export function assertSender(name: string, sender: unknown): asserts sender is string {
  const expected = `an identity name (1 to ${MAX_SENDER_BYTES} bytes UTF-8, no control characters)`;
  if (typeof sender !== 'string') throw invalidArgument(name, expected, kindOf(sender));
  if (sender.length === 0 || hasControlOrLoneSurrogate(sender))
    throw invalidArgument(name, expected);
  const bytes = utf8.encode(sender).length;
  if (bytes > MAX_SENDER_BYTES) throw invalidArgument(name, expected, `${bytes} bytes`);
}

/** Unix seconds: a whole number from 0 to MAX_KEEP_UNTIL. */
export function assertUnixSeconds(name: string, t: unknown): asserts t is number {
  if (typeof t !== 'number' || !Number.isInteger(t) || t < 0 || t > MAX_KEEP_UNTIL) {
    const got = typeof t === 'number' ? String(t) : kindOf(t);
    throw invalidArgument(name, `whole Unix seconds from 0 to ${MAX_KEEP_UNTIL}`, got);
  }
}

export function assertEntry(entry: unknown): asserts entry is ReplayEntry {
  if (typeof entry !== 'object' || entry === null)
    throw invalidArgument('entry', 'an object { messageId, sender, keepUntil }', kindOf(entry));
  const e = entry as Record<string, unknown>;
  assertMessageId('entry.messageId', e.messageId);
  assertSender('entry.sender', e.sender);
  assertUnixSeconds('entry.keepUntil', e.keepUntil);
}

export function assertLeaseMs(leaseMs: unknown): asserts leaseMs is number {
  if (
    typeof leaseMs !== 'number' ||
    !Number.isInteger(leaseMs) ||
    leaseMs < 1 ||
    leaseMs > MAX_LEASE_MS
  ) {
    const got = typeof leaseMs === 'number' ? String(leaseMs) : kindOf(leaseMs);
    throw invalidArgument('leaseMs', `a whole number of ms from 1 to ${MAX_LEASE_MS}`, got);
  }
}

export function assertToken(token: unknown): asserts token is string {
  const expected = `a non-empty string of at most ${MAX_TOKEN_LENGTH} characters, no control characters`;
  if (typeof token !== 'string') throw invalidArgument('token', expected, kindOf(token));
  if (token.length === 0 || token.length > MAX_TOKEN_LENGTH || hasControlOrLoneSurrogate(token))
    throw invalidArgument('token', expected);
}

/** Checks `recordSkew` (an option of every store): whole seconds from 0 to 86400. */
export function recordSkewOf(value: unknown): number {
  if (value === undefined) return DEFAULT_RECORD_SKEW;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 86_400)
    throw invalidArgument('options.recordSkew', 'whole seconds from 0 to 86400', String(value));
  return value;
}

/**
 * The arguments of the legacy `record(messageId, expiresAt, sender)` as an
 * entry kept until `expiresAt + recordSkew`: `open` accepts an envelope until
 * its expires-at plus the opener's skew (SPEC.md §7 step 7), so an id dropped
 * at expires-at could be replayed during that skew.
 */
export function legacyEntry(
  messageId: unknown,
  expiresAt: unknown,
  sender: unknown,
  recordSkew: number,
): ReplayEntry {
  assertMessageId('messageId', messageId);
  assertUnixSeconds('expiresAt', expiresAt);
  if (sender === undefined)
    throw invalidArgument('sender', "the opened message's sender (this store keys ids per sender)");
  assertSender('sender', sender);
  return { messageId, sender, keepUntil: Math.min(expiresAt + recordSkew, MAX_KEEP_UNTIL) };
}

/** SHA-256 of the sender's UTF-8 bytes, 64 lowercase hex digits: fixed length, so keys are unambiguous. */
export function senderHash(sender: string): string {
  return bytesToHex(sha256(utf8.encode(sender)));
}

/**
 * The first Unix millisecond at which an entry kept until `keepUntil` may be
 * dropped. `open` compares whole seconds (`floor(now) > expires-at + skew`
 * rejects, SPEC.md §7 step 7), so an envelope still opens during the whole
 * second `keepUntil`: the entry is kept through it.
 */
export function droppableAtMs(keepUntil: number): number {
  return (keepUntil + 1) * 1000;
}

/** Runs a client call; any failure becomes ERR_TRANSPORT `<store>: <what> failed` with the cause. */
export function transportFor(store: string) {
  return async function transport<T>(what: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (cause) {
      throw new BlindwireError(ErrorCode.Transport, `${store}: ${what} failed`, { cause });
    }
  };
}

/** ERR_TRANSPORT for an answer of the service that the store does not expect (fail closed). */
export function unexpected(store: string, what: string): BlindwireError {
  return new BlindwireError(ErrorCode.Transport, `${store}: unexpected answer to ${what}`);
}

/** What a store does against its service, with every argument already checked. */
export interface StoreOperations {
  reserve(entry: ReplayEntry, leaseMs: number, token: string): Promise<ReserveAnswer>;
  commit(entry: ReplayEntry): Promise<void>;
  release(entry: ReplayEntry, token: string): Promise<void>;
  has(messageId: string, sender: string): Promise<boolean>;
}

/**
 * The `ReplayStore` interface over a store's operations: every argument is
 * checked here, once for all stores, before any I/O; the legacy `record` is a
 * commit of `legacyEntry`.
 */
export function checkedStore(ops: StoreOperations, recordSkew: number): ReplayStore {
  return {
    async reserve(entry, leaseMs, token) {
      assertEntry(entry);
      assertLeaseMs(leaseMs);
      assertToken(token);
      return ops.reserve(entry, leaseMs, token);
    },
    async commit(entry, token) {
      assertEntry(entry);
      assertToken(token);
      await ops.commit(entry);
    },
    async release(entry, token) {
      assertEntry(entry);
      assertToken(token);
      await ops.release(entry, token);
    },
    async has(messageId, sender) {
      assertMessageId('messageId', messageId);
      assertSender('sender', sender);
      return ops.has(messageId, sender);
    },
    async record(messageId, expiresAt, sender) {
      await ops.commit(legacyEntry(messageId, expiresAt, sender, recordSkew));
    },
  };
}
