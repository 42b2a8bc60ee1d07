/**
 * DHKEM(X25519, HKDF-SHA256), KEM id 0x0020 (RFC 9180 §4.1, §7.1): key
 * generation and DeriveKeyPair (§7.1.3), Encap/Decap and AuthEncap/AuthDecap
 * (§4.1), with the all-zero DH check of §7.1.4. Keys are raw 32-byte
 * strings (SerializePublicKey is the identity for X25519, §7.1.1).
 * Constant-time behaviour is that of the backend's X25519.
 */
import type { CryptoBackend } from '../backend/types.js';
import { concat, i2osp, utf8, wipe } from '../bytes.js';
import { BlindwireError, ErrorCode } from '../errors.js';
import { Kem } from './ids.js';
import { labeledExpand, labeledExtract, labelPrefix } from './kdf.js';
import type { KeyPair } from './types.js';

/** Nsecret, Nenc, Npk, Nsk of DHKEM(X25519, HKDF-SHA256) (RFC 9180 §7.1, Table 2). */
export const NSECRET = 32;
export const NENC = 32;
export const NPK = 32;
export const NSK = 32;

const KEM_SUITE_ID = concat(utf8('KEM'), i2osp(Kem.DhkemX25519HkdfSha256, 2)); // RFC 9180 §4.1
const EAE_PRK = labelPrefix(KEM_SUITE_ID, 'eae_prk');
const SHARED_SECRET = labelPrefix(KEM_SUITE_ID, 'shared_secret');
const DKP_PRK = labelPrefix(KEM_SUITE_ID, 'dkp_prk');
const SK = labelPrefix(KEM_SUITE_ID, 'sk');
const EMPTY = new Uint8Array(0);

/** The fixed message of every KEM failure: it never says which check failed. */
export const KEM_FAILED_MESSAGE = 'HPKE key encapsulation failed';

function kemFailed(): BlindwireError {
  return new BlindwireError(ErrorCode.Hpke, KEM_FAILED_MESSAGE);
}

/** A fresh key pair from the backend (RFC 9180 §4 GenerateKeyPair). */
export async function generateKeyPair(backend: CryptoBackend): Promise<KeyPair> {
  const { privateKey, publicKey } = await backend.x25519GenerateKeyPair();
  return { privateKey, publicKey };
}

/** RFC 9180 §7.1.3 DeriveKeyPair for X25519. */
export async function deriveKeyPair(backend: CryptoBackend, ikm: Uint8Array): Promise<KeyPair> {
  const dkpPrk = await labeledExtract(backend, EMPTY, DKP_PRK, ikm); // RFC 9180 §7.1.3
  const privateKey = await labeledExpand(backend, dkpPrk, SK, EMPTY, NSK); // RFC 9180 §7.1.3
  wipe(dkpPrk);
  return { privateKey, publicKey: await backend.x25519PublicKey(privateKey) };
}

/**
 * DH(sk, pk) with the checks of RFC 9180 §7.1.4: an all-zero result or a
 * backend error (some backends throw on low-order points) is ERR_HPKE.
 */
async function dh(
  backend: CryptoBackend,
  privateKey: Uint8Array,
  publicKey: Uint8Array,
): Promise<Uint8Array> {
  let out: Uint8Array;
  try {
    out = await backend.x25519(privateKey, publicKey);
  } catch {
    throw kemFailed(); // no cause: the failure reason is not reported
  }
  if (!(out instanceof Uint8Array) || out.length !== NSECRET) throw kemFailed();
  let acc = 0;
  for (let i = 0; i < out.length; i++) acc |= out[i]!; // RFC 9180 §7.1.4: all-zero check
  if (acc === 0) throw kemFailed();
  return out;
}

/** RFC 9180 §4.1 ExtractAndExpand(dh, kem_context). Wipes `dhValue`. */
async function extractAndExpand(
  backend: CryptoBackend,
  dhValue: Uint8Array,
  kemContext: Uint8Array,
): Promise<Uint8Array> {
  const eaePrk = await labeledExtract(backend, EMPTY, EAE_PRK, dhValue); // RFC 9180 §4.1
  wipe(dhValue);
  const sharedSecret = await labeledExpand(backend, eaePrk, SHARED_SECRET, kemContext, NSECRET); // RFC 9180 §4.1
  wipe(eaePrk);
  return sharedSecret;
}

/** DH(sk, pkA), or DH(sk, pkA) || DH(sk, pkB) when pkB is given (AuthEncap/AuthDecap). */
async function dhValue(
  backend: CryptoBackend,
  privateKey: Uint8Array,
  publicKeyA: Uint8Array,
  secondPrivateKey: Uint8Array | undefined,
  publicKeyB: Uint8Array | undefined,
): Promise<Uint8Array> {
  const first = await dh(backend, privateKey, publicKeyA);
  if (publicKeyB === undefined) return first;
  let second: Uint8Array;
  try {
    second = await dh(backend, secondPrivateKey ?? privateKey, publicKeyB);
  } catch (e) {
    wipe(first);
    throw e;
  }
  const both = concat(first, second);
  wipe(first, second);
  return both;
}

/**
 * RFC 9180 §4.1 Encap(pkR), or AuthEncap(pkR, skS) when `sender` is given,
 * with the ephemeral key pair supplied by the caller (generated or derived).
 */
export async function encap(
  backend: CryptoBackend,
  recipientPublicKey: Uint8Array,
  ephemeral: KeyPair,
  sender?: KeyPair,
): Promise<{ sharedSecret: Uint8Array; enc: Uint8Array }> {
  // RFC 9180 §4.1: dh = DH(skE, pkR) [|| DH(skS, pkR)]
  const dhBytes = await dhValue(
    backend,
    ephemeral.privateKey,
    recipientPublicKey,
    sender?.privateKey,
    sender === undefined ? undefined : recipientPublicKey,
  );
  const enc = ephemeral.publicKey; // RFC 9180 §7.1.1: SerializePublicKey is the identity
  // RFC 9180 §4.1: kem_context = enc || pkRm [|| pkSm]
  const kemContext =
    sender === undefined
      ? concat(enc, recipientPublicKey)
      : concat(enc, recipientPublicKey, sender.publicKey);
  return { sharedSecret: await extractAndExpand(backend, dhBytes, kemContext), enc };
}

/**
 * RFC 9180 §4.1 Decap(enc, skR), or AuthDecap(enc, skR, pkS) when
 * `senderPublicKey` is given. pkRm is the recipient's stored public key.
 */
export async function decap(
  backend: CryptoBackend,
  enc: Uint8Array,
  recipient: KeyPair,
  senderPublicKey?: Uint8Array,
): Promise<Uint8Array> {
  // RFC 9180 §4.1: pkE = DeserializePublicKey(enc); dh = DH(skR, pkE) [|| DH(skR, pkS)]
  const dhBytes = await dhValue(backend, recipient.privateKey, enc, undefined, senderPublicKey);
  // RFC 9180 §4.1: kem_context = enc || pkRm [|| pkSm]
  const kemContext =
    senderPublicKey === undefined
      ? concat(enc, recipient.publicKey)
      : concat(enc, recipient.publicKey, senderPublicKey);
  return extractAndExpand(backend, dhBytes, kemContext);
}
