/**
 * Identities (SPEC.md §10): a name (a URI; SPIFFE IDs are the model), an
 * Ed25519 signing key and an HPKE encryption key (X25519, or the post-quantum
 * hybrid X-Wing, SPEC.md §5.4), each with a
 * deterministic key id (a thumbprint of the key fields). The public half is
 * plain data and serialises to JSON; an object holding a private key prints
 * and serialises as its public half (redact.ts).
 */
import type { CryptoBackend } from '../backend/types.js';
import { assertBytes, concat, fromBase64url, toBase64url, utf8, wipe } from '../bytes.js';
import { backendOf, checkArguments, readOptions } from '../envelope/common-options.js';
import { KEM_NAMES, KEMS, kemOfPublicKey, type KemName } from '../wire/suites.js';
import { BlindwireError, ErrorCode, invalidArgument } from '../errors.js';
import { xwing as loadXWing } from '../hpke/kem.js';
import { assertIdentityName } from './name.js';
import { hidePrivateKey } from './redact.js';

export { assertIdentityName, isIdentityName } from './name.js';

export const KID_LENGTH = 16;
const KID_LABEL = utf8('blindwire/v1 kid\0');
const ED25519_LABEL = utf8('ed25519\0');
const HPKE_LABEL = utf8('hpke\0');
/** DHKEM(X25519, HKDF-SHA256) and X-Wing, the KEM ids of SPEC.md §5. */
const KEM_IDS: Record<KemName, number> = { X25519: 0x0020, 'X-Wing': 0x647a };
/** The field of the identity document (§10.1) holding the encryption public key. */
const KEM_FIELDS: Record<KemName, 'x25519' | 'xwing'> = { X25519: 'x25519', 'X-Wing': 'xwing' };

/** The public half of a signing key with its kid: what verifies a sender's signature. */
export interface SigningPublicKey {
  kid: string;
  publicKey: Uint8Array;
}
/** An Ed25519 signing key pair with its kid. */
export interface SigningKey extends SigningPublicKey {
  /** The 32-byte Ed25519 seed. */
  privateKey: Uint8Array;
}
/** The public half of an encryption key with its kid: what `seal` takes as a recipient. */
export interface EncryptionPublicKey {
  kid: string;
  publicKey: Uint8Array;
}
/** An X25519 encryption key pair with its kid: what `open` takes as `recipient`. */
export interface EncryptionKey extends EncryptionPublicKey {
  privateKey: Uint8Array;
}

/**
 * The public part of an identity: its name and public keys, what other endpoints are given
 * (`publicIdentity`, `importPublicIdentity`).
 */
export interface PublicIdentity {
  name: string;
  signing: SigningPublicKey;
  encryption: EncryptionPublicKey;
}

/**
 * An endpoint's identity: its name, its Ed25519 signing key and its X25519 encryption key, private
 * halves included (`generateIdentity`, `importIdentity`).
 */
export interface Identity {
  name: string;
  signing: SigningKey;
  encryption: EncryptionKey;
}

export interface BackendOption {
  backend?: CryptoBackend;
}

/** The options of the key and identity generators. */
export interface KeyGenerationOptions extends BackendOption {
  /** The encryption key's KEM (default X25519); X-Wing is the post-quantum hybrid (SPEC.md §5.4). */
  kem?: KemName;
}

/** The KEM of an encryption public key: X25519 (32 bytes) or X-Wing (1216 bytes). */
function kemOf(publicKey: unknown, name: string): KemName {
  assertBytes(publicKey, name);
  const kem = kemOfPublicKey(publicKey);
  if (kem === undefined)
    throw invalidArgument(
      name,
      '32 bytes (X25519) or 1216 bytes (X-Wing)',
      String(publicKey.length),
    );
  return kem;
}

/** The backend of `options`, checked as every verb checks its options. */
function backendIn(options: BackendOption | undefined): CryptoBackend {
  return checkArguments(() => backendOf(readOptions<BackendOption>(options, ['backend'], true)));
}

/** SPEC.md §5.2: what the kid of an Ed25519 signing key hashes. */
export function signingKidInput(publicKey: Uint8Array): Uint8Array {
  return concat(KID_LABEL, ED25519_LABEL, publicKey);
}

/** SPEC.md §5.2: kid of an Ed25519 signing key. */
export async function signingKid(publicKey: Uint8Array, options?: BackendOption): Promise<string> {
  assertBytes(publicKey, 'publicKey', 32);
  const h = await backendIn(options).sha256(signingKidInput(publicKey));
  return toBase64url(h.subarray(0, KID_LENGTH));
}

