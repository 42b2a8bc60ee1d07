/**
 * `checkOpenOptions`: what `open` and the stream opener check of their
 * options before any input is read (SPEC.md §7): an explicit trust source,
 * the context, the key pairs, the sender patterns, the clock. The result is
 * the policy that opening-rules.ts applies, step by step, to what arrives.
 */
import type { CryptoBackend } from '../backend/types.js';
import type { Limits } from '../limits.js';
import { invalidArgument, shown } from '../errors.js';
import type { EncryptionKey } from '../identity/identity.js';
import { AEAD_NAMES, kemOfPublicKey, type AeadName } from '../wire/suites.js';
import { isAeadName } from './check-recipients.js';
import type { OpenOptions, SenderResolver } from './open-options.js';
import { compileSenderPatterns } from './patterns.js';
import { checkReplayOptions, type ReplayGuard, type ReplayStore } from './replay.js';
import { checkTrustedSenders, type TrustedSender } from './trust-source.js';
import { checkNow, contextBytes, isBytes, itemName, kidBytes, knownKid, skewOf } from './values.js';

/** The options `open` reads, each once (common-options.ts `readOptions`). */
export const OPEN_OPTION_KEYS = [
  'recipient',
  'revokedKids',
  'context',
  'resolveSender',
  'trustedSenders',
  'allowedSenders',
  'allowedSuites',
  'now',
  'clockSkew',
  'maxAge',
  'replay',
  'replayLeaseMs',
  'limits',
  'backend',
] as const satisfies readonly (keyof OpenOptions)[];

/** One of the caller's key pairs with its decoded kid. */
export interface RecipientKeyPair {
  kid: Uint8Array;
  key: EncryptionKey;
}

/** The clock of SPEC.md §7 step 7: `now` (checked ms, or the system clock) is read when the times are checked. */
export interface OpeningClock {
  now: number | undefined;
  skew: number;
  maxAge: number | undefined;
}

/** The checked options of an opening: everything the rules of SPEC.md §7 consult. */
export interface OpeningPolicy extends OpeningClock {
  context: Uint8Array;
  keys: RecipientKeyPair[];
  /** Kids the caller erased for compromise (tombstones), as bytes: §7 step 8 answers ERR_KEY_REVOKED for them. */
  revokedKids: Uint8Array[];
  allowedSuites: readonly AeadName[] | undefined;
  allowed: ((name: string) => boolean) | undefined;
  trustedSenders: TrustedSender[] | undefined;
  resolveSender: SenderResolver | undefined;
  replay: ReplayGuard | ReplayStore | undefined;
  /** The lease of a reservation, when `replay` is a store (replay.ts). */
  replayLeaseMs: number;
  /** The call's backend, which recomputes the kid of a resolved key. */
  backend: CryptoBackend;
}

/** The options `checkOpenOptions` reads (`open`'s and `openStream`'s, less the limits). */
export type OpenArguments = Partial<Omit<OpenOptions, 'limits' | 'backend'>>;

/**
 * SPEC.md §7, before any input is read: an explicit trust source, trusted
 * senders well formed (names, keys, kids), the context, the key pairs, the
 * sender patterns, the suites, the clock and the replay guard, in that order.
 */
export function checkOpenOptions(
  options: OpenArguments,
  limits: Limits,
  backend: CryptoBackend,
): OpeningPolicy {
  const { resolveSender, replay } = options;
  if (resolveSender === undefined && options.trustedSenders === undefined) {
    throw invalidArgument(
      'resolveSender',
      'a sender resolver or trustedSenders (sender keys must be trusted)',
    );
  }
  if (resolveSender !== undefined && typeof resolveSender !== 'function')
    throw invalidArgument('resolveSender', 'a function (sender, kid)', shown(resolveSender));
  const trustedSenders = checkTrustedSenders(options.trustedSenders, backend);
  const context = contextBytes(options.context, limits);
  const keys = checkRecipientKeys(options.recipient);
  const revokedKids = checkRevokedKids(options.revokedKids);
  const allowed = compileSenderPatterns(options.allowedSenders);
  const allowedSuites = checkAllowedSuites(options.allowedSuites);
  const clock = checkClock(options);
  const { replay: replayView, leaseMs: replayLeaseMs } = checkReplayOptions(
    replay,
    options.replayLeaseMs,
  );
  return {
    context,
    keys,
    revokedKids,
    allowed,
    ...clock,
    allowedSuites,
    trustedSenders,
    resolveSender,
    replay: replayView,
    replayLeaseMs,
    backend,
  };
}

