/**
 * Project Wycheproof vectors (../shared/vectors/wycheproof) on every backend:
 * X25519 (RFC 7748), AES-128/256-GCM and ChaCha20-Poly1305 with 96-bit nonces
 * (RFC 9180 §7.3), HKDF-SHA256 (RFC 5869) built on the backend's HMAC, and
 * strict Ed25519 verification (RFC 8032 §5.1.7). Each group asserts how many
 * cases it ran, so the file cannot pass on zero vectors.
 */
import { describe, expect, test } from 'vitest';
import { concat } from '../src/bytes.js';
import type { AeadAlgorithm, CryptoBackend } from '../src/backend/types.js';
import { backends } from './helpers/backends.js';
import { hex, loadVectors } from './helpers/vectors.js';

type Result = 'valid' | 'acceptable' | 'invalid';
interface Suite<G> {
  numberOfTests: number;
  testGroups: G[];
}
interface XdhTest {
  tcId: number;
  public: string;
  private: string;
  shared: string;
  result: Result;
}
interface AeadGroup {
  keySize: number;
  ivSize: number;
  tagSize: number;
  tests: {
    tcId: number;
    key: string;
    iv: string;
    aad: string;
    msg: string;
    ct: string;
    tag: string;
    result: Result;
  }[];
}
interface HkdfTest {
  tcId: number;
  ikm: string;
  salt: string;
  info: string;
  size: number;
  okm: string;
  result: Result;
}
interface EddsaGroup {
  publicKey: { pk: string };
  tests: { tcId: number; msg: string; sig: string; result: Result }[];
}

const x25519 = loadVectors<Suite<{ tests: XdhTest[] }>>('wycheproof/x25519_test.json');
const aesGcm = loadVectors<Suite<AeadGroup>>('wycheproof/aes_gcm_test.json');
const chacha = loadVectors<Suite<AeadGroup>>('wycheproof/chacha20_poly1305_test.json');
const hkdfSuite = loadVectors<Suite<{ tests: HkdfTest[] }>>('wycheproof/hkdf_sha256_test.json');
const ed25519 = loadVectors<Suite<EddsaGroup>>('wycheproof/ed25519_test.json');

/**
 * Wycheproof `valid` Ed25519 cases that strict verification rejects by design
 * (tcId -> reason). Empty: no valid case has a small-order or non-canonical A
 * or R, and every valid signature satisfies the cofactorless equation.
 */
const STRICT_REJECTS_VALID: ReadonlyMap<number, string> = new Map();

const isZero = (b: Uint8Array) => b.every((x) => x === 0);

/** HKDF-SHA256 (RFC 5869 §2.2-2.3) over the backend's HMAC; `salt` is used as given (HMAC pads it). */
async function hkdf(
  b: CryptoBackend,
  ikm: Uint8Array,
  salt: Uint8Array,
  info: Uint8Array,
  length: number,
) {
  if (length > 255 * 32) throw new RangeError('HKDF: length > 255 * HashLen'); // RFC 5869 §2.3
  const prk = await b.hmacSha256(salt, ikm);
  const okm = new Uint8Array(length);
  let t: Uint8Array = new Uint8Array(0);
  for (let i = 1, off = 0; off < length; i++, off += 32) {
    t = await b.hmacSha256(prk, concat(t, info, new Uint8Array([i])));
    okm.set(t.subarray(0, Math.min(32, length - off)), off);
  }
  return okm;
}

async function outcome<T>(p: Promise<T>): Promise<T | 'threw'> {
  try {
    return await p;
  } catch {
    return 'threw';
  }
}

