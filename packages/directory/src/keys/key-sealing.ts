/**
 * Passphrase sealing of the private key store (SPEC.md §11.4 keeps keys for
 * their retention; format: key-file-format.ts):
 * a key derived by scrypt (RFC 7914; N=2^17, r=8, p=1 for new files, per-file
 * random salt; a file's own parameters when it is opened, within a cap)
 * seals each private key with XChaCha20-Poly1305 under a fresh random nonce,
 * with the key's kid and metadata as AAD; `check` seals the empty string, so
 * a wrong passphrase is detected even when the file holds no key. The
 * primitives come from crypto.ts.
 */
import { BlindwireError, ErrorCode, fromBase64url, toBase64url } from '@blindwire/core';
import { utf8 } from '@blindwire/core/internal';
import { randomBytes, scrypt, xchacha20poly1305 } from '../crypto.js';

/**
 * scrypt parameters written to new files (RFC 7914 §2): 128 MiB, about 1.1 s
 * to unlock with the native scrypt on the reference machine (2 shared cores;
 * 1.8 s with the pure fallback). Files written with N=2^15 (before) still open.
 */
export const SCRYPT = { N: 2 ** 17, r: 8, p: 1 } as const;
const SALT_BYTES = 16;
const NONCE_BYTES = 24; // XChaCha20-Poly1305
/** Ceiling on scrypt memory (128 * N * r) accepted from a file, so a crafted file cannot exhaust memory. */
export const MAX_SCRYPT_MEMORY = 256 * 1024 * 1024;
/** Ceiling on scrypt work (N * r * p, 4 times the default: about 4 s here) accepted from a file. */
export const MAX_SCRYPT_WORK = 4 * SCRYPT.N * SCRYPT.r * SCRYPT.p;

/**
 * Why a file's scrypt parameters are refused, or undefined when they are
 * acceptable: N a power of two from 2^14, p at most 16, and the memory and
 * work caps, so a hostile file cannot make unlocking take minutes or gigabytes.
 */
export function scryptParamsProblem(N: number, r: number, p: number): string | undefined {
  if ((N & (N - 1)) !== 0 || N < 2 ** 14) return `N=${N} is not a power of two ≥ 2^14`;
  if (p > 16) return `p=${p} exceeds 16`;
  if (128 * N * r > MAX_SCRYPT_MEMORY)
    return `N=${N}, r=${r} need ${(128 * N * r) / 2 ** 20} MiB, over the ${MAX_SCRYPT_MEMORY / 2 ** 20} MiB cap`;
  if (N * r * p > MAX_SCRYPT_WORK)
    return `N=${N}, r=${r}, p=${p} exceed the work cap N·r·p ≤ ${MAX_SCRYPT_WORK}`;
  return undefined;
}
const AAD_LABEL = 'blindwire-keystore-v1';

/** The `encryption` member of a sealed key store file. */
export interface Encryption {
  kdf: 'scrypt';
  N: number;
  r: number;
  p: number;
  salt: string;
  aead: 'xchacha20-poly1305';
  check: string;
}

/** The fields of an entry that its sealed private key is bound to. */
export interface SealedEntryFields {
  kid: string;
  publicKey: string;
  notBefore: number;
  notAfter: number;
  createdAt: number;
  record?: string;
}

/** A new file's `encryption` member and the key derived for it (the caller wipes it). */
export async function newSealing(
  pass: Uint8Array,
): Promise<{ encryption: Encryption; key: Uint8Array }> {
  const salt = randomBytes(SALT_BYTES);
  const key = await scrypt(pass, salt, { ...SCRYPT, dkLen: 32, maxmem: MAX_SCRYPT_MEMORY * 2 });
  const encryption: Encryption = {
    kdf: 'scrypt',
    ...SCRYPT,
    salt: toBase64url(salt),
    aead: 'xchacha20-poly1305',
    check: toBase64url(sealBytes(key, new Uint8Array(0), checkAad())),
  };
  return { encryption, key };
}

/**
 * The key of an existing file, derived from `pass` with the file's
 * parameters; a wrong passphrase is ERR_OPEN_FAILED (the `check` seal).
 */
export async function deriveKey(pass: Uint8Array, encryption: Encryption): Promise<Uint8Array> {
  const key = await scrypt(pass, fromBase64url(encryption.salt), {
    N: encryption.N,
    r: encryption.r,
    p: encryption.p,
    dkLen: 32,
    maxmem: MAX_SCRYPT_MEMORY * 2, // the file's parameters were capped when it was parsed
  });
  try {
    openBytes(key, fromBase64url(encryption.check), checkAad()); // wrong passphrase stops here
  } catch (e) {
    key.fill(0);
    throw e;
  }
  return key;
}

/** Seals a private key for entry `e`. */
export function sealKey(key: Uint8Array, privateKey: Uint8Array, e: SealedEntryFields): string {
  return toBase64url(sealBytes(key, privateKey, keyAad(e)));
}

/** Opens the sealed private key of entry `e`; any failure is the one ERR_OPEN_FAILED. */
export function openKey(key: Uint8Array, sealed: string, e: SealedEntryFields): Uint8Array {
  return openBytes(key, fromBase64url(sealed), keyAad(e));
}

/**
 * AAD binds the sealed key to its kid and metadata: entries cannot be swapped
 * or re-dated. The record is appended only when present, so entries written
 * before it existed keep the AAD they were sealed with.
 */
function keyAad(e: SealedEntryFields): Uint8Array {
  const fields = [AAD_LABEL, e.kid, e.publicKey, e.notBefore, e.notAfter, e.createdAt];
  return utf8(JSON.stringify(e.record === undefined ? fields : [...fields, e.record]));
}

function checkAad(): Uint8Array {
  return utf8(JSON.stringify([AAD_LABEL, 'passphrase-check']));
}

function sealBytes(key: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array {
  const nonce = randomBytes(NONCE_BYTES);
  const ct = xchacha20poly1305(key, nonce, aad).encrypt(plaintext);
  const out = new Uint8Array(NONCE_BYTES + ct.length);
  out.set(nonce);
  out.set(ct, NONCE_BYTES);
  return out;
}

/** Any failure (short input, tag mismatch) is the one `ERR_OPEN_FAILED`. */
function openBytes(key: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Uint8Array {
  try {
    return xchacha20poly1305(key, sealed.subarray(0, NONCE_BYTES), aad).decrypt(
      sealed.subarray(NONCE_BYTES),
    );
  } catch {
    throw new BlindwireError(
      ErrorCode.OpenFailed,
      'key store could not be opened: wrong passphrase or modified file',
    );
  }
}
