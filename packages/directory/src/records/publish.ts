/**
 * Creating signed records (SPEC.md §11.1): identity certificates,
 * encryption-key records and revocations. Trust anchors: trust-anchors.ts.
 */
import {
  BlindwireError,
  ErrorCode,
  encryptionKid,
  type AeadName,
  type CryptoBackend,
  type EncryptionPublicKey,
  type SigningKey,
  type SigningPublicKey,
} from '@blindwire/core';
import { RecordKind } from './kinds.js';
import { signRecord } from './sign.js';
import { RevocationReason, type RecordSigner } from './types.js';

interface BackendOption {
  backend?: CryptoBackend;
}
interface TimeOptions extends BackendOption {
  /** Clock in ms (default Date.now()). */
  now?: number;
  /** Unix seconds (default now). */
  notBefore?: number;
  /** Unix seconds. */
  notAfter?: number;
  /** Monotonic per identity and record kind (default: `now` in ms). */
  serial?: number;
}

const AEAD_IDS: Record<AeadName, number> = {
  'AES-128-GCM': 1,
  'AES-256-GCM': 2,
  'ChaCha20-Poly1305': 3,
};
/** Default lifetime of an identity certificate: one year, in seconds. */
export const DEFAULT_CERTIFICATE_SECONDS = 365 * 86_400;
/** Default lifetime of an encryption key record: one day, in seconds. */
export const DEFAULT_KEY_SECONDS = 86_400;

function window(o: TimeOptions | undefined, lifetime: number) {
  const nowMs = o?.now ?? Date.now();
  const notBefore = o?.notBefore ?? Math.floor(nowMs / 1000);
  const notAfter = o?.notAfter ?? notBefore + lifetime;
  const serial = o?.serial ?? nowMs;
  if (!Number.isSafeInteger(serial) || serial < 0) {
    throw new BlindwireError(
      ErrorCode.InvalidArgument,
      '"serial" expected a non-negative safe integer',
    );
  }
  return { notBefore, notAfter, serial };
}

/** The anchor certifies that `identity.name` owns `identity.signing` (SPEC.md §11.1). */
export async function certifyIdentity(
  anchor: RecordSigner,
  identity: { name: string; signing: SigningPublicKey },
  options?: TimeOptions,
): Promise<Uint8Array> {
  const w = window(options, DEFAULT_CERTIFICATE_SECONDS);
  return signRecord(
    {
      kind: RecordKind.IdentityCertificate,
      issuerKid: anchor.kid,
      name: identity.name,
      signingKey: identity.signing.publicKey,
      signingKid: identity.signing.kid,
      ...w,
    },
    anchor,
    options,
  );
}

/** The identity's signing key binds an encryption key (SPEC.md §11.1). */
export async function createEncryptionKeyRecord(
  identity: { name: string; signing: Pick<SigningKey, 'kid' | 'privateKey'> },
  key: EncryptionPublicKey,
  options?: TimeOptions & { aead?: AeadName },
): Promise<Uint8Array> {
  const w = window(options, DEFAULT_KEY_SECONDS);
  const aead = AEAD_IDS[options?.aead ?? 'AES-256-GCM'];
  if (!aead)
    throw new BlindwireError(ErrorCode.UnsupportedSuite, '"aead" expected an envelope AEAD');
  if ((await encryptionKid(key.publicKey, options)) !== key.kid) {
    throw new BlindwireError(
      ErrorCode.InvalidArgument,
      '"key.kid" expected the thumbprint of key.publicKey',
    );
  }
  return signRecord(
    {
      kind: RecordKind.EncryptionKey,
      issuerKid: identity.signing.kid,
      name: identity.name,
      publicKey: key.publicKey,
      kid: key.kid,
      suite: { kem: key.publicKey.length === 1216 ? 0x647a : 0x20, kdf: 1, aead }, // SPEC.md §5.4
      ...w,
    },
    { kid: identity.signing.kid, privateKey: identity.signing.privateKey },
    options,
  );
}

/** A revocation reason by name. */
export type RevocationReasonName = 'superseded' | 'compromise';

/** A revocation of `targetKid` (a signing or encryption key of `name`) by an anchor or the identity. */
export async function createRevocation(
  issuer: RecordSigner,
  target: { name: string; kid: string; reason: RevocationReasonName },
  options?: BackendOption & { now?: number },
): Promise<Uint8Array> {
  const reason =
    target.reason === 'compromise'
      ? RevocationReason.Compromise
      : target.reason === 'superseded'
        ? RevocationReason.Superseded
        : undefined;
  if (reason === undefined) {
    throw new BlindwireError(
      ErrorCode.InvalidArgument,
      '"reason" expected superseded or compromise',
    );
  }
  return signRecord(
    {
      kind: RecordKind.Revocation,
      issuerKid: issuer.kid,
      name: target.name,
      targetKid: target.kid,
      reason,
      issuedAt: Math.floor((options?.now ?? Date.now()) / 1000),
    },
    issuer,
    options,
  );
}