describe.each(backends.map((b) => [b.name, b] as const))('%s backend', (_name, backend) => {
  test('X25519: valid and acceptable cases computed; the 31 all-zero results are thrown', async () => {
    const counts = { valid: 0, acceptableComputed: 0, zeroThrown: 0, zeroReturned: 0 };
    for (const t of x25519.testGroups.flatMap((g) => g.tests)) {
      const expected = hex(t.shared);
      const out = await outcome(backend.x25519(hex(t.private), hex(t.public)));
      if (isZero(expected)) {
        // RFC 7748 §6.1: low-order public keys; the interface allows a throw or zero.
        expect(t.result, `tcId ${t.tcId}`).toBe('acceptable');
        if (out === 'threw') counts.zeroThrown++;
        else {
          expect(out, `tcId ${t.tcId}`).toEqual(expected);
          counts.zeroReturned++;
        }
        continue;
      }
      expect(out, `tcId ${t.tcId}`).toEqual(expected);
      if (t.result === 'valid') counts.valid++;
      else counts.acceptableComputed++;
    }
    // Recorded behaviour: every backend throws rather than returning zeros.
    expect(counts).toEqual({
      valid: 264,
      acceptableComputed: 223,
      zeroThrown: 31,
      zeroReturned: 0,
    });
  });

  test('AES-GCM (128/256-bit keys, 96-bit IV, 128-bit tag): valid open and seal, invalid rejected', async () => {
    const counts: Record<string, { valid: number; invalid: number }> = {};
    for (const g of aesGcm.testGroups) {
      if (g.ivSize !== 96 || g.tagSize !== 128 || (g.keySize !== 128 && g.keySize !== 256))
        continue;
      const alg: AeadAlgorithm = g.keySize === 128 ? 'aes-128-gcm' : 'aes-256-gcm';
      const c = (counts[alg] ??= { valid: 0, invalid: 0 });
      await runAead(backend, alg, g, c);
    }
    expect(counts).toEqual({
      'aes-128-gcm': { valid: 40, invalid: 27 },
      'aes-256-gcm': { valid: 39, invalid: 27 },
    });
  });

  test('ChaCha20-Poly1305 (96-bit nonce): valid open and seal, invalid rejected', async () => {
    const c = { valid: 0, invalid: 0 };
    for (const g of chacha.testGroups)
      if (g.ivSize === 96) await runAead(backend, 'chacha20-poly1305', g, c);
    expect(c).toEqual({ valid: 256, invalid: 60 });
  });

  test('ChaCha20-Poly1305: the 9 other nonce sizes are argument errors on seal and open', async () => {
    let rejected = 0;
    for (const g of chacha.testGroups) {
      if (g.ivSize === 96) continue;
      for (const t of g.tests) {
        expect(t.result).toBe('invalid');
        const [key, iv, aad] = [hex(t.key), hex(t.iv), hex(t.aad)];
        const err = { code: 'ERR_INVALID_ARGUMENT' };
        await expect(
          backend.aeadSeal('chacha20-poly1305', key, iv, hex(t.msg), aad),
        ).rejects.toMatchObject(err);
        const ct = concat(hex(t.ct), hex(t.tag));
        await expect(backend.aeadOpen('chacha20-poly1305', key, iv, ct, aad)).rejects.toMatchObject(
          err,
        );
        rejected++;
      }
    }
    expect(rejected).toBe(9);
  });

  test('HKDF-SHA256 over hmacSha256: valid derived, oversize requests refused', async () => {
    const c = { valid: 0, invalid: 0 };
    for (const t of hkdfSuite.testGroups.flatMap((g) => g.tests)) {
      const out = await outcome(hkdf(backend, hex(t.ikm), hex(t.salt), hex(t.info), t.size));
      if (t.result === 'valid') {
        expect(out, `tcId ${t.tcId}`).toEqual(hex(t.okm));
        c.valid++;
      } else {
        expect(out, `tcId ${t.tcId}`).toBe('threw');
        c.invalid++;
      }
    }
    expect(c).toEqual({ valid: 83, invalid: 3 });
  });

  test('Ed25519 strict verify: no invalid accepted, every valid accepted but the listed exceptions', async () => {
    const c = { validAccepted: 0, validRejectedByDesign: 0, invalidRejected: 0 };
    for (const g of ed25519.testGroups) {
      const pk = hex(g.publicKey.pk);
      for (const t of g.tests) {
        const ok = await backend.ed25519Verify(pk, hex(t.msg), hex(t.sig));
        if (t.result === 'invalid') {
          expect(ok, `tcId ${t.tcId}`).toBe(false);
          c.invalidRejected++;
        } else if (STRICT_REJECTS_VALID.has(t.tcId)) {
          expect(ok, `tcId ${t.tcId}: ${STRICT_REJECTS_VALID.get(t.tcId)}`).toBe(false);
          c.validRejectedByDesign++;
        } else {
          expect(ok, `tcId ${t.tcId}`).toBe(true);
          c.validAccepted++;
        }
      }
    }
    expect(c).toEqual({
      validAccepted: 88,
      validRejectedByDesign: STRICT_REJECTS_VALID.size,
      invalidRejected: 63,
    });
  });
});

async function runAead(
  b: CryptoBackend,
  alg: AeadAlgorithm,
  g: AeadGroup,
  c: { valid: number; invalid: number },
) {
  for (const t of g.tests) {
    const [key, iv, aad, msg] = [hex(t.key), hex(t.iv), hex(t.aad), hex(t.msg)];
    const sealed = concat(hex(t.ct), hex(t.tag));
    const opened = await b.aeadOpen(alg, key, iv, sealed, aad);
    if (t.result === 'valid') {
      expect(opened, `tcId ${t.tcId}`).toEqual(msg);
      expect(await b.aeadSeal(alg, key, iv, msg, aad), `tcId ${t.tcId}`).toEqual(sealed);
      c.valid++;
    } else {
      expect(t.result).toBe('invalid');
      expect(opened, `tcId ${t.tcId}`).toBeUndefined();
      c.invalid++;
    }
  }
}
