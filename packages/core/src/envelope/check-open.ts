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
import type { ReplayGuard } from './replay.js';
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
  allowedSuites: readonly AeadName[] | undefined;
  allowed: ((name: string) => boolean) | undefined;
  trustedSenders: OpenOptions['trustedSenders'];
  resolveSender: SenderResolver | undefined;
  replay: ReplayGuard | undefined;
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
  const allowed = compileSenderPatterns(options.allowedSenders);
  const clock = checkClock(options);
  return {
    context,
    keys,
    allowed,
    ...clock,
    allowedSuites: options.allowedSuites,
    trustedSenders: options.trustedSenders,
    resolveSender: options.resolveSender,
    replay: options.replay,
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

function checkRecipientKeys(r: RecipientKey | RecipientKey[]): RecipientKeyPair[] {
  const list = Array.isArray(r) ? r : [r];
  if (list.length === 0) throw invalidArgument('recipient', 'at least one key pair');
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
