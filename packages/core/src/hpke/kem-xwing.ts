/**
 * X-Wing (ML-KEM-768 + X25519) as an HPKE KEM, KEM id 0x647a
 * (draft-connolly-cfrg-xwing-kem-10 §5, draft-ietf-hpke-pq-04 §3). Private
 * keys are the draft's 32-byte seeds; public keys are pk_M (1184) || pk_X (32),
 * encapsulations ct_M (1088) || ct_X (32). Only Base mode: X-Wing is not an
 * authenticated KEM, and this implementation defines no other mode for it.
 *
 * ML-KEM-768 is @noble/post-quantum on every backend (no runtime here has it
 * natively); X25519 runs on the backend. The expanded key (ML-KEM decapsulation
 * key, prepared public key, X25519 scalar) is cached per private-key array
 * (see KeyCache) so that repeated decapsulations skip the seed expansion, and
 * a prepared recipient public key per public-key array for encapsulation.
 *
 * Only xwing-module.ts imports this module: it is registered into kem.ts by
 * `@blindwire/core/xwing` or the Node entry points, so code that uses only
 * the classical KEM never holds ML-KEM.
 */
import { sha3_256, shake256 } from '@noble/hashes/sha3.js';
import { ml_kem768, type KEMPrepared } from '@noble/post-quantum/ml-kem.js';
import { KeyCache } from '../backend/key-cache.js';
import type { CryptoBackend } from '../backend/types.js';
import { concat, equalBytes, i2osp, utf8, wipe } from '../bytes.js';
import { BlindwireError, ErrorCode, invalidArgument } from '../errors.js';
import { Kem } from './ids.js';
import { XWING_PARAMS } from './kem-params.js';
import type { KeyPair } from './types.js';

const XWING_NSK = XWING_PARAMS.nsk;
/** The encapsulation randomness of EncapsulateDerand: m (32) || ek_X (32). */
const XWING_NRAND = 64;

const NPK_M = 1184;
const NCT_M = 1088;

/** The X-Wing combiner label "\.//^\" (draft-connolly-cfrg-xwing-kem-10 §5.3). */
const XWING_LABEL = Uint8Array.of(0x5c, 0x2e, 0x2f, 0x2f, 0x5e, 0x5c);
/** X25519 base point u = 9 (RFC 7748 §4.1). */
const X25519_BASE = (() => {
  const u = new Uint8Array(32);
  u[0] = 9;
  return u;
})();

const KEM_SUITE_ID = concat(utf8('KEM'), i2osp(Kem.XWing, 2)); // draft-ietf-hpke-pq-04 §3
const HPKE_V1 = utf8('HPKE-v1');
const DKP_LABEL = utf8('DeriveKeyPair');

const KEM_FAILED_MESSAGE = 'HPKE key encapsulation failed';

function kemFailed(): BlindwireError {
  return new BlindwireError(ErrorCode.Hpke, KEM_FAILED_MESSAGE);
}

type Prepared = KEMPrepared;

/** A decapsulation key expanded from its seed (draft-connolly-cfrg-xwing-kem-10 §5.2). */
interface Expanded {
  pkM: Uint8Array;
  /** pk_M prepared for ML-KEM (the matrix expanded), made on first decapsulation. */
  prepared?: Prepared;
  skM: Uint8Array;
  skX: Uint8Array;
  pkX: Uint8Array;
}

/** Expanded keys by private-key array; a key whose array is wiped or refilled is erased on next use. */
const expandedKeys = new KeyCache<Expanded>((e) => {
  wipe(e.skM, e.skX);
  e.prepared?.clean();
});
const preparedPublicKeys = new KeyCache<Prepared>();

/**
 * SHAKE256.LabeledDerive(ikm, "DeriveKeyPair", "", 32) (draft-ietf-hpke-pq-04
 * §3 and draft-ietf-hpke-hpke LabeledDerive): ikm || "HPKE-v1" || suite_id ||
 * I2OSP(len(label), 2) || label || I2OSP(L, 2) || context.
 */
