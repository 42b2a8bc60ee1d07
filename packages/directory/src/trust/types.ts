/**
 * What verification of a record set yields (SPEC.md §11.2): the identity's
 * verified signing keys with their certificate windows, its verified
 * encryption-key records and revocations, and why the rest failed; and the
 * resolved keys a sender may seal to.
 */
import type { AeadName, ErrorCode as Code, KemName } from '@blindwire/core';
import type { EncryptionKeyRecord, Revocation } from '../records/types.js';
import { RevocationReason } from '../records/types.js';

/** The validity window of one verified identity certificate. */
export interface CertificateWindow {
  notBefore: number;
  notAfter: number;
  serial: number;
}

export interface SigningKeyInfo {
  kid: string;
  publicKey: Uint8Array;
  /** Window of the certificate with the highest serial (for display; usability checks `windows`). */
  notBefore: number;
  notAfter: number;
  serial: number;
  /** Every verified certificate's window, highest serial first (SPEC.md §11.2 step 4). */
  windows: CertificateWindow[];
  pinned: boolean;
}

/** An encryption key a sender may seal to: plugs into `seal`'s `recipients`. */
export interface ResolvedKey {
  name: string;
  kid: string;
  publicKey: Uint8Array;
  aead: AeadName;
  /** The key's KEM: X25519, or the post-quantum hybrid X-Wing (SPEC.md §5.4). */
  kem: KemName;
  notBefore: number;
  notAfter: number;
  serial: number;
}

export interface Failure {
  code: Code;
  message: string;
  rank: number;
}

/** Everything in an identity's record set whose signature chain verified. */
export interface VerifiedSet {
  name: string;
  signingKeys: Map<string, SigningKeyInfo>;
  encryptionKeys: EncryptionKeyRecord[];
  /** Revocations that always count: issued by an anchor, or by a key about itself. */
  revocations: Map<string, Revocation>;
  /** Revocations issued by one identity key about another: they count only while the issuer is usable. */
  identityRevocations: Revocation[];
  failures: Failure[];
}

/** Of two revocations of one key, the stronger: compromise over superseded, else the first. */
export function strongest(a: Revocation | undefined, b: Revocation): Revocation {
  if (!a) return b;
  if (b.reason === RevocationReason.Compromise && a.reason !== RevocationReason.Compromise)
    return b;
  return a;
}
