/**
 * Identities (SPEC.md §10): a name (a URI; SPIFFE IDs are the model), an
 * Ed25519 signing key and an X25519 HPKE encryption key, each with a
 * deterministic key id (a thumbprint of the key fields). The public half is
 * plain data and serialises to JSON; an object holding a private key prints
 * and serialises as its public half (redact.ts).
 */
import type { CryptoBackend } from '../backend/types.js';
import { assertBytes, concat, fromBase64url, toBase64url, utf8 } from '../bytes.js';
import { backendOf, checkArguments, readOptions } from '../envelope/common-options.js';
import { BlindwireError, ErrorCode, invalidArgument } from '../errors.js';
import { assertIdentityName } from './name.js';
import { hidePrivateKey } from './redact.js';

export { assertIdentityName, isIdentityName } from './name.js';

export const KID_LENGTH = 16;
const KID_LABEL = utf8('blindwire/v1 kid\0');
const ED25519_LABEL = utf8('ed25519\0');
const HPKE_LABEL = utf8('hpke\0');
/** DHKEM(X25519, HKDF-SHA256). */
const KEM_X25519 = 0x0020;

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

/** SPEC.md §5.2: kid of an X25519 HPKE encryption key. */
export async function encryptionKid(
  publicKey: Uint8Array,
  options?: BackendOption,
): Promise<string> {
  assertBytes(publicKey, 'publicKey', 32);
  const h = await backendIn(options).sha256(
    concat(KID_LABEL, HPKE_LABEL, Uint8Array.of(KEM_X25519 >> 8, KEM_X25519 & 0xff), publicKey),
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
    x25519: toBase64url(k.publicKey),
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

/** A fresh X25519 encryption key. */
export async function generateEncryptionKey(options?: BackendOption): Promise<EncryptionKey> {
  const b = backendIn(options);
  const kp = await b.x25519GenerateKeyPair();
  return encryptionKey(await encryptionKid(kp.publicKey, options), kp.publicKey, kp.privateKey);
}

/** `generateIdentity('spiffe://acme.example/agents/planner')`: a signing key and an encryption key. */
export async function generateIdentity(name: string, options?: BackendOption): Promise<Identity> {
  assertIdentityName(name);
  const [signing, encryption] = await Promise.all([
    generateSigningKey(options),
    generateEncryptionKey(options),
  ]);
  return identity(name, signing, encryption);
}

/** The public half of an identity (no private keys). */
export function publicIdentity(identity: Identity | PublicIdentity): PublicIdentity {
  return {
    name: identity.name,
    signing: { kid: identity.signing.kid, publicKey: identity.signing.publicKey },
    encryption: { kid: identity.encryption.kid, publicKey: identity.encryption.publicKey },
  };
}

/** JSON form of a public identity (SPEC.md §10.1). */
export interface PublicIdentityJson {
  v: 1;
  name: string;
  signing: { kid: string; ed25519: string };
  encryption: { kid: string; x25519: string };
}

/** The public part of an identity as JSON (`importPublicIdentity` reads it back). */
export function exportPublicIdentity(identity: Identity | PublicIdentity): PublicIdentityJson {
  return {
    v: 1,
    name: identity.name,
    signing: { kid: identity.signing.kid, ed25519: toBase64url(identity.signing.publicKey) },
    encryption: {
      kid: identity.encryption.kid,
      x25519: toBase64url(identity.encryption.publicKey),
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
  const ep = fromBase64url(String(j.encryption.x25519), 'encryption.x25519');
  assertBytes(sp, 'signing.ed25519', 32);
  assertBytes(ep, 'encryption.x25519', 32);
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
  encryption: { kid: string; x25519: string; secret: string };
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
  const [sp, ep] = await Promise.all([b.ed25519PublicKey(seed), b.x25519PublicKey(secret)]);
  if (
    toBase64url(sp) !== toBase64url(pub.signing.publicKey) ||
    toBase64url(ep) !== toBase64url(pub.encryption.publicKey)
  ) {
    throw invalidArgument('identity', 'private keys that match the public keys');
  }
  return identity(
    pub.name,
    signingKey(pub.signing.kid, pub.signing.publicKey, seed),
    encryptionKey(pub.encryption.kid, pub.encryption.publicKey, secret),
  );
}
