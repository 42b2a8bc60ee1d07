/**
 * Creating signed records (SPEC.md §11.1): trust anchors, identity
 * certificates, encryption-key records and revocations.
 */
import {
  BlindwireError,
  ErrorCode,
  encryptionKid,
  fromBase64url,
  getBackend,
  signingKid,
  toBase64url,
  type AeadName,
  type CryptoBackend,
  type EncryptionPublicKey,
  type SigningKey,
  type SigningPublicKey,
} from '@blindwire/core';
import {
  RecordKind,
  RevocationReason,
  signRecord,
  type RecordSigner,
  type TrustAnchor,
  type TrustAnchorPublic,
} from './parse.js';

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
export const DEFAULT_CERTIFICATE_SECONDS = 365 * 86_400;
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

/** A new organisation root key. Keep the private key offline. */
export async function createTrustAnchor(
  name: string,
  options?: BackendOption,
): Promise<TrustAnchor> {
  const b = options?.backend ?? getBackend();
  if (typeof name !== 'string' || name.length === 0) {
    throw new BlindwireError(ErrorCode.InvalidArgument, '"name" expected a non-empty string');
  }
  const privateKey = b.randomBytes(32);
  const publicKey = await b.ed25519PublicKey(privateKey);
  return { name, kid: await signingKid(publicKey, options), publicKey, privateKey };
}

export function trustAnchorPublic(a: TrustAnchor | TrustAnchorPublic): TrustAnchorPublic {
  const p: TrustAnchorPublic = { name: a.name, kid: a.kid, publicKey: a.publicKey };
  if (a.names !== undefined) p.names = [...a.names];
  return p;
}

export interface TrustAnchorJson {
  v: 1;
  name: string;
  kid: string;
  ed25519: string;
  /** Name constraints (TrustAnchor.names), when the anchor has them. */
  names?: string[];
  seed?: string;
}

/** Name constraints must be a non-empty array of non-empty patterns. */
export function checkAnchorNames(names: unknown, what = '"names"'): string[] | undefined {
  if (names === undefined) return undefined;
  if (
    !Array.isArray(names) ||
    names.length === 0 ||
    names.length > 64 ||
    // A plain loop, not every(): every() skips the holes of a sparse array.
    !Array.from(names as unknown[]).every(
      (n) => typeof n === 'string' && n.length > 0 && n.length <= 1024,
    )
  ) {
    throw new BlindwireError(
      ErrorCode.InvalidArgument,
      `${what} expected 1 to 64 non-empty name patterns (e.g. "spiffe://acme.example/**")`,
    );
  }
  return [...(names as string[])];
}

export function exportTrustAnchor(
  a: TrustAnchor | TrustAnchorPublic,
  withPrivateKey = false,
): TrustAnchorJson {
  const j: TrustAnchorJson = { v: 1, name: a.name, kid: a.kid, ed25519: toBase64url(a.publicKey) };
  const names = checkAnchorNames(a.names, '"anchor.names"');
  if (names) j.names = names;
  if (withPrivateKey) {
    if (!('privateKey' in a))
      throw new BlindwireError(ErrorCode.InvalidArgument, '"anchor" has no private key');
    j.seed = toBase64url(a.privateKey);
  }
  return j;
}

export async function importTrustAnchor(
  json: unknown,
  options?: BackendOption,
): Promise<TrustAnchor | TrustAnchorPublic> {
  const j = json as TrustAnchorJson;
  if (typeof j !== 'object' || j === null || j.v !== 1 || typeof j.name !== 'string') {
    throw new BlindwireError(
      ErrorCode.InvalidArgument,
      '"anchor" expected a version 1 trust anchor document',
    );
  }
  const publicKey = fromBase64url(j.ed25519, 'ed25519');
  if (publicKey.length !== 32 || (await signingKid(publicKey, options)) !== j.kid) {
    throw new BlindwireError(ErrorCode.KeyUntrusted, 'trust anchor kid does not match its key');
  }
  const names = checkAnchorNames(j.names, '"anchor.names"');
  const constraint = names ? { names } : {};
  if (j.seed === undefined) return { name: j.name, kid: j.kid, publicKey, ...constraint };
  const privateKey = fromBase64url(j.seed, 'seed');
  const b = options?.backend ?? getBackend();
  if (toBase64url(await b.ed25519PublicKey(privateKey)) !== j.ed25519) {
    throw new BlindwireError(
      ErrorCode.InvalidArgument,
      '"anchor" private key does not match its public key',
    );
  }
  return { name: j.name, kid: j.kid, publicKey, privateKey, ...constraint };
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
      suite: { kem: 0x20, kdf: 1, aead },
      ...w,
    },
    { kid: identity.signing.kid, privateKey: identity.signing.privateKey },
    options,
  );
}

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
