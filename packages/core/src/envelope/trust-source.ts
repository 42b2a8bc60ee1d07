/**
 * The caller's trust source for sender keys (SPEC.md §7 step 14): pinned
 * senders, checked as configuration before anything is read (each kid
 * recomputed from its key, SPEC.md §5.2), and a resolver, whose answer must
 * be of the documented type and whose key must hash to the sender kid the
 * envelope names.
 */
import type { CryptoBackend } from '../backend/types.js';
import { equalBytes, toBase64url } from '../bytes.js';
import { BlindwireError, ErrorCode, invalidArgument, shown, wrongAnswer } from '../errors.js';
import { KID_LENGTH, signingKidInput } from '../identity/identity.js';
import { assertIdentityName, isIdentityName } from '../identity/name.js';
import { createSha256 } from '../wire/stream-keys.js';
import type { SenderResolver } from './open-options.js';
import { isBytes, itemName } from './values.js';

/** A pinned sender as checked: a copy, whose kid is the thumbprint of its key. */
export interface TrustedSender {
  name: string;
  signing: { kid: string; publicKey: Uint8Array };
}

/** SPEC.md §5.2: the signing kid of `publicKey` (32 bytes), hashed at once. */
function signingKidNow(publicKey: Uint8Array, b: CryptoBackend): string {
  const h = createSha256(b);
  h.update(signingKidInput(publicKey));
  return toBase64url(h.digest().subarray(0, KID_LENGTH));
}

/**
 * Kids already recomputed, per backend: each kid with a copy of the (public)
 * key it was recomputed from. Pinned senders are checked on every `open`; a
 * key seen before under the same kid is not hashed again.
 */
const knownKids = new WeakMap<CryptoBackend, Map<string, Uint8Array>>();
const KNOWN_KIDS = 1024;

/** Whether `kid` is the signing kid of `publicKey` (SPEC.md §5.2). */
function isKidOf(publicKey: Uint8Array, kid: string, b: CryptoBackend): boolean {
  let known = knownKids.get(b);
  if (!known) knownKids.set(b, (known = new Map()));
  const key = known.get(kid);
  if (key !== undefined && equalBytes(key, publicKey)) return true;
  if (signingKidNow(publicKey, b) !== kid) return false;
  if (known.size >= KNOWN_KIDS) known.delete(known.keys().next().value!);
  known.set(kid, new Uint8Array(publicKey)); // a copy: a Buffer's slice() is a view of the caller's memory
  return true;
}

/**
 * `trustedSenders`: an array of public identities, each with an identity
 * name (SPEC.md §10) and a 32-byte Ed25519 key whose kid is its thumbprint
 * (SPEC.md §5.2). A kid that names another key is the caller's
 * configuration error, ERR_INVALID_ARGUMENT naming the entry, not a
 * per-message failure.
 */
export function checkTrustedSenders(
  trusted: unknown,
  b: CryptoBackend,
): TrustedSender[] | undefined {
  if (trusted === undefined) return undefined;
  if (!Array.isArray(trusted))
    throw invalidArgument('trustedSenders', 'an array of public identities', shown(trusted));
  const list = Array.from(trusted as unknown[]);
  const out: TrustedSender[] = new Array(list.length);
  for (let i = 0; i < list.length; i++) out[i] = checkTrustedSender(list[i], i, b);
  return out;
}

/** One pinned sender; the parameter's name is only spelt out for an error. */
function checkTrustedSender(t: unknown, i: number, b: CryptoBackend): TrustedSender {
  if (typeof t !== 'object' || t === null)
    throw invalidArgument(
      itemName('trustedSenders', i),
      'a public identity { name, signing }',
      shown(t),
    );
  const { name, signing } = t as { name: unknown; signing: unknown };
  if (!isIdentityName(name)) assertIdentityName(name, itemName('trustedSenders', i, '.name'));
  if (typeof signing !== 'object' || signing === null)
    throw invalidArgument(
      itemName('trustedSenders', i, '.signing'),
      'a signing key { kid, publicKey }',
      shown(signing),
    );
  const { kid, publicKey } = signing as { kid: unknown; publicKey: unknown };
  if (!isBytes(publicKey) || publicKey.length !== 32)
    throw invalidArgument(
      itemName('trustedSenders', i, '.signing.publicKey'),
      '32 bytes',
      shown(publicKey),
    );
  if (typeof kid !== 'string' || !isKidOf(publicKey, kid, b)) {
    throw invalidArgument(
      itemName('trustedSenders', i, '.signing.kid'),
      `the kid of its public key (${JSON.stringify(name)})`,
      shown(kid),
    );
  }
  return { name, signing: { kid, publicKey } };
}

/** What a resolver may answer (open-options.ts `SenderResolver`). */
const RESOLVER_ANSWER = 'a 32-byte Uint8Array, a { kid, publicKey }, null or undefined';

/**
 * SPEC.md §7 step 14 with a resolver: the key it returns for (sender, kid),
 * or undefined. A resolver that throws is ERR_TRANSPORT with its error as the
 * cause (a directory that is down: not a verdict on the sender); an answer of
 * another type is ERR_TRANSPORT too, never a pass; a key that does not hash
 * to `kid` is ERR_KEY_UNTRUSTED.
 */
export async function resolvedSenderKey(
  resolve: SenderResolver,
  sender: string,
  kid: string,
  b: CryptoBackend,
): Promise<Uint8Array | undefined> {
  const who = 'the sender resolver';
  let pk: unknown;
  try {
    const r: unknown = await resolve(sender, kid);
    if (r === undefined || r === null) return undefined;
    if (isBytes(r)) pk = r;
    else if (typeof r === 'object' && !Array.isArray(r)) {
      const { kid: k, publicKey } = r as { kid: unknown; publicKey: unknown };
      if (typeof k !== 'string' || !isBytes(publicKey)) throw wrongAnswer(who, r, RESOLVER_ANSWER);
      if (k !== kid) return undefined; // a key, but for another kid
      pk = publicKey;
    } else throw wrongAnswer(who, r, RESOLVER_ANSWER);
  } catch (e) {
    throw e instanceof BlindwireError
      ? e
      : new BlindwireError(ErrorCode.Transport, `${who} failed`, { cause: e });
  }
  const key = pk as Uint8Array;
  if (key.length !== 32) throw wrongAnswer(who, key, RESOLVER_ANSWER);
  if (!isKidOf(key, kid, b)) {
    throw new BlindwireError(
      ErrorCode.KeyUntrusted,
      'the key the sender resolver returned is not the key of the sender kid',
    );
  }
  return key;
}
