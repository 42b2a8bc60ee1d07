/**
 * Where an identity keeps its private encryption keys across rotations
 * (SPEC.md §11.4: recipients keep old private keys for a retention window,
 * then erase them). The interface is small so a KMS or HSM can implement it;
 * memory-key-store.ts and file-key-store.ts implement it.
 */
import { BlindwireError, ErrorCode } from '@blindwire/core';
import { assertBytes } from '@blindwire/core/internal';
import { MAX_RECORD_BYTES } from '../records/types.js';

/** One private key and its validity. Times are Unix seconds. */
export interface StoredKey {
  kid: string;
  publicKey: Uint8Array;
  privateKey: Uint8Array;
  notBefore: number;
  notAfter: number;
  createdAt: number;
  /**
   * The key's signed encryption-key record (SPEC.md §11.1), kept so that every
   * rotator tick can publish it again (§11.4). Public, not secret. Absent for
   * keys stored by older versions.
   */
  record?: Uint8Array;
}

/**
 * A tombstone (SPEC.md §11.4): the kid of a key erased because it was revoked
 * for compromise, kept until `until` (Unix seconds: the key's not-after plus
 * the retention window) so that `open` answers ERR_KEY_REVOKED, not
 * ERR_KEY_NOT_FOUND, for messages still queued to it. Public, not secret.
 */
export interface Tombstone {
  kid: string;
  until: number;
}

/**
 * Where an identity's private encryption keys are kept between rotations: the memory and file
 * stores, or a KMS or HSM behind the same few methods.
 */
export interface PrivateKeyStore {
  /** Stores `key` (a copy), replacing any key with the same `kid`. */
  put(key: StoredKey): Promise<void>;
  /** Copies of every stored key, oldest `createdAt` first. The caller wipes them when done. */
  list(): Promise<StoredKey[]>;
  /** Erases the key `kid` (no-op when absent): removed from storage, the store's copy zeroed. */
  delete(kid: string): Promise<void>;
  /**
   * Records a tombstone. One with the same kid keeps the later `until`: a
   * tombstone only ever lasts longer (a retried revocation computes a
   * shorter one when the key's not-after is no longer known). Optional: a store
   * without tombstones makes messages queued to a compromised key fail with
   * ERR_KEY_NOT_FOUND instead of ERR_KEY_REVOKED. The memory and file stores have them.
   */
  addTombstone?(t: Tombstone): Promise<void>;
  /** Every tombstone, by kid. */
  tombstones?(): Promise<Tombstone[]>;
  /** Drops the tombstone of `kid` (no-op when absent). */
  removeTombstone?(kid: string): Promise<void>;
  /**
   * Records tombstone `t` (keeping a later `until` already recorded, as
   * `addTombstone` does) and erases the key `t.kid` in one atomic step
   * (SPEC.md §11.4): whatever fails or crashes, the store holds both changes
   * or neither, never a tombstoned key still held nor an erasure without its
   * tombstone. Optional; the memory and file stores have it.
   */
  deleteWithTombstone?(t: Tombstone): Promise<void>;
}

/**
 * SPEC.md §11.4: erases the key `kid` because it was revoked for compromise,
 * leaving its tombstone (kept until `until`): in one atomic step where the
 * store has `deleteWithTombstone`, else the tombstone first, so that no
 * moment has neither, then the key. A failed tombstone write never keeps a
 * compromised key: the key is deleted regardless and that failure is
 * returned for the caller to report (undefined when the tombstone was
 * written, or the store keeps none). A failed delete throws.
 */
export async function eraseForCompromise(
  store: PrivateKeyStore,
  kid: string,
  until: number,
): Promise<unknown> {
  let tombstoneError: unknown;
  try {
    if (store.deleteWithTombstone) {
      await store.deleteWithTombstone({ kid, until });
      return undefined;
    }
    await store.addTombstone?.({ kid, until });
  } catch (e) {
    tombstoneError = e;
  }
  await store.delete(kid);
  return tombstoneError;
}

/**
 * The tombstone to keep when `t` is recorded over `existing` (SPEC.md §11.4):
 * the later `until` of the two; a copy.
 */
