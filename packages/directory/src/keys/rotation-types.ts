/**
 * The key rotator's public types (SPEC.md §11.4): its options, what a tick
 * reports, and the rotator itself (rotator.ts).
 */
import type { AeadName, CryptoBackend, EncryptionKey, KemName, SigningKey } from '@blindwire/core';
import type { RevocationReasonName } from '../records/publish.js';
import type { DirectoryStore } from '../stores/directory-store.js';
import type { TrustPolicy } from '../trust/policy.js';
import type { PrivateKeyStore, StoredKey } from './key-store.js';

/** Options of `createKeyRotator` (SPEC.md §11.4). */
export interface KeyRotatorOptions {
  identity: { name: string; signing: Pick<SigningKey, 'kid' | 'privateKey'> };
  /** Where records go: a Directory or a DirectoryStore-backed publisher. */
  publish: (record: Uint8Array) => Promise<void>;
  keyStore: PrivateKeyStore;
  /** Lifetime of each key in seconds (default 86 400). */
  lifetimeSeconds?: number;
  /** How long before a new key is used, so every cached sender has it (default 300). */
  propagationDelaySeconds?: number;
  /** Rotate when the newest key expires within this many seconds (default lifetime / 4). */
  rotateBeforeSeconds?: number;
  /**
   * How long a private key is kept after its key expired. Must exceed the
   * longest queue retention plus the senders' clock skew (a sender may seal to
   * a key until its not-after plus its skew, SPEC.md §11.2).
   */
  retentionSeconds: number;
  /**
   * The longest time a message may wait in a queue before it is opened, seconds
   * (default 0). With `clockSkewSeconds` it sets the smallest retention the
   * rotator accepts: `maxQueueSeconds + 3 × clockSkewSeconds` (SPEC.md §11.4).
   */
  maxQueueSeconds?: number;
  /**
   * The clock tolerance of senders and directory clients, seconds (default 60,
   * their default): how far a sender's, and this rotator's, clock may be off.
   */
  clockSkewSeconds?: number;
  aead?: AeadName;
  /**
   * The KEM of the keys it makes: X25519 (default) or the post-quantum hybrid
   * X-Wing. Rotation keeps it (SPEC.md §11.4); an identity that publishes both
   * runs one rotator per KEM, each with its own key store.
   */
  kem?: KemName;
  /** Clock in ms (default Date.now). */
  now?: () => number;
  backend?: CryptoBackend;
  /**
   * Whether this identity's key `kid` is revoked, from its verified records:
   * `(kid) => directory.revocationOf(identity.name, kid)` answers with the
   * reason (`directory.isRevoked` only with a boolean, which counts as
   * superseded). When the newest held key is revoked (say by an anchor),
   * tick() replaces it at once instead of waiting until it nears expiry; a
   * held key revoked for `'compromise'` is also erased at once (SPEC.md
   * §11.4). Without it, tick() knows only the revocations made through this
   * rotator's `revoke()`. A rejection fails that tick().
   */
  isRevoked?: (kid: string) => Promise<RevocationStatus>;
  /**
   * Longest time one tick(), rotate() or revoke() may take before it fails
   * with ERR_TRANSPORT, in ms (default 120000). Calls run one at a time; a
   * store call that never settles would otherwise hold up every later call.
   */
  stepTimeoutMs?: number;
  /**
   * Prunes this identity's records (SPEC.md §11.6) at the end of every
   * tick(): records past their not-after plus `horizonSeconds` (default
   * `retentionSeconds`, at least 3 × the trust policy's clock skew, else
   * createKeyRotator fails with ERR_INVALID_ARGUMENT: SPEC.md §11.6) that no
   * client can still need are removed from `store`, as the relying parties
   * verify them with `trust`. Without it nothing is ever removed, and an
   * identity's records pile up past `maxRecords`. A failed prune never fails
   * the tick: it is reported in `TickResult.pruneError`.
   */
  prune?: { store: DirectoryStore; trust: TrustPolicy; horizonSeconds?: number };
}

/** What `isRevoked` answers: not revoked (`false`/`undefined`), revoked (`true`), or revoked with its reason. */
export type RevocationStatus = boolean | RevocationReasonName | undefined;

/** What one `tick()` of a key rotator did. */
export interface TickResult {
  /** The key this tick generated and published; the caller wipes its `privateKey` when done. */
  rotated?: StoredKey;
  /** Kids of the private keys erased: past retention, or revoked for compromise. */
  erased: string[];
  /**
   * The kid of the newest held key, when it is revoked, or of the newest key
   * that `revoke()` erased for compromise since the last tick. Rotation then goes by
   * the newest key that is not: with none, or with one near expiry, `rotated`
   * is its replacement.
   */
  revoked?: string;
  /** With the `prune` option: ids of the records this tick removed from the store. */
  pruned?: string[];
  /** With the `prune` option: why pruning failed this tick (the tick itself went on). */
  pruneError?: unknown;
  /**
   * Why a tombstone (SPEC.md §11.4) could not be written since the last tick:
   * the compromised key was erased all the same, but messages queued to it
   * now fail ERR_KEY_NOT_FOUND instead of ERR_KEY_REVOKED.
   */
  tombstoneError?: unknown;
}

/**
 * Rotates an identity's encryption keys (SPEC.md §11.4), made by `createKeyRotator`: publishes new
 * keys ahead of use, keeps old ones for the queue's bound, erases them after, and handles
 * revocations.
 */
export interface KeyRotator {
  /**
   * Generates, stores (with its signed record) and publishes a new key now. A
   * failed publish rejects, and the key stays: the next tick() publishes it again.
   */
  rotate(): Promise<StoredKey>;
  /**
   * Erases keys past retention or revoked for compromise, publishes again the
   * record of every held key neither expired nor revoked, and rotates when
   * the newest held key nears expiry or is revoked. Call it periodically (or
   * use start()). A publish that fails rejects the tick; nothing is deleted
   * for it.
   */
  tick(): Promise<TickResult>;
  /** Every private key still held, newest first: pass to `open` as `recipient`. The caller may wipe them. */
  recipientKeys(): Promise<EncryptionKey[]>;
  /**
   * Kids of the keys this identity erased for compromise whose messages could
   * still be queued (the key store's tombstones): pass to `open` as
   * `revokedKids`, which then answers ERR_KEY_REVOKED for them. Empty with a
   * key store that keeps no tombstones.
   */
  revokedKids(): Promise<string[]>;
  /** Publishes a revocation; on compromise the private key is erased at once. */
  revoke(kid: string, reason: RevocationReasonName): Promise<void>;
  /** Runs tick() every `intervalMs` (default 60 000); errors go to `onError`. */
  start(intervalMs?: number, onError?: (e: unknown) => void): void;
  stop(): void;
}
