/**
 * Differential tests between the backends (byte-identical, with identical
 * decisions: SPEC.md §5.3 strict verification, and §12, every vector on
 * every backend) on random inputs: every output equals the pure
 * backend's, and what one backend produces every other one accepts
 * (sign/verify, seal/open, X25519 both ways). Also the backends' shared
 * argument checks, key caches, output types and native paths.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { nodeBackendSelfTest } from '../src/backend/node.js';
import { aeadSealInto } from '../src/backend/checks.js';
import type { AeadAlgorithm, CryptoBackend } from '../src/backend/types.js';
import { webBackendSupport } from '../src/backend/web.js';
import { backends } from './helpers/backends.js';

const [reference, ...others] = backends as [CryptoBackend, ...CryptoBackend[]];
const ALGS: AeadAlgorithm[] = ['aes-128-gcm', 'aes-256-gcm', 'chacha20-poly1305'];
const KEY_LENGTH: Record<AeadAlgorithm, number> = {
  'aes-128-gcm': 16,
  'aes-256-gcm': 32,
  'chacha20-poly1305': 32,
};

const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
/** Sizes on both sides of the web backend's native thresholds (1 KiB hash, 8 KiB HMAC). */
const data = fc.oneof(
  fc.uint8Array({ maxLength: 300 }),
  fc.uint8Array({ minLength: 1000, maxLength: 1100 }),
  fc.uint8Array({ minLength: 8100, maxLength: 8300 }),
);
const flip = (b: Uint8Array, bit: number) => {
  const out = b.slice();
  out[(bit >> 3) % out.length]! ^= 1 << (bit & 7);
  return out;
};
const isPlain = (b: unknown) => Object.getPrototypeOf(b) === Uint8Array.prototype;
/** toEqual, without vitest's element-by-element walk over large arrays when they match. */
function expectBytes(got: Uint8Array | undefined, want: Uint8Array, label: string) {
  const same = got !== undefined && Buffer.compare(got, want) === 0;
  if (!same) expect(got, label).toEqual(want);
}

test('the list holds pure, node and web, and the native ones really run natively', async () => {
  expect(backends.map((b) => b.name)).toEqual(['pure', 'node', 'web']);
  // Environment-dependent: Node 20 and 22 import a private key from a JWK whose
  // `x` is not checked against `d` (the fast path); Node 24 and later refuse
  // it (ERR_CRYPTO_INVALID_JWK) and the backend falls back to PKCS#8, which the
  // cross-backend properties below exercise on whichever path is active.
  const jwkFastPath = Number(process.versions.node.split('.')[0]) < 24;
  expect(nodeBackendSelfTest()).toEqual({
    jwkPrivateImport: jwkFastPath,
    cofactorlessVerify: true,
  });
  expect(await webBackendSupport()).toEqual({ subtle: true, x25519: true, ed25519: true });
});

test('SHA-256, SHA-512 and HMAC-SHA256 are identical', async () => {
  await fc.assert(
    fc.asyncProperty(data, fc.uint8Array({ maxLength: 100 }), async (msg, key) => {
      const want = [
        await reference.sha256(msg),
        await reference.sha512(msg),
        await reference.hmacSha256(key, msg),
      ];
      for (const b of others) {
        const got = [await b.sha256(msg), await b.sha512(msg), await b.hmacSha256(key, msg)];
        expect(got, b.name).toEqual(want);
        expect(got.every(isPlain), b.name).toBe(true);
      }
    }),
    { numRuns: 60 },
  );
});

