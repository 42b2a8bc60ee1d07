/**
 * Envelope suites (SPEC.md §5): a KEM, DHKEM(X25519, HKDF-SHA256) or the
 * post-quantum hybrid X-Wing (SPEC.md §5.4), HKDF-SHA256 and one of three
 * AEADs. The export-only AEAD cannot carry a body and is not an envelope
 * suite.
 */
import type { AeadAlgorithm, CryptoBackend } from '../backend/types.js';
import { BlindwireError, ErrorCode } from '../errors.js';
import { Aead, Kdf, Kem, createSuite, type AeadId, type KemId, type Suite } from '../hpke/index.js';
import { kemOps } from '../hpke/kem.js';
import type { SuiteIds } from './header.js';

/**
 * The AEAD of an envelope suite (SPEC.md §5), by name: each suite is DHKEM(X25519, HKDF-SHA256)
 * and HKDF-SHA256 with this AEAD.
 */
export type AeadName = 'AES-128-GCM' | 'AES-256-GCM' | 'ChaCha20-Poly1305';
/** The envelope KEMs (SPEC.md §5): classical X25519 and the hybrid X-Wing. */
export type KemName = 'X25519' | 'X-Wing';

export interface EnvelopeSuite {
  /** The AEAD name for the X25519 suites (as before hybrids); `X-Wing/<AEAD>` for X-Wing. */
  name: string;
  aead: AeadName;
  kem: KemName;
  ids: SuiteIds;
  /** Key length of the AEAD (Nk). */
  keyLength: number;
  algorithm: AeadAlgorithm;
  /** Nenc of the KEM: the length of each recipient's `enc` (SPEC.md §4.1). */
  encLength: number;
}

const AEADS: Record<AeadName, { id: AeadId; keyLength: number; algorithm: AeadAlgorithm }> = {
  'AES-128-GCM': { id: Aead.Aes128Gcm, keyLength: 16, algorithm: 'aes-128-gcm' },
  'AES-256-GCM': { id: Aead.Aes256Gcm, keyLength: 32, algorithm: 'aes-256-gcm' },
  'ChaCha20-Poly1305': { id: Aead.ChaCha20Poly1305, keyLength: 32, algorithm: 'chacha20-poly1305' },
};

export const KEMS: Record<KemName, { id: KemId; encLength: number; publicKeyLength: number }> = {
  X25519: { id: Kem.DhkemX25519HkdfSha256, encLength: 32, publicKeyLength: 32 },
  'X-Wing': { id: Kem.XWing, encLength: 1120, publicKeyLength: 1216 },
};

export const DEFAULT_AEAD: AeadName = 'AES-256-GCM';
export const AEAD_NAMES = Object.keys(AEADS) as AeadName[];
export const KEM_NAMES = Object.keys(KEMS) as KemName[];

function makeSuite(kem: KemName, aead: AeadName): EnvelopeSuite {
  const a = AEADS[aead];
  const k = KEMS[kem];
  return Object.freeze({
    name: kem === 'X25519' ? aead : `${kem}/${aead}`,
    aead,
    kem,
    ids: { kem: k.id, kdf: Kdf.HkdfSha256, aead: a.id },
    keyLength: a.keyLength,
    algorithm: a.algorithm,
    encLength: k.encLength,
  });
}

const SUITES: EnvelopeSuite[] = KEM_NAMES.flatMap((k) => AEAD_NAMES.map((a) => makeSuite(k, a)));

/** The KEM of an encryption public key, by its length (32: X25519, 1216: X-Wing). */
export function kemOfPublicKey(publicKey: Uint8Array): KemName | undefined {
  for (const k of KEM_NAMES) if (KEMS[k].publicKeyLength === publicKey.length) return k;
  return undefined;
}

export { encLengthOf } from '../hpke/kem-params.js';

export function suiteByName(name: AeadName | undefined, kem: KemName = 'X25519'): EnvelopeSuite {
  const aead = name ?? DEFAULT_AEAD;
  let s: EnvelopeSuite | undefined;
  for (let i = 0; i < SUITES.length && !s; i++) {
    if (SUITES[i]!.aead === aead && SUITES[i]!.kem === kem) s = SUITES[i];
  }
  if (!s) {
    throw new BlindwireError(
      ErrorCode.UnsupportedSuite,
      `"aead" expected one of ${AEAD_NAMES.join(', ')}`,
    );
  }
  return s;
}

/**
 * SPEC.md §7 step 6: the header's suite must be known, its KEM available in
 * this build (X-Wing before `@blindwire/core/xwing` is refused here, from the
 * public header, naming that import) and its AEAD allowed.
 */
export function suiteFromIds(
  ids: SuiteIds,
  allowed: readonly AeadName[] | undefined,
): EnvelopeSuite {
  for (const s of SUITES) {
    if (s.ids.kem === ids.kem && s.ids.kdf === ids.kdf && s.ids.aead === ids.aead) {
      kemOps(s.ids.kem); // throws ERR_UNSUPPORTED_SUITE for an unregistered X-Wing
      if (allowed && !allowed.includes(s.aead)) break;
      return s;
    }
  }
  throw new BlindwireError(
    ErrorCode.UnsupportedSuite,
    `suite (${ids.kem}, ${ids.kdf}, ${ids.aead}) is not supported or not allowed`,
  );
}

function known(ids: SuiteIds): EnvelopeSuite | undefined {
  for (const s of SUITES) {
    if (s.ids.kem === ids.kem && s.ids.kdf === ids.kdf && s.ids.aead === ids.aead) return s;
  }
  return undefined;
}

/** The suite's name, or `unknown` for ids this version does not implement (inspect never refuses them). */
export function suiteName(ids: SuiteIds): string {
  return known(ids)?.name ?? 'unknown';
}

/** The name of the suite's KEM, or `unknown` (inspect never refuses a suite). */
export function suiteKemName(ids: SuiteIds): KemName | 'unknown' {
  for (const k of KEM_NAMES) if (KEMS[k].id === ids.kem) return k;
  return 'unknown';
}

const hpkeCache = new WeakMap<CryptoBackend, Map<number, Suite>>();

/** The HPKE suite object for an envelope suite on a backend (cached). */
export function hpkeSuite(s: EnvelopeSuite, backend: CryptoBackend): Suite {
  let m = hpkeCache.get(backend);
  if (!m) {
    m = new Map();
    hpkeCache.set(backend, m);
  }
  const key = s.ids.kem * 0x10000 + s.ids.aead;
  let suite = m.get(key);
  if (!suite) {
    suite = createSuite(
      { kem: s.ids.kem as KemId, kdf: Kdf.HkdfSha256, aead: s.ids.aead as AeadId },
      { backend },
    );
    m.set(key, suite);
  }
  return suite;
}
