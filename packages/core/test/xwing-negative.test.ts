/**
 * Negative tests of HPKE with X-Wing, on every backend: wrong lengths of every
 * key and of enc, the modes X-Wing does not define, malformed public keys and
 * ciphertexts, and ciphertexts for another key. A ciphertext whose ML-KEM half
 * or X25519 half is wrong fails the same way (ML-KEM rejects implicitly, so
 * decapsulation gives an unrelated secret and the AEAD refuses), with the
 * same code and message whichever half it is.
 */
// X-Wing is opt-in where src/ is imported (the Node entry points register it).
import '../src/xwing.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Aead, createSuite, Kdf, Kem, type KeyPair } from '../src/hpke/index.js';
import { backends } from './helpers/backends.js';

const code = (c: string) => expect.objectContaining({ code: c });

async function failure(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (e) {
    const err = e as { code: string; message: string };
    return { code: err.code, message: err.message };
  }
  throw new Error('expected a failure');
}

describe.each(backends)('X-Wing negative cases on the $name backend', (backend) => {
  const suite = createSuite(
    { kem: Kem.XWing, kdf: Kdf.HkdfSha256, aead: Aead.ChaCha20Poly1305 },
    { backend },
  );
  const info = new Uint8Array([1, 2, 3]);
  let kp: KeyPair;
  let other: KeyPair;

  async function sealed() {
    kp ??= await suite.generateKeyPair();
    const { enc, context } = await suite.setupSender({ recipientPublicKey: kp.publicKey, info });
    const ct = await context.seal(new Uint8Array([42, 43]));
    return { enc, ct };
  }

  async function openWith(enc: Uint8Array, ct: Uint8Array, key: KeyPair = kp) {
    const ctx = await suite.setupRecipient({ enc, recipientKey: key, info });
    return ctx.open(ct);
  }

  it('key pairs are a 32-byte seed and a 1216-byte public key', async () => {
    kp ??= await suite.generateKeyPair();
    expect(kp.privateKey).toHaveLength(32);
    expect(kp.publicKey).toHaveLength(1216);
  });

  it.each([0, 32, 1215, 1217])('"recipientPublicKey" of %i bytes is refused', async (n) => {
    await expect(suite.setupSender({ recipientPublicKey: new Uint8Array(n) })).rejects.toThrow(
      code('ERR_INVALID_ARGUMENT'),
    );
  });

  it.each([32, 1119, 1121])('"enc" of %i bytes is refused', async (n) => {
    const { enc } = await sealed();
    const wrong = new Uint8Array(n);
    wrong.set(enc.subarray(0, Math.min(n, enc.length)));
    await expect(suite.setupRecipient({ enc: wrong, recipientKey: kp })).rejects.toThrow(
      code('ERR_INVALID_ARGUMENT'),
    );
  });

  it.each([31, 33, 64, 2400])(
    'a private key of %i bytes (never an expanded key) is refused',
    async (n) => {
      const { enc } = await sealed();
      await expect(
        suite.setupRecipient({
          enc,
          recipientKey: { privateKey: new Uint8Array(n), publicKey: kp.publicKey },
        }),
      ).rejects.toThrow(code('ERR_INVALID_ARGUMENT'));
    },
  );

  it("a public key that is not the seed's is refused", async () => {
    const { enc } = await sealed();
    other ??= await suite.generateKeyPair();
    await expect(
      suite.setupRecipient({
        enc,
        recipientKey: { privateKey: kp.privateKey, publicKey: other.publicKey },
      }),
    ).rejects.toThrow(code('ERR_INVALID_ARGUMENT'));
  });

  it('the PSK and Auth modes and injected ephemeral key pairs are refused', async () => {
    kp ??= await suite.generateKeyPair();
    const psk = { psk: new Uint8Array(32), pskId: new Uint8Array([1]) };
    await expect(suite.setupSender({ recipientPublicKey: kp.publicKey, ...psk })).rejects.toThrow(
      code('ERR_INVALID_ARGUMENT'),
    );
    await expect(
      suite.setupSender({ recipientPublicKey: kp.publicKey, senderKey: kp }),
    ).rejects.toThrow(code('ERR_INVALID_ARGUMENT'));
    await expect(
      suite.setupSender({ recipientPublicKey: kp.publicKey, ephemeralKeyPair: kp }),
    ).rejects.toThrow(code('ERR_INVALID_ARGUMENT'));
    const { enc } = await sealed();
    await expect(suite.setupRecipient({ enc, recipientKey: kp, ...psk })).rejects.toThrow(
      code('ERR_INVALID_ARGUMENT'),
    );
    await expect(
      suite.setupRecipient({ enc, recipientKey: kp, senderPublicKey: kp.publicKey }),
    ).rejects.toThrow(code('ERR_INVALID_ARGUMENT'));
  });

  it('"ikmE" must be the 64-byte encapsulation randomness', async () => {
    kp ??= await suite.generateKeyPair();
    for (const n of [32, 63, 65]) {
      await expect(
        suite.setupSender({ recipientPublicKey: kp.publicKey, ikmE: new Uint8Array(n) }),
      ).rejects.toThrow(code('ERR_INVALID_ARGUMENT'));
    }
  });

  it('a public key whose ML-KEM half breaks the modulus check is refused (FIPS 203 §7.2)', async () => {
    kp ??= await suite.generateKeyPair();
    const bad = kp.publicKey.slice();
    bad.fill(0xff, 0, 384); // coefficients of 4095 >= q
    await expect(suite.setupSender({ recipientPublicKey: bad })).rejects.toThrow(code('ERR_HPKE'));
  });

  it('a low-order X25519 half of the public key is refused', async () => {
    kp ??= await suite.generateKeyPair();
    const bad = kp.publicKey.slice();
    bad.fill(0, 1184); // u = 0
    await expect(suite.setupSender({ recipientPublicKey: bad })).rejects.toThrow(code('ERR_HPKE'));
  });

  it('a wrong ML-KEM half, a wrong X25519 half and another key fail alike', async () => {
    const { enc, ct } = await sealed();
    other ??= await suite.generateKeyPair();
    const badM = enc.slice();
    badM[100]! ^= 1;
    const badX = enc.slice();
    badX[1110]! ^= 1;
    const results = [
      await failure(openWith(badM, ct)),
      await failure(openWith(badX, ct)),
      await failure(openWith(enc, ct, other)),
    ];
    expect(results[0]).toEqual(results[1]);
    expect(results[0]).toEqual(results[2]);
    expect(await openWith(enc, ct)).toEqual(new Uint8Array([42, 43]));
  });

  it('any flipped bit of enc makes open fail, never return plaintext', async () => {
    const { enc, ct } = await sealed();
    const reference = await failure(openWith(enc, ct, (other ??= await suite.generateKeyPair())));
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: enc.length * 8 - 1 }), async (bit) => {
        const bad = enc.slice();
        bad[bit >> 3]! ^= 1 << (bit & 7);
        const f = await failure(openWith(bad, ct));
        // A low-order ct_X is refused at decapsulation; every other flip at the AEAD.
        expect([reference.code, 'ERR_HPKE']).toContain(f.code);
      }),
      { numRuns: 24 },
    );
  });
});