describe.each(ALGS)('%s', (alg) => {
  test('seal is identical; each backend opens every backend’s ciphertext; a flipped bit fails everywhere', async () => {
    const input = fc.record({
      key: bytes(KEY_LENGTH[alg]),
      nonce: bytes(12),
      plaintext: fc.oneof(
        fc.uint8Array({ maxLength: 200 }),
        fc.uint8Array({ minLength: 4000, maxLength: 5000 }),
      ),
      aad: fc.uint8Array({ maxLength: 64 }),
      bit: fc.nat(),
    });
    await fc.assert(
      fc.asyncProperty(input, async ({ key, nonce, plaintext, aad, bit }) => {
        const sealed = await reference.aeadSeal(alg, key, nonce, plaintext, aad);
        expect(sealed.length).toBe(plaintext.length + 16);
        for (const b of others)
          expect(await b.aeadSeal(alg, key, nonce, plaintext, aad), b.name).toEqual(sealed);
        const tampered = flip(sealed, bit);
        for (const b of backends) {
          const opened = await b.aeadOpen(alg, key, nonce, sealed, aad);
          expectBytes(opened, plaintext, b.name);
          expect(isPlain(opened), b.name).toBe(true);
          expect(await b.aeadOpen(alg, key, nonce, tampered, aad), b.name).toBeUndefined();
          expect(
            await b.aeadOpen(alg, key, nonce, sealed.subarray(0, 15), aad),
            b.name,
          ).toBeUndefined();
        }
      }),
      { numRuns: 40 },
    );
  });

  test('a 1 MiB message round-trips across backends', async () => {
    const key = reference.randomBytes(KEY_LENGTH[alg]);
    const nonce = reference.randomBytes(12);
    const plaintext = reference.randomBytes(1 << 20);
    const sealed = await reference.aeadSeal(alg, key, nonce, plaintext, new Uint8Array(0));
    for (const b of others) {
      expectBytes(await b.aeadSeal(alg, key, nonce, plaintext, new Uint8Array(0)), sealed, b.name);
      expectBytes(await b.aeadOpen(alg, key, nonce, sealed, new Uint8Array(0)), plaintext, b.name);
    }
  });
  test('sealing parts into a buffer (aeadSealInto) equals aeadSeal of their concatenation, bytes around untouched', async () => {
    // Parts of random sizes, some crossing the node backend's 64 KiB update size.
    const size = fc.oneof(
      fc.integer({ min: 0, max: 300 }),
      fc.integer({ min: 65_000, max: 140_000 }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(size, { maxLength: 4 }),
        fc.integer({ min: 0, max: 40 }),
        fc.integer({ min: 0, max: 40 }),
        async (sizes, before, after) => {
          const key = reference.randomBytes(KEY_LENGTH[alg]);
          const nonce = reference.randomBytes(12);
          const aad = reference.randomBytes(before);
          const parts = sizes.map((n) => reference.randomBytes(n));
          const whole = new Uint8Array(sizes.reduce((a, n) => a + n, 0));
          let o = 0;
          for (const p of parts) {
            whole.set(p, o);
            o += p.length;
          }
          const want = await reference.aeadSeal(alg, key, nonce, whole, aad);
          for (const b of backends) {
            const out = new Uint8Array(before + want.length + after).fill(0xa5);
            await aeadSealInto(b, alg, key, nonce, parts, aad, out, before);
            expectBytes(out.subarray(before, before + want.length), want, b.name);
            const around = [...out.subarray(0, before), ...out.subarray(before + want.length)];
            expect(
              around.every((x) => x === 0xa5),
              b.name,
            ).toBe(true);
            if (b.aeadSealParts) {
              // No room for the tag: refused before anything is written.
              const short = new Uint8Array(before + want.length - 1);
              await expect(
                b.aeadSealParts(alg, key, nonce, parts, aad, short, before),
              ).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
            }
          }
        },
      ),
      { numRuns: 12 },
    );
    // The node backend has the native path; the others use the fallback.
    expect(backends.filter((b) => b.aeadSealParts).map((b) => b.name)).toEqual(['node']);
  });
});

test('X25519: public keys and shared secrets are identical, computed both ways', async () => {
  await fc.assert(
    fc.asyncProperty(bytes(32), bytes(32), async (a, b) => {
      const A = await reference.x25519PublicKey(a);
      const B = await reference.x25519PublicKey(b);
      const shared = await reference.x25519(a, B);
      for (const x of backends) {
        expect(await x.x25519PublicKey(a), x.name).toEqual(A);
        expect(await x.x25519PublicKey(b), x.name).toEqual(B);
        expect(await x.x25519(a, B), x.name).toEqual(shared);
        expect(await x.x25519(b, A), x.name).toEqual(shared);
      }
    }),
    { numRuns: 15 },
  );
});

test('X25519: generated key pairs are consistent on every other backend', async () => {
  for (const gen of backends) {
    const pair = await gen.x25519GenerateKeyPair();
    const peer = await gen.x25519GenerateKeyPair();
    expect(isPlain(pair.privateKey) && isPlain(pair.publicKey), gen.name).toBe(true);
    const shared = await gen.x25519(pair.privateKey, peer.publicKey);
    for (const x of backends) {
      expect(await x.x25519PublicKey(pair.privateKey), `${gen.name} -> ${x.name}`).toEqual(
        pair.publicKey,
      );
      expect(await x.x25519(peer.privateKey, pair.publicKey), `${gen.name} -> ${x.name}`).toEqual(
        shared,
      );
    }
  }
});

test('Ed25519: keys and signatures are identical; each verifies every other’s; a flipped bit fails', async () => {
  await fc.assert(
    fc.asyncProperty(
      bytes(32),
      fc.uint8Array({ maxLength: 300 }),
      fc.nat(),
      async (seed, msg, bit) => {
        const pub = await reference.ed25519PublicKey(seed);
        const sig = await reference.ed25519Sign(seed, msg);
        for (const b of others) {
          expect(await b.ed25519PublicKey(seed), b.name).toEqual(pub);
          expect(await b.ed25519Sign(seed, msg), b.name).toEqual(sig);
        }
        for (const b of backends) {
          expect(await b.ed25519Verify(pub, msg, sig), b.name).toBe(true);
          expect(await b.ed25519Verify(pub, msg, flip(sig, bit)), b.name).toBe(false);
          if (msg.length > 0)
            expect(await b.ed25519Verify(pub, flip(msg, bit), sig), b.name).toBe(false);
        }
      },
    ),
    { numRuns: 20 },
  );
});

