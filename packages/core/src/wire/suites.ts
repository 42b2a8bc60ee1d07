/**
 * Envelope suites (SPEC.md §5): DHKEM(X25519, HKDF-SHA256) and HKDF-SHA256
 * with one of three AEADs. The export-only AEAD cannot carry a body and is
 * not an envelope suite.
 */
import type { AeadAlgorithm, CryptoBackend } from '../backend/types.js';
import { BlindwireError, ErrorCode } from '../errors.js';
import { Aead, Kdf, Kem, createSuite, type AeadId, type Suite } from '../hpke/index.js';
import type { SuiteIds } from './header.js';

/**
 * The AEAD of an envelope suite (SPEC.md §5), by name: each suite is DHKEM(X25519, HKDF-SHA256)
 * and HKDF-SHA256 with this AEAD.
 */
export type AeadName = 'AES-128-GCM' | 'AES-256-GCM' | 'ChaCha20-Poly1305';

export interface EnvelopeSuite {
  name: AeadName;
  ids: SuiteIds;
  /** Key length of the AEAD (Nk). */
  keyLength: number;
  algorithm: AeadAlgorithm;
}

const SUITES: Record<AeadName, EnvelopeSuite> = {
  'AES-128-GCM': {
    name: 'AES-128-GCM',
    ids: { kem: Kem.DhkemX25519HkdfSha256, kdf: Kdf.HkdfSha256, aead: Aead.Aes128Gcm },
    keyLength: 16,
    algorithm: 'aes-128-gcm',
  },
  'AES-256-GCM': {
    name: 'AES-256-GCM',
    ids: { kem: Kem.DhkemX25519HkdfSha256, kdf: Kdf.HkdfSha256, aead: Aead.Aes256Gcm },
    keyLength: 32,
    algorithm: 'aes-256-gcm',
  },
  'ChaCha20-Poly1305': {
    name: 'ChaCha20-Poly1305',
    ids: { kem: Kem.DhkemX25519HkdfSha256, kdf: Kdf.HkdfSha256, aead: Aead.ChaCha20Poly1305 },
    keyLength: 32,
    algorithm: 'chacha20-poly1305',
  },
};

export const DEFAULT_AEAD: AeadName = 'AES-256-GCM';
export const AEAD_NAMES = Object.keys(SUITES) as AeadName[];

export function suiteByName(name: AeadName | undefined): EnvelopeSuite {
  const s = SUITES[name ?? DEFAULT_AEAD];
  if (!s) {
    throw new BlindwireError(
      ErrorCode.UnsupportedSuite,
      `"aead" expected one of ${AEAD_NAMES.join(', ')}`,
    );
  }
  return s;
}

/** SPEC.md §7 step 6: the header's suite must be known and allowed. */
export function suiteFromIds(
  ids: SuiteIds,
  allowed: readonly AeadName[] | undefined,
): EnvelopeSuite {
  for (const s of Object.values(SUITES)) {
    if (s.ids.kem === ids.kem && s.ids.kdf === ids.kdf && s.ids.aead === ids.aead) {
      if (allowed && !allowed.includes(s.name)) break;
      return s;
    }
  }
  throw new BlindwireError(
    ErrorCode.UnsupportedSuite,
    `suite (${ids.kem}, ${ids.kdf}, ${ids.aead}) is not supported or not allowed`,
  );
}

/** The suite's name, or `unknown` for ids this version does not implement (inspect never refuses them). */
export function suiteName(ids: SuiteIds): string {
  for (const s of Object.values(SUITES)) {
    if (s.ids.kem === ids.kem && s.ids.kdf === ids.kdf && s.ids.aead === ids.aead) return s.name;
  }
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
  let suite = m.get(s.ids.aead);
  if (!suite) {
    suite = createSuite(
      { kem: Kem.DhkemX25519HkdfSha256, kdf: Kdf.HkdfSha256, aead: s.ids.aead as AeadId },
      { backend },
    );
    m.set(s.ids.aead, suite);
  }
  return suite;
}
