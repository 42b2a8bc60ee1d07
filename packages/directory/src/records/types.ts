/**
 * The record types (SPEC.md §11.1): identity certificates (a trust anchor
 * binds a name to a signing key), encryption-key records (the identity's
 * signing key binds an X25519 HPKE key) and revocations, as parsed bodies,
 * with the signers and trust anchors that issue them.
 */
import type { RecordKind } from './kinds.js';

/** The reasons a key is revoked (SPEC.md §11.1), with their wire values. */
export const RevocationReason = {
  /**
   * Replaced in the normal course. An encryption key is no longer sealed to,
   * but its holder still opens what was queued under it; a signing key stays
   * trusted until its certificate expires.
   */
  Superseded: 1,
  /**
   * The private key may be known to others: an encryption key is never sealed
   * to again and its holder erases it; a signing key is distrusted at once,
   * queued messages included.
   */
  Compromise: 2,
} as const;
export type RevocationReason = (typeof RevocationReason)[keyof typeof RevocationReason];

/** Hard limit on one record's size in bytes. */
export const MAX_RECORD_BYTES = 4096;

/** Largest time a record carries: unsigned 32-bit Unix seconds. */
export const MAX_RECORD_TIME = 0xffffffff;

/**
 * A signed identity certificate (SPEC.md §11.1): an anchor (or the identity) binds a name to a
 * signing key for a window.
 */
export interface IdentityCertificate {
  kind: typeof RecordKind.IdentityCertificate;
  issuerKid: string;
  name: string;
  signingKey: Uint8Array;
  signingKid: string;
  notBefore: number;
  notAfter: number;
  serial: number;
}

/**
 * A signed encryption key record (SPEC.md §11.1): an identity's X25519 public key, its kid and
 * validity window.
 */
export interface EncryptionKeyRecord {
  kind: typeof RecordKind.EncryptionKey;
  issuerKid: string;
  name: string;
  publicKey: Uint8Array;
  kid: string;
  suite: { kem: number; kdf: number; aead: number };
  notBefore: number;
  notAfter: number;
  serial: number;
}

/**
 * A signed revocation of a signing or encryption key (SPEC.md §11.1), by an anchor or by the
 * identity.
 */
export interface Revocation {
  kind: typeof RecordKind.Revocation;
  issuerKid: string;
  name: string;
  targetKid: string;
  reason: RevocationReason;
  issuedAt: number;
}

/** The body of any directory record (SPEC.md §11.1). */
export type RecordBody = IdentityCertificate | EncryptionKeyRecord | Revocation;

/** A parsed record: its body, and what its signature covers, not yet verified. */
export interface ParsedRecord {
  body: RecordBody;
  signed: Uint8Array;
  signature: Uint8Array;
  bytes: Uint8Array;
}

/** The signer of a record: an anchor or an identity's signing key. */
export interface RecordSigner {
  kid: string;
  privateKey: Uint8Array;
}

/**
 * An organisation's root key (`createTrustAnchor`), private key included: it certifies identities.
 * Keep it offline.
 */
export interface TrustAnchor {
  name: string;
  kid: string;
  publicKey: Uint8Array;
  privateKey: Uint8Array;
  /**
   * Name constraints (optional): the identity names this anchor may certify
   * and revoke for, as patterns (`*` any run without `/`, `**` any run), e.g.
   * `spiffe://acme.example/**`. Without them the anchor speaks for every name.
   * A relying party that trusts several organisations' anchors sets them, so
   * that one organisation's root cannot certify another's identities.
   */
  names?: string[];
}
/** The public part of a trust anchor: what relying parties list in their trust policy. */
export type TrustAnchorPublic = Pick<TrustAnchor, 'name' | 'kid' | 'publicKey' | 'names'>;
