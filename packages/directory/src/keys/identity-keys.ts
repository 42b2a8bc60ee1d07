/**
 * An identity's own encryption key and its key store (SPEC.md §11.4): an
 * empty key store takes over the identity's key, with the validity of its
 * record as verified by the directory's one verification path (SPEC.md
 * §11.2, trust/verify-set.ts); and an identity whose key a rotation step
 * erases is given another one first, so that no copy outlives the erasure.
 */
import {
  BlindwireError,
  ErrorCode,
  generateEncryptionKey,
  kemOfPublicKey,
  type CryptoBackend,
  type EncryptionKey,
  type Identity,
} from '@blindwire/core';
import { wipe } from '@blindwire/core/internal';
import { readClock, wholeSeconds } from '../checks.js';
import type { DirectoryStore } from '../stores/directory-store.js';
import { verifyRecordSet } from '../trust/verify-set.js';
import type { PrivateKeyStore, StoredKey } from './key-store.js';

/** The identity's keys that these functions read: its name, signing public key and encryption key. */
export type IdentityKeys = Pick<Identity, 'name' | 'encryption'> & {
  signing: Pick<Identity['signing'], 'kid' | 'publicKey'>;
};

/**
 * When `keyStore` is empty, stores the identity's encryption key in it, with
 * the validity of the first record in `store` that the identity's own
 * signing key (pinned) verifiably issued for that key; that record is kept
 * with the key, so every rotator tick publishes it again. Returns the kid
 * when it seeded the store; undefined when the store already held keys or no
 * such record verified (a forged or foreign record is never taken).
 */
export async function seedKeyStore(
  keyStore: PrivateKeyStore,
  identity: IdentityKeys,
  store: DirectoryStore,
  options?: { backend?: CryptoBackend },
): Promise<string | undefined> {
  const existing = await keyStore.list();
  for (const k of existing) wipe(k.privateKey);
  if (existing.length > 0) return undefined;
  const { name, signing, encryption } = identity;
  const trust = { pinned: [{ name, signing: { kid: signing.kid, publicKey: signing.publicKey } }] };
  for (const record of await store.list(name)) {
    // One record at a time, so the verified body comes with its own bytes.
    const set = await verifyRecordSet(name, [record], trust, options);
    const r = set.encryptionKeys[0];
    if (r?.kid !== encryption.kid || r.issuerKid !== signing.kid) continue;
    await keyStore.put({
      kid: encryption.kid,
      publicKey: encryption.publicKey,
      privateKey: encryption.privateKey,
      notBefore: r.notBefore,
      notAfter: r.notAfter,
      createdAt: r.notBefore,
      record, // re-published by every tick while the key is current
    });
    return encryption.kid;
  }
  return undefined;
}

/** The retention and clock with which `identityKeyErased` and `replaceIdentityKeys` judge an identity file's key. */
export interface IdentityKeyOptions {
  /** How long a private key is kept after it expired (the rotator's `retentionSeconds`). */
  retentionSeconds: number;
  /** Clock in ms. */
  now: number;
}

/**
 * Checks the options as the rotator does (ERR_INVALID_ARGUMENT naming the
 * bad one): a string or NaN retention or clock would make a key look within
 * retention, so that a copy outlives its erasure (SPEC.md §11.4).
 */
function checkOptions(options: IdentityKeyOptions): { retention: number; nowS: number } {
  const { retentionSeconds, now } = options ?? ({} as IdentityKeyOptions);
  const retention = wholeSeconds(retentionSeconds, undefined, 'retentionSeconds');
  if (retention === 0)
    throw new BlindwireError(ErrorCode.InvalidArgument, '"retentionSeconds" expected > 0, got 0');
  return { retention, nowS: Math.floor(readClock(() => now) / 1000) };
}

/**
 * Whether a rotation step at `now` erases the identity's encryption key from
 * `held` (the key store's keys): it is held, and past retention or
 * (`compromised`) verifiably revoked for compromise.
 */
export function identityKeyErased(
  identity: Pick<Identity, 'encryption'>,
  held: readonly StoredKey[],
  options: IdentityKeyOptions & { compromised: boolean },
): boolean {
  const { retention, nowS } = checkOptions(options);
  const mine = held.find((k) => k.kid === identity.encryption.kid);
  return mine !== undefined && (mine.notAfter + retention < nowS || options.compromised === true);
}

/** What replaced the encryption key an identity file held. */
export interface IdentityKeyReplacement {
  /** The kid of the key the identity holds now. */
  kid: string;
  /** Whether it is a fresh placeholder, never published (open with the key store). */
  placeholder: boolean;
}

/**
 * Gives the identity another encryption key and hands it to `save` (which
 * writes the identity file): the newest key in `held` other than its own
 * that is still within retention, or, when there is none or the key store is
 * `sealed` (a live key is never copied from a sealed store into a plain
 * file), a fresh placeholder that is never published.
 */
export async function replaceIdentityKeys(
  identity: Identity,
  held: readonly StoredKey[],
  options: IdentityKeyOptions & {
    sealed: boolean;
    save: (next: Identity) => Promise<void>;
    backend?: CryptoBackend;
  },
): Promise<IdentityKeyReplacement> {
  const { retention, nowS } = checkOptions(options);
  const others = held
    .filter((k) => k.kid !== identity.encryption.kid && k.notAfter + retention >= nowS)
    .sort((x, y) => y.notBefore - x.notBefore);
  const placeholder = options.sealed || others[0] === undefined;
  const next: EncryptionKey = placeholder
    ? await generateEncryptionKey({
        ...(options.backend ? { backend: options.backend } : {}),
        kem: kemOfPublicKey(identity.encryption.publicKey) ?? 'X25519', // keeps the KEM
      })
    : { kid: others[0]!.kid, publicKey: others[0]!.publicKey, privateKey: others[0]!.privateKey };
  try {
    await options.save({ ...identity, encryption: next });
  } finally {
    if (placeholder) wipe(next.privateKey);
  }
  return { kid: next.kid, placeholder };
}