describe('the per-key cache of expanded X-Wing keys', () => {
  it('erases a cached key whose private-key array was wiped, and never serves it', async () => {
    const { KeyCache } = await import('../src/backend/key-cache.js');
    const evicted: Uint8Array[] = [];
    const cache = new KeyCache<Uint8Array>((k) => {
      evicted.push(k);
      k.fill(0);
    });
    const raw = new Uint8Array(32).fill(1);
    const secret = new Uint8Array(8).fill(9);
    cache.set(raw, secret);
    expect(cache.get(raw)).toBe(secret);
    raw.fill(0); // the caller wipes its key
    expect(cache.get(raw)).toBeUndefined();
    expect(evicted).toEqual([new Uint8Array(8)]);
    const other = new Uint8Array(32).fill(2);
    cache.set(other, new Uint8Array(4).fill(5));
    cache.forget(other);
    expect(evicted).toHaveLength(2);
  });

  it('a wiped and refilled seed array decapsulates with the new seed, not the cached one', async () => {
    const [backend] = backends;
    const suite = createSuite(
      { kem: Kem.XWing, kdf: Kdf.HkdfSha256, aead: Aead.ChaCha20Poly1305 },
      { backend },
    );
    const a = await suite.generateKeyPair();
    const b = await suite.generateKeyPair();
    const { enc, context } = await suite.setupSender({ recipientPublicKey: b.publicKey });
    const ct = await context.seal(new Uint8Array([1]));
    const key = { privateKey: a.privateKey.slice(), publicKey: a.publicKey };
    await expect(suite.setupRecipient({ enc, recipientKey: key })).resolves.toBeDefined(); // cached for a
    key.privateKey.set(b.privateKey); // refilled with b's seed
    key.publicKey = b.publicKey;
    const ctx = await suite.setupRecipient({ enc, recipientKey: key });
    expect(await ctx.open(ct)).toEqual(new Uint8Array([1]));
  });
});