/**
 * The clock options of `open`, `openStream` and `openResponse`: `now` (ms
 * since the epoch), the skew (default 60 s) and the maximum age.
 */
export function checkClock(
  options: Pick<OpenArguments, 'now' | 'clockSkew' | 'maxAge'>,
): OpeningClock {
  const now = options.now === undefined ? undefined : checkNow(options.now);
  const skew = skewOf(options.clockSkew);
  const maxAge: unknown = options.maxAge;
  if (maxAge !== undefined && (!Number.isSafeInteger(maxAge) || (maxAge as number) < 0)) {
    throw invalidArgument('maxAge', 'whole seconds ≥ 0', shown(maxAge));
  }
  return { now, skew, maxAge: maxAge as number | undefined };
}

/**
 * `allowedSuites` (SPEC.md §7 step 6): a non-empty array of AEAD names of
 * §5, copied. A string would be matched by substring, and an unknown name
 * would silently allow nothing.
 */
export function checkAllowedSuites(suites: unknown): AeadName[] | undefined {
  if (suites === undefined) return undefined;
  const expected = `a non-empty array of ${AEAD_NAMES.map((a) => `"${a}"`).join(', ')}`;
  if (!Array.isArray(suites)) throw invalidArgument('allowedSuites', expected, shown(suites));
  const list = Array.from(suites as unknown[]);
  if (list.length === 0) throw invalidArgument('allowedSuites', expected, 'an empty array');
  list.forEach((s, i) => {
    if (!isAeadName(s)) throw invalidArgument(`allowedSuites[${i}]`, expected, shown(s));
  });
  return list as AeadName[];
}

/**
 * The caller's key pairs. An empty list is allowed: a consumer whose only key
 * was just erased gets ERR_KEY_NOT_FOUND (or ERR_KEY_REVOKED) at §7 step 8,
 * the answer it dead-letters, not an argument error.
 */
export function checkRecipientKeys(r: unknown): RecipientKeyPair[] {
  if (r === undefined || r === null)
    throw invalidArgument('recipient', 'a key pair or a list', shown(r));
  if (!Array.isArray(r)) return [checkRecipientKey(r, 0)]; // one key pair: no list copied
  const list = Array.from(r as unknown[]);
  const out: RecipientKeyPair[] = new Array(list.length);
  for (let i = 0; i < list.length; i++) out[i] = checkRecipientKey(list[i], i);
  return out;
}

/** One of `recipient`; the parameter's name is only spelt out for an error. */
function checkRecipientKey(x: unknown, i: number): RecipientKeyPair {
  if (typeof x !== 'object' || x === null)
    throw invalidArgument(itemName('recipient', i), 'a key pair', shown(x));
  const k: unknown = 'encryption' in x ? (x as { encryption: unknown }).encryption : x;
  if (typeof k !== 'object' || k === null)
    throw invalidArgument(itemName('recipient', i, '.encryption'), 'a key pair', shown(k));
  const { kid, publicKey, privateKey } = k as Record<string, unknown>;
  if (!isBytes(privateKey) || privateKey.length !== 32)
    throw invalidArgument(
      itemName('recipient', i, '.privateKey'),
      '32 bytes',
      shown(privateKey, true),
    );
  if (!isBytes(publicKey) || kemOfPublicKey(publicKey) === undefined)
    throw invalidArgument(
      itemName('recipient', i, '.publicKey'),
      '32 bytes (X25519) or 1216 bytes (X-Wing)',
      shown(publicKey),
    );
  const kidB = knownKid(kid) ?? kidBytes(kid, itemName('recipient', i, '.kid'));
  return { kid: kidB, key: { kid: kid as string, publicKey, privateKey } };
}

/** The tombstoned kids (SPEC.md §7 step 8): base64url key ids, at most a few thousand. */
export function checkRevokedKids(kids: unknown): Uint8Array[] {
  if (kids === undefined) return [];
  if (
    typeof kids !== 'object' ||
    kids === null ||
    ArrayBuffer.isView(kids) ||
    !(Symbol.iterator in kids)
  )
    throw invalidArgument('revokedKids', 'an iterable of key ids', shown(kids));
  const out: Uint8Array[] = [];
  for (const kid of kids as Iterable<unknown>) {
    if (out.length >= MAX_REVOKED_KIDS)
      throw invalidArgument('revokedKids', `at most ${MAX_REVOKED_KIDS} key ids`);
    out.push(kidBytes(kid, `revokedKids[${out.length}]`));
  }
  return out;
}

/** Most tombstones one `open` accepts: §7 step 8 compares each with every header kid. */
export const MAX_REVOKED_KIDS = 4096;