test('wrong sizes are the same ERR_INVALID_ARGUMENT on every backend', async () => {
  const err = { code: 'ERR_INVALID_ARGUMENT' };
  const k31 = new Uint8Array(31);
  const k32 = new Uint8Array(32).fill(9);
  const n12 = new Uint8Array(12);
  const none = new Uint8Array(0);
  for (const b of backends) {
    await expect(b.aeadSeal('aes-128-gcm', k32, n12, none, none), b.name).rejects.toMatchObject(
      err,
    );
    await expect(
      b.aeadOpen('aes-256-gcm', new Uint8Array(16), n12, new Uint8Array(16), none),
    ).rejects.toMatchObject(err);
    await expect(
      b.aeadSeal('aes-256-gcm', k32, new Uint8Array(16), none, none),
      b.name,
    ).rejects.toMatchObject(err);
    await expect(
      b.aeadSeal('chacha20-poly1305', k31, n12, none, none),
      b.name,
    ).rejects.toMatchObject(err);
    await expect(b.x25519(k31, k32), b.name).rejects.toMatchObject(err);
    await expect(b.x25519(k32, k31), b.name).rejects.toMatchObject(err);
    await expect(b.x25519PublicKey(k31), b.name).rejects.toMatchObject(err);
    await expect(b.ed25519Sign(k31, none), b.name).rejects.toMatchObject(err);
    await expect(b.ed25519PublicKey(k31), b.name).rejects.toMatchObject(err);
    // Not bytes at all: the same code, not a TypeError (or an undefined "failure").
    const notBytes = [1, 2, 3] as unknown as Uint8Array;
    await expect(b.aeadSeal('aes-256-gcm', k32, n12, notBytes, none), b.name).rejects.toMatchObject(
      err,
    );
    await expect(b.aeadOpen('aes-256-gcm', k32, n12, notBytes, none), b.name).rejects.toMatchObject(
      err,
    );
    expect(await b.ed25519Verify(k31, none, new Uint8Array(64)), b.name).toBe(false);
  }
});

test('a key array refilled after use is never served from a cache', async () => {
  for (const b of backends) {
    const seed = reference.randomBytes(32);
    const first = await b.ed25519PublicKey(seed);
    const x = reference.randomBytes(32);
    const xFirst = await b.x25519PublicKey(x);
    const aesKey = reference.randomBytes(32);
    const nonce = new Uint8Array(12);
    const sealed = await b.aeadSeal(
      'aes-256-gcm',
      aesKey,
      nonce,
      new Uint8Array(8),
      new Uint8Array(0),
    );

    seed.set(reference.randomBytes(32));
    x.set(reference.randomBytes(32));
    aesKey.set(reference.randomBytes(32));
    expect(await b.ed25519PublicKey(seed), b.name).toEqual(await reference.ed25519PublicKey(seed));
    expect(await b.ed25519PublicKey(seed), b.name).not.toEqual(first);
    expect(await b.x25519PublicKey(x), b.name).toEqual(await reference.x25519PublicKey(x));
    expect(await b.x25519PublicKey(x), b.name).not.toEqual(xFirst);
    expect(
      await b.aeadOpen('aes-256-gcm', aesKey, nonce, sealed, new Uint8Array(0)),
      b.name,
    ).toBeUndefined();
  }
});

test('a key array refilled while its first import is in flight is not bound to the old key', async () => {
  // The web backend imports asynchronously; the cache used to copy the array
  // after the await, binding the new bytes to the key of the old ones.
  const msg = new TextEncoder().encode('hello');
  for (const b of backends) {
    for (let ticks = 0; ticks < 12; ticks++) {
      const a = reference.randomBytes(32);
      const other = reference.randomBytes(32);
      const seed = a.slice();
      const first = b.ed25519PublicKey(seed); // the first use of this array: an import of `a`
      for (let i = 0; i < ticks; i++) await Promise.resolve();
      seed.set(other); // refilled meanwhile
      // Which bytes the in-flight call read is the caller's race; either is fine.
      const got = await first;
      const candidates = [
        await reference.ed25519PublicKey(a),
        await reference.ed25519PublicKey(other),
      ];
      expect(
        candidates.some((c) => Buffer.compare(c, got) === 0),
        b.name,
      ).toBe(true);
      const sig = await b.ed25519Sign(seed, msg);
      expect(sig, `${b.name}, ${ticks} ticks`).toEqual(await reference.ed25519Sign(other, msg));
      expect(await b.ed25519PublicKey(seed), b.name).toEqual(
        await reference.ed25519PublicKey(other),
      );
    }
  }
});

test('randomBytes gives plain arrays of the asked length, beyond getRandomValues’ 64 KiB', () => {
  for (const b of backends) {
    for (const n of [0, 1, 32, 65536, 65537, 200_000]) {
      const r = b.randomBytes(n);
      expect(r.length, `${b.name} ${n}`).toBe(n);
      expect(isPlain(r), b.name).toBe(true);
    }
    expect(b.randomBytes(32), b.name).not.toEqual(b.randomBytes(32));
  }
});