export function laterOf(existing: Tombstone | undefined, t: Tombstone): Tombstone {
  return { kid: t.kid, until: Math.max(t.until, existing?.until ?? 0) };
}

/** Checks a tombstone's fields; argument errors name the field. */
export function assertTombstone(t: unknown): asserts t is Tombstone {
  const x = t as Record<string, unknown> | null;
  if (typeof x !== 'object' || x === null)
    throw new BlindwireError(ErrorCode.InvalidArgument, '"tombstone" expected an object');
  if (typeof x['kid'] !== 'string' || x['kid'].length === 0 || x['kid'].length > MAX_KID_LENGTH)
    throw new BlindwireError(
      ErrorCode.InvalidArgument,
      `"tombstone.kid" expected a string of 1 to ${MAX_KID_LENGTH} characters`,
    );
  if (!Number.isSafeInteger(x['until']) || (x['until'] as number) < 0)
    throw new BlindwireError(
      ErrorCode.InvalidArgument,
      '"tombstone.until" expected a non-negative integer (Unix seconds)',
    );
}

/** Longest accepted `kid`, characters. */
const MAX_KID_LENGTH = 256;
/** Largest accepted public or private key, bytes (X25519 is 32; room for PQ/hybrid KEMs). */
const MAX_KEY_BYTES = 4096;

/** Checks every field of a `StoredKey`; argument errors name the field. For key store implementations. */
export function assertStoredKey(key: unknown): asserts key is StoredKey {
  if (typeof key !== 'object' || key === null) {
    throw new BlindwireError(ErrorCode.InvalidArgument, '"key" expected an object');
  }
  const k = key as Record<string, unknown>;
  if (typeof k['kid'] !== 'string' || k['kid'].length === 0 || k['kid'].length > MAX_KID_LENGTH) {
    throw new BlindwireError(
      ErrorCode.InvalidArgument,
      `"key.kid" expected a string of 1 to ${MAX_KID_LENGTH} characters`,
    );
  }
  for (const f of ['publicKey', 'privateKey'] as const) {
    assertBytes(k[f], `key.${f}`);
    const n = (k[f] as Uint8Array).length;
    if (n === 0 || n > MAX_KEY_BYTES) {
      throw new BlindwireError(
        ErrorCode.InvalidArgument,
        `"key.${f}" expected 1 to ${MAX_KEY_BYTES} bytes, got ${n}`,
      );
    }
  }
  for (const f of ['notBefore', 'notAfter', 'createdAt'] as const) {
    if (!Number.isSafeInteger(k[f]) || (k[f] as number) < 0) {
      throw new BlindwireError(
        ErrorCode.InvalidArgument,
        `"key.${f}" expected a non-negative integer (Unix seconds)`,
      );
    }
  }
  if ((k['notBefore'] as number) > (k['notAfter'] as number)) {
    throw new BlindwireError(
      ErrorCode.InvalidArgument,
      '"key.notAfter" expected a time not before "key.notBefore"',
    );
  }
  if (k['record'] !== undefined) {
    assertBytes(k['record'], 'key.record');
    const n = (k['record'] as Uint8Array).length;
    if (n === 0 || n > MAX_RECORD_BYTES) {
      throw new BlindwireError(
        ErrorCode.InvalidArgument,
        `"key.record" expected 1 to ${MAX_RECORD_BYTES} bytes, got ${n}`,
      );
    }
  }
}

/** A deep copy: stores never share byte arrays with their callers. */
export function copyStoredKey(k: StoredKey): StoredKey {
  return {
    kid: k.kid,
    publicKey: Uint8Array.from(k.publicKey),
    privateKey: Uint8Array.from(k.privateKey),
    notBefore: k.notBefore,
    notAfter: k.notAfter,
    createdAt: k.createdAt,
    ...(k.record === undefined ? {} : { record: Uint8Array.from(k.record) }),
  };
}

/** Oldest first, then by kid, so lists are stable. */
export function byCreation(a: StoredKey, b: StoredKey): number {
  return a.createdAt - b.createdAt || (a.kid < b.kid ? -1 : a.kid > b.kid ? 1 : 0);
}
