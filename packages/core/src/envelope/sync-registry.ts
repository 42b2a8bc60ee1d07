/**
 * Where `seal` and `open` find their synchronous path (sync-path.ts) for a
 * backend with a synchronous twin (backend/sync.ts). The node backend
 * installs it, so a browser bundle, which never loads that backend, carries
 * neither the path nor its key schedule.
 */
import type { SyncPrimitives } from '../backend/sync.js';
import { Kdf, Kem } from '../hpke/ids.js';
import type { Limits } from '../limits.js';
import type { Frame } from '../wire/frame.js';
import type { MessageHeader, RecipientEntry, SuiteIds } from '../wire/header.js';
import type { Padding } from '../wire/inner.js';
import type { CheckedSeal } from './check-seal.js';
import type { Admission } from './opening-rules.js';
import type { SealResult } from './seal-options.js';

/** The decrypted inner record, with the secrets `open` still needs; the caller wipes them. */
export interface Decrypted {
  plaintext: Uint8Array;
  /** prefix || header bytes, exactly as transmitted. */
  aad: Uint8Array;
  contextKey: Uint8Array;
  responseSecret: Uint8Array;
}

export interface SyncPath {
  sealOne(
    s: SyncPrimitives,
    c: CheckedSeal,
    body: Uint8Array,
    padding: Padding | undefined,
    limits: Limits,
    /** prefix || header (the AAD) for these entries and values. */
    aadWith: (entries: RecipientEntry[], check: Uint8Array, commitment: Uint8Array) => Uint8Array,
  ): SealResult;
  decrypt(s: SyncPrimitives, admitted: Admission, header: MessageHeader, frame: Frame): Decrypted;
  /** SPEC.md §4.3: the context check value. */
  contextCheck(s: SyncPrimitives, contextKey: Uint8Array, context: Uint8Array): Uint8Array;
}

let installed: SyncPath | undefined;

export function installSyncPath(path: SyncPath): void {
  installed = path;
}

/** The synchronous path, if a backend that has one was loaded. */
export function syncPath(): SyncPath | undefined {
  return installed;
}

/**
 * Whether a suite's key schedule is the one the synchronous path implements:
 * DHKEM(X25519, HKDF-SHA256) with HKDF-SHA256 (SPEC.md §5), any AEAD. Every
 * other KEM or KDF takes the async path, on seal and on open.
 */
export function syncSchedules(ids: SuiteIds): boolean {
  return ids.kem === Kem.DhkemX25519HkdfSha256 && ids.kdf === Kdf.HkdfSha256;
}
