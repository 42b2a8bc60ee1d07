/**
 * `checkOpenOptions`: what `open` and the stream opener check of their
 * options before any input is read (SPEC.md §7): an explicit trust source,
 * the context, the key pairs, the sender patterns, the clock. The result is
 * the policy that opening-rules.ts applies, step by step, to what arrives.
 */
import type { Limits } from '../limits.js';
import { invalidArgument } from '../errors.js';
import type { EncryptionKey } from '../identity/identity.js';
import type { AeadName } from '../wire/suites.js';
import type { OpenOptions, RecipientKey, SenderResolver } from './open-options.js';
import { compileSenderPatterns } from './patterns.js';
import { checkReplayOptions, type ReplayGuard, type ReplayStore } from './replay.js';
import { contextBytes, kidBytes, skewOf } from './values.js';

/** One of the caller's key pairs with its decoded kid. */
export interface RecipientKeyPair {
  kid: Uint8Array;
  key: EncryptionKey;
}

/** The clock of SPEC.md §7 step 7: `now` is read when the times are checked. */
export interface OpeningClock {
  now: number | Date | undefined;
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
  trustedSenders: OpenOptions['trustedSenders'];
  resolveSender: SenderResolver | undefined;
  replay: ReplayGuard | ReplayStore | undefined;
  /** The lease of a reservation, when `replay` is a store (replay.ts). */
  replayLeaseMs: number;
}

/** The options `checkOpenOptions` reads (`open`'s and `openStream`'s, less the limits). */
export type OpenArguments = Omit<OpenOptions, 'limits' | 'backend'>;

/**
 * SPEC.md §7, before any input is read: an explicit trust source, trusted
 * senders well formed, the context, the key pairs, the sender patterns, the
 * skew and the maximum age, in that order.
 */
export function checkOpenOptions(options: OpenArguments, limits: Limits): OpeningPolicy {
  if (!options || (!options.resolveSender && !options.trustedSenders)) {
    throw invalidArgument(
      'resolveSender',
      'a sender resolver or trustedSenders (sender keys must be trusted)',
    );
  }
  checkTrustedSenders(options.trustedSenders);
  const context = contextBytes(options.context, limits);
  const keys = checkRecipientKeys(options.recipient);
  const revokedKids = checkRevokedKids(options.revokedKids);
  const allowed = compileSenderPatterns(options.allowedSenders);
  const clock = checkClock(options);
  const replayLeaseMs = checkReplayOptions(options.replay, options.replayLeaseMs);
  return {
    context,
    keys,
    revokedKids,
    allowed,
    ...clock,
    allowedSuites: options.allowedSuites,
    trustedSenders: options.trustedSenders,
    resolveSender: options.resolveSender,
    replay: options.replay,
    replayLeaseMs,
  };
}

/**
 * The clock options of `open`, `openStream` and `openResponse`: the skew
 * (default 60 s) and the maximum age. `now` is read when the times are checked.
 */
export function checkClock(
  options: Pick<OpenOptions, 'now' | 'clockSkew' | 'maxAge'>,
): OpeningClock {
  const skew = skewOf(options.clockSkew);
  if (options.maxAge !== undefined && (!Number.isInteger(options.maxAge) || options.maxAge < 0)) {
    throw invalidArgument('maxAge', 'whole seconds ≥ 0', String(options.maxAge));
  }
  return { now: options.now, skew, maxAge: options.maxAge };
}

function checkTrustedSenders(trusted: OpenOptions['trustedSenders']): void {
  if (trusted === undefined) return;
  if (!Array.isArray(trusted))
    throw invalidArgument('trustedSenders', 'an array of public identities');
  trusted.forEach((t, i) => {
    if (
      typeof t !== 'object' ||
      t === null ||
      typeof t.name !== 'string' ||
      typeof t.signing?.kid !== 'string' ||
      !(t.signing.publicKey instanceof Uint8Array) ||
      t.signing.publicKey.length !== 32
    )
      throw invalidArgument(`trustedSenders[${i}]`, 'a public identity { name, signing }');
  });
}

/**
 * The caller's key pairs. An empty list is allowed: a consumer whose only key
 * was just erased gets ERR_KEY_NOT_FOUND (or ERR_KEY_REVOKED) at §7 step 8,
 * the answer it dead-letters, not an argument error.
 */
function checkRecipientKeys(r: RecipientKey | RecipientKey[]): RecipientKeyPair[] {
  if (r === undefined || r === null) throw invalidArgument('recipient', 'a key pair or a list');
  const list = Array.isArray(r) ? r : [r];
  return list.map((x, i) => {
    if (typeof x !== 'object' || x === null) throw invalidArgument(`recipient[${i}]`, 'a key pair');
    const k = 'encryption' in x ? x.encryption : x;
    if (!(k?.privateKey instanceof Uint8Array) || k.privateKey.length !== 32) {
      throw invalidArgument(`recipient[${i}].privateKey`, '32 bytes');
    }
    if (!(k.publicKey instanceof Uint8Array) || k.publicKey.length !== 32) {
      throw invalidArgument(`recipient[${i}].publicKey`, '32 bytes');
    }
    return { kid: kidBytes(k.kid, `recipient[${i}].kid`), key: k };
  });
}

/** The tombstoned kids (SPEC.md §7 step 8): base64url key ids, at most a few thousand. */
function checkRevokedKids(kids: OpenOptions['revokedKids']): Uint8Array[] {
  if (kids === undefined) return [];
  if (typeof kids !== 'object' || kids === null || !(Symbol.iterator in kids))
    throw invalidArgument('revokedKids', 'an iterable of key ids');
  const out: Uint8Array[] = [];
  for (const kid of kids) {
    if (out.length >= MAX_REVOKED_KIDS)
      throw invalidArgument('revokedKids', `at most ${MAX_REVOKED_KIDS} key ids`);
    out.push(kidBytes(kid, `revokedKids[${out.length}]`));
  }
  return out;
}

/** Most tombstones one `open` accepts: §7 step 8 compares each with every header kid. */
export const MAX_REVOKED_KIDS = 4096;
