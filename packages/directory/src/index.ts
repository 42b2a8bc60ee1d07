/**
 * @blindwire/directory: verified identities and key records. A directory is
 * untrusted storage; every record is verified here, once, for all stores
 * (SPEC.md §11). This is the hand-picked public surface; verification
 * internals are behind `@blindwire/directory/internal` (unstable).
 *
 * @module @blindwire/directory
 */
export {
  createDirectory,
  type Directory,
  type DirectoryOptions,
  type DirectoryStats,
  type CacheOptions,
  type ResolveOptions,
  type RecipientOptions,
} from './trust/directory.js';
export type { TrustPolicy } from './trust/policy.js';
export type { ResolvedKey } from './trust/types.js';
export { namesCover } from './trust/name-constraints.js';
export {
  planPrune,
  pruneIdentity,
  type PruneOptions,
  type PrunePlan,
  type PruneReason,
  type PruneResult,
} from './trust/prune.js';
export { isRollbackMark, type RollbackMark, type RollbackStore } from './trust/rollback.js';

export type { DirectoryStore } from './stores/directory-store.js';
export { createMemoryStore, type MemoryStore } from './stores/memory-store.js';

export { RecordKind } from './records/kinds.js';
export { recordId } from './records/record-id.js';
export {
  RevocationReason,
  MAX_RECORD_BYTES,
  type RecordBody,
  type IdentityCertificate,
  type EncryptionKeyRecord,
  type Revocation,
  type RecordSigner,
  type TrustAnchor,
  type TrustAnchorPublic,
} from './records/types.js';
export {
  createTrustAnchor,
  trustAnchorPublic,
  exportTrustAnchor,
  importTrustAnchor,
  type TrustAnchorJson,
} from './records/trust-anchors.js';
export {
  certifyIdentity,
  createEncryptionKeyRecord,
  createRevocation,
  DEFAULT_CERTIFICATE_SECONDS,
  DEFAULT_KEY_SECONDS,
  type RevocationReasonName,
} from './records/publish.js';

export {
  createKeyRotator,
  minimumRetention,
  type KeyRotator,
  type KeyRotatorOptions,
  type RevocationStatus,
  type TickResult,
} from './keys/rotator.js';
export type { PrivateKeyStore, StoredKey, Tombstone } from './keys/key-store.js';
export { eraseForCompromise } from './keys/key-store.js';
export { createMemoryKeyStore, type MemoryKeyStore } from './keys/memory-key-store.js';
export {
  seedKeyStore,
  identityKeyErased,
  replaceIdentityKeys,
  type IdentityKeys,
  type IdentityKeyOptions,
  type IdentityKeyReplacement,
} from './keys/identity-keys.js';