function deriveSeed(ikm: Uint8Array): Uint8Array {
  const input = concat(
    ikm,
    HPKE_V1,
    KEM_SUITE_ID,
    i2osp(DKP_LABEL.length, 2),
    DKP_LABEL,
    i2osp(XWING_NSK, 2),
  );
  try {
    return shake256(input, { dkLen: XWING_NSK });
  } finally {
    wipe(input);
  }
}

/** X25519 through the backend; a throw or an all-zero output is a KEM failure. */
async function x25519(b: CryptoBackend, sk: Uint8Array, pk: Uint8Array): Promise<Uint8Array> {
  let out: Uint8Array;
  try {
    out = await b.x25519(sk, pk);
  } catch {
    throw kemFailed(); // no cause: the reason is not reported
  }
  let acc = 0;
  for (let i = 0; i < out.length; i++) acc |= out[i]!;
  if (out.length !== 32 || acc === 0) throw kemFailed();
  return out;
}

/** expandDecapsulationKey(sk) (draft-connolly-cfrg-xwing-kem-10 §5.2). */
async function expand(b: CryptoBackend, seed: Uint8Array): Promise<Expanded> {
  const expanded = shake256(seed, { dkLen: 96 }); // d || z || sk_X
  try {
    const { publicKey: pkM, secretKey: skM } = ml_kem768.keygen(expanded.subarray(0, 64));
    const skX = expanded.slice(64, 96);
    const pkX = await x25519(b, skX, X25519_BASE);
    return { pkM, skM, skX, pkX };
  } finally {
    wipe(expanded);
  }
}

/** Expansions in progress by private-key array: concurrent first uses share one. */
const expanding = new WeakMap<Uint8Array, Promise<Expanded>>();

async function expandedKey(b: CryptoBackend, seed: Uint8Array): Promise<Expanded> {
  const hit = expandedKeys.get(seed);
  if (hit !== undefined) return hit;
  // Without this, two first uses would both expand and the second would
  // replace the first in the cache, leaving its expanded secret unwiped.
  let p = expanding.get(seed);
  if (p === undefined) {
    p = expandedKeys
      .getOrImport(seed, (copy) => expand(b, copy))
      .finally(() => expanding.delete(seed));
    expanding.set(seed, p);
  }
  return p;
}

function publicKeyOf(e: Expanded): Uint8Array {
  return concat(e.pkM, e.pkX);
}

/** GenerateKeyPairDerand(seed): the seed is the private key (draft-connolly-cfrg-xwing-kem-10 §5.2). */
export async function keyPairFromSeed(b: CryptoBackend, seed: Uint8Array): Promise<KeyPair> {
  const privateKey = seed.slice();
  const e = await expand(b, privateKey);
  expandedKeys.set(privateKey, e);
  return { privateKey, publicKey: publicKeyOf(e) };
}

/**
 * The public key of the seed `privateKey`, the caller's own array: the
 * expanded key is cached against that array (as a first decapsulation would),
 * so no copy of it is left behind. A caller that then finds the key does not
 * match calls `forgetSeed`.
 */
export async function publicKeyFromSeed(
  b: CryptoBackend,
  privateKey: Uint8Array,
): Promise<Uint8Array> {
  return publicKeyOf(await expandedKey(b, privateKey));
}

/** Drops and erases the expanded key cached for `privateKey`. */
export function forgetSeed(privateKey: Uint8Array): void {
  expandedKeys.forget(privateKey);
}

/** GenerateKeyPair(): a random 32-byte seed. */
export async function generateKeyPair(b: CryptoBackend): Promise<KeyPair> {
  const seed = b.randomBytes(XWING_NSK);
  try {
    return await keyPairFromSeed(b, seed);
  } finally {
    wipe(seed);
  }
}

/** DeriveKeyPair(ikm) of draft-ietf-hpke-pq-04 §3 (labelled, with the KEM suite_id). */
export async function deriveKeyPair(b: CryptoBackend, ikm: Uint8Array): Promise<KeyPair> {
  const seed = deriveSeed(ikm);
  try {
    return await keyPairFromSeed(b, seed);
  } finally {
    wipe(seed);
  }
}