/** SPEC.md §5.2: kid of an HPKE encryption key (X25519 or X-Wing, by its length). */
export async function encryptionKid(
  publicKey: Uint8Array,
  options?: BackendOption,
): Promise<string> {
  const kem = KEM_IDS[kemOf(publicKey, 'publicKey')];
  const h = await backendIn(options).sha256(
    concat(KID_LABEL, HPKE_LABEL, Uint8Array.of(kem >> 8, kem & 0xff), publicKey),
  );
  return toBase64url(h.subarray(0, KID_LENGTH));
}

/** A signing key that prints and serialises as its public half. */
function signingKey(kid: string, publicKey: Uint8Array, privateKey: Uint8Array): SigningKey {
  return hidePrivateKey({ kid, publicKey, privateKey }, 'SigningKey', (k) => ({
    kid: k.kid,
    ed25519: toBase64url(k.publicKey),
  }));
}

/** An encryption key that prints and serialises as its public half. */
function encryptionKey(kid: string, publicKey: Uint8Array, privateKey: Uint8Array): EncryptionKey {
  return hidePrivateKey({ kid, publicKey, privateKey }, 'EncryptionKey', (k) => ({
    kid: k.kid,
    [KEM_FIELDS[kemOf(k.publicKey, 'publicKey')]]: toBase64url(k.publicKey),
  }));
}

/** An identity that prints and serialises as its public document (SPEC.md §10.1). */
function identity(name: string, signing: SigningKey, encryption: EncryptionKey): Identity {
  return hidePrivateKey({ name, signing, encryption }, 'Identity', exportPublicIdentity);
}

/** A fresh signing key. */
export async function generateSigningKey(options?: BackendOption): Promise<SigningKey> {
  const b = backendIn(options);
  const privateKey = b.randomBytes(32);
  const publicKey = await b.ed25519PublicKey(privateKey);
  return signingKey(await signingKid(publicKey, options), publicKey, privateKey);
}

/** The KEM option: X25519 (default) or X-Wing. */
function kemOption(options: KeyGenerationOptions | undefined): KemName {
  const { kem } = checkArguments(() =>
    readOptions<KeyGenerationOptions>(options, ['backend', 'kem'], true),
  );
  if (kem === undefined) return 'X25519';
  if (!(KEM_NAMES as unknown[]).includes(kem))
    throw invalidArgument('kem', `one of ${KEM_NAMES.join(', ')}`, String(kem));
  return kem;
}

/**
 * A fresh X-Wing key pair: ERR_UNSUPPORTED_SUITE until `@blindwire/core/xwing`
 * is imported (Node entry points register it), so classical bundles hold no ML-KEM.
 */
async function xwingKeyPair(b: CryptoBackend) {
  return (await loadXWing()).kem.generateKeyPair(b);
}

/** A fresh encryption key: X25519, or X-Wing with `{ kem: 'X-Wing' }` (a 32-byte seed as private key). */
export async function generateEncryptionKey(
  options?: KeyGenerationOptions,
): Promise<EncryptionKey> {
  const kem = kemOption(options);
  const b = backendIn({ backend: options?.backend });
  const kp = kem === 'X-Wing' ? await xwingKeyPair(b) : await b.x25519GenerateKeyPair();
  return encryptionKey(
    await encryptionKid(kp.publicKey, { backend: b }),
    kp.publicKey,
    kp.privateKey,
  );
}

/**
 * `generateIdentity('spiffe://acme.example/agents/planner')`: a signing key and
 * an encryption key (X25519, or X-Wing with `{ kem: 'X-Wing' }`).
 */
export async function generateIdentity(
  name: string,
  options?: KeyGenerationOptions,
): Promise<Identity> {
  assertIdentityName(name);
  const kem = kemOption(options);
  const backend = { backend: options?.backend };
  const [signing, encryption] = await Promise.allSettled([
    generateSigningKey(backend),
    generateEncryptionKey({ ...backend, kem }),
  ]);
  // One half refused (X-Wing not enabled, a backend failure): the other half's secret is erased.
  if (signing.status === 'rejected' || encryption.status === 'rejected') {
    if (signing.status === 'fulfilled') wipe(signing.value.privateKey);
    if (encryption.status === 'fulfilled') wipe(encryption.value.privateKey);
    throw signing.status === 'rejected'
      ? signing.reason
      : (encryption as PromiseRejectedResult).reason;
  }
  return identity(name, signing.value, encryption.value);
}

/** The public half of an identity (no private keys). */
export function publicIdentity(identity: Identity | PublicIdentity): PublicIdentity {
  return {
    name: identity.name,
    signing: { kid: identity.signing.kid, publicKey: identity.signing.publicKey },
    encryption: { kid: identity.encryption.kid, publicKey: identity.encryption.publicKey },
  };
}

/** JSON form of a public identity (SPEC.md §10.1): `x25519` or, for an X-Wing key, `xwing`. */
export interface PublicIdentityJson {
  v: 1;
  name: string;
  signing: { kid: string; ed25519: string };
  encryption: { kid: string; x25519?: string; xwing?: string };
}

