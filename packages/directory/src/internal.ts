/**
 * `@blindwire/directory/internal`: UNSTABLE. Verification internals that
 * sibling packages (the CLI) and the directory's own tests need: parsing and
 * signature checks of single records (SPEC.md §11.1-§11.2 steps 1-3), the
 * record-set verification and what is in force at a time (SPEC.md §11.2),
 * and the in-memory rollback state. These may change in any release; use
 * `createDirectory` instead.
 */
export { parseRecord } from './records/parse.js';
export { signRecord, verifyRecordSignature } from './records/sign.js';
export type { ParsedRecord } from './records/types.js';
export { verifyRecordSet } from './trust/verify-set.js';
export { usableEncryptionKeys, signingKeyStatus, revocationsAt } from './trust/in-force.js';
export { createRollbackState, type RollbackState } from './trust/rollback.js';
export type { VerifiedSet, SigningKeyInfo, CertificateWindow } from './trust/types.js';
export { assertStoredKey, copyStoredKey } from './keys/key-store.js';