/** The combiner (draft-connolly-cfrg-xwing-kem-10 §5.3): SHA3-256(ss_M || ss_X || ct_X || pk_X || label). */
function combine(ssM: Uint8Array, ssX: Uint8Array, ctX: Uint8Array, pkX: Uint8Array): Uint8Array {
  const input = concat(ssM, ssX, ctX, pkX, XWING_LABEL);
  try {
    return sha3_256(input);
  } finally {
    wipe(input, ssM, ssX);
  }
}

/**
 * Encapsulate(pk) / EncapsulateDerand(pk, eseed) (draft-connolly-cfrg-xwing-kem-10
 * §5.4); `randomness` is the 64-byte eseed, for known-answer tests only.
 */
export async function encap(
  b: CryptoBackend,
  recipientPublicKey: Uint8Array,
  randomness?: Uint8Array,
): Promise<{ sharedSecret: Uint8Array; enc: Uint8Array }> {
  const eseed = randomness ?? b.randomBytes(XWING_NRAND);
  try {
    let prepared: Prepared;
    try {
      prepared = await preparedPublicKeys.getOrImport(recipientPublicKey, async (copy) =>
        ml_kem768.prepare(copy.subarray(0, NPK_M)),
      );
    } catch {
      throw kemFailed(); // FIPS 203 §7.2 modulus check failed
    }
    const pkX = recipientPublicKey.subarray(NPK_M);
    const ekX = eseed.subarray(32, 64);
    const ctX = await x25519(b, ekX, X25519_BASE);
    const ssX = await x25519(b, ekX, pkX);
    const { cipherText: ctM, sharedSecret: ssM } = prepared.encapsulate(eseed.subarray(0, 32));
    return { sharedSecret: combine(ssM, ssX, ctX, pkX), enc: concat(ctM, ctX) };
  } finally {
    if (randomness === undefined) wipe(eseed);
  }
}

/**
 * Decapsulate(ct, sk) (draft-connolly-cfrg-xwing-kem-10 §5.5). ML-KEM
 * rejects implicitly (a wrong ct_M gives an unrelated secret), so a
 * ciphertext for another key fails later, at the AEAD, whichever half is
 * wrong; only a low-order ct_X fails here, with the same ERR_HPKE as every
 * KEM failure.
 */
export async function decap(
  b: CryptoBackend,
  enc: Uint8Array,
  recipient: KeyPair,
): Promise<Uint8Array> {
  const e = await expandedKey(b, recipient.privateKey);
  if (!equalBytes(publicKeyOf(e), recipient.publicKey)) {
    throw invalidArgument('recipientKey.publicKey', 'the public key of recipientKey.privateKey');
  }
  const ctM = enc.subarray(0, NCT_M);
  const ctX = enc.subarray(NCT_M);
  // ML-KEM first, synchronously, and X25519 on a copy of sk_X: the cache may
  // erase `e` (its array refilled) while this call awaits.
  let ssM: Uint8Array;
  try {
    e.prepared ??= ml_kem768.prepare(e.pkM);
    ssM = e.prepared.decapsulate(ctM, e.skM);
  } catch {
    throw kemFailed();
  }
  const skX = e.skX.slice();
  const pkX = e.pkX;
  let ssX: Uint8Array;
  try {
    ssX = await x25519(b, skX, ctX);
  } catch (err) {
    wipe(ssM);
    throw err;
  } finally {
    wipe(skX);
  }
  return combine(ssM, ssX, ctX, pkX);
}

/** Decapsulation without the per-key cache, for measuring what the cache saves. */
export async function decapUncached(
  b: CryptoBackend,
  enc: Uint8Array,
  recipient: KeyPair,
): Promise<Uint8Array> {
  const e = await expand(b, recipient.privateKey);
  try {
    const ssX = await x25519(b, e.skX, enc.subarray(NCT_M));
    const ssM = ml_kem768.decapsulate(enc.subarray(0, NCT_M), e.skM);
    return combine(ssM, ssX, enc.subarray(NCT_M), e.pkX);
  } finally {
    wipe(e.skM, e.skX);
  }
}