/** The public part of an identity as JSON (`importPublicIdentity` reads it back). */
export function exportPublicIdentity(identity: Identity | PublicIdentity): PublicIdentityJson {
  return {
    v: 1,
    name: identity.name,
    signing: { kid: identity.signing.kid, ed25519: toBase64url(identity.signing.publicKey) },
    encryption: {
      kid: identity.encryption.kid,
      [KEM_FIELDS[kemOf(identity.encryption.publicKey, 'encryption.publicKey')]]: toBase64url(
        identity.encryption.publicKey,
      ),
    },
  };
}

/** Parses and checks a public identity: the kids must be the thumbprints of the keys. */
export async function importPublicIdentity(
  json: unknown,
  options?: BackendOption,
): Promise<PublicIdentity> {
  const j = json as PublicIdentityJson;
  if (typeof j !== 'object' || j === null || j.v !== 1 || !j.signing || !j.encryption) {
    throw invalidArgument('identity', 'a version 1 public identity document');
  }
  assertIdentityName(j.name);
  const sp = fromBase64url(String(j.signing.ed25519), 'signing.ed25519');
  const kem: KemName = j.encryption.xwing !== undefined ? 'X-Wing' : 'X25519';
  const field = KEM_FIELDS[kem];
  if (kem === 'X-Wing' && j.encryption.x25519 !== undefined)
    throw invalidArgument('identity', 'one encryption key: "x25519" or "xwing"');
  const ep = fromBase64url(String(j.encryption[field]), `encryption.${field}`);
  assertBytes(sp, 'signing.ed25519', 32);
  assertBytes(ep, `encryption.${field}`, KEMS[kem].publicKeyLength);
  const [skid, ekid] = await Promise.all([signingKid(sp, options), encryptionKid(ep, options)]);
  if (skid !== j.signing.kid || ekid !== j.encryption.kid) {
    throw new BlindwireError(ErrorCode.KeyUntrusted, 'identity kid does not match its key');
  }
  return {
    name: j.name,
    signing: { kid: skid, publicKey: sp },
    encryption: { kid: ekid, publicKey: ep },
  };
}

/** JSON form of a full identity, private keys included: store it like a password. */
export interface IdentityJson extends PublicIdentityJson {
  signing: { kid: string; ed25519: string; seed: string };
  /** `secret` is the X25519 private key, or the X-Wing 32-byte seed. */
  encryption: { kid: string; x25519?: string; xwing?: string; secret: string };
}

/**
 * An identity as JSON, private keys included (`importIdentity` reads it back): store it as a
 * secret.
 */
export function exportIdentity(identity: Identity): IdentityJson {
  const pub = exportPublicIdentity(identity);
  return {
    ...pub,
    signing: { ...pub.signing, seed: toBase64url(identity.signing.privateKey) },
    encryption: { ...pub.encryption, secret: toBase64url(identity.encryption.privateKey) },
  };
}

/** Parses a full identity and checks that every private key matches its public key. */
export async function importIdentity(json: unknown, options?: BackendOption): Promise<Identity> {
  const b = backendIn(options);
  const pub = await importPublicIdentity(json, options);
  const j = json as IdentityJson;
  const seed = fromBase64url(String(j.signing.seed), 'signing.seed');
  const secret = fromBase64url(String(j.encryption.secret), 'encryption.secret');
  assertBytes(seed, 'signing.seed', 32);
  assertBytes(secret, 'encryption.secret', 32);
  // An X-Wing seed is expanded once, cached against `secret` itself (the
  // identity's key from here on), and erased if the keys do not match.
  let xwing: Awaited<ReturnType<typeof loadXWing>>['kem'] | undefined;
  try {
    xwing =
      pub.encryption.publicKey.length === KEMS['X-Wing'].publicKeyLength
        ? (await loadXWing()).kem
        : undefined;
  } catch (e) {
    wipe(seed, secret); // X-Wing not enabled (ERR_UNSUPPORTED_SUITE): the decoded secrets go
    throw e;
  }
  const [sp, ep] = await Promise.all([
    b.ed25519PublicKey(seed),
    xwing ? xwing.publicKeyFromSeed(b, secret) : b.x25519PublicKey(secret),
  ]);
  if (
    toBase64url(sp) !== toBase64url(pub.signing.publicKey) ||
    toBase64url(ep) !== toBase64url(pub.encryption.publicKey)
  ) {
    xwing?.forgetSeed(secret);
    wipe(seed, secret);
    throw invalidArgument('identity', 'private keys that match the public keys');
  }
  return identity(
    pub.name,
    signingKey(pub.signing.kid, pub.signing.publicKey, seed),
    encryptionKey(pub.encryption.kid, pub.encryption.publicKey, secret),
  );
}
