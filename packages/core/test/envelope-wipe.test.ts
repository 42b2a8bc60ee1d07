/**
 * Secret hygiene on failure paths (SPEC.md §7: "a plaintext buffer that fails
 * a later step is erased"; design: derived keys are wiped after use): every
 * HMAC output (HPKE secrets, message secret, content key, context key) that
 * open or seal derived is zero once the call has failed, and bad arguments are
 * refused before any key is derived.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { errorCode } from '@blindwire/testkit';
import type { CryptoBackend } from '../src/backend/types.js';
import { parseFrame } from '../src/wire/frame.js';
import { Kind } from '../src/wire/kinds.js';
import { decodeMessageHeader } from '../src/wire/header.js';
import { open } from '../src/envelope/open.js';
import { seal } from '../src/envelope/seal.js';
import { publicIdentity } from '../src/identity/identity.js';
import { DEFAULT_LIMITS } from '../src/limits.js';
import { NOW, cast, fastestBackend, trusted, type Cast } from './helpers/fixtures.js';

const base = fastestBackend();
let c: Cast;
beforeAll(async () => {
  c = await cast(base);
});

/** The backend, recording every array a key derivation or agreement returned, and every call. */
function spying() {
  const outputs: Uint8Array[] = [];
  const labels = new Map<Uint8Array, string>();
  const calls: string[] = [];
  const backend: CryptoBackend = {
    ...base,
    hmacSha256: async (k, d) => {
      calls.push('hmacSha256');
      const out = await base.hmacSha256(k, d);
      outputs.push(out);
      labels.set(out, new TextDecoder().decode(d.filter((x) => x >= 32 && x < 127)));
      return out;
    },
    x25519: async (sk, pk) => {
      calls.push('x25519');
      const out = await base.x25519(sk, pk);
      outputs.push(out);
      return out;
    },
    x25519GenerateKeyPair: async () => {
      calls.push('x25519GenerateKeyPair');
      return base.x25519GenerateKeyPair();
    },
    ed25519Sign: async (s, m) => {
      calls.push('ed25519Sign');
      return base.ed25519Sign(s, m);
    },
  };
  return { backend, outputs, calls, labels };
}

const isZero = (b: Uint8Array) => b.every((x) => x === 0);
/** HMAC outputs that are public by construction: from public inputs, or sent in the header. */
const PUBLIC = [/psk_id_hash/, /info_hash/, /blindwire\/v1 commitment/];
function notWiped(spy: ReturnType<typeof spying>): string[] {
  return spy.outputs
    .filter((o) => !isZero(o))
    .map((o) => spy.labels.get(o) ?? 'x25519 shared secret')
    .filter((label) => !PUBLIC.some((p) => p.test(label)));
}

function indexOfBytes(haystack: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

describe('failure paths leave no derived secret behind', () => {
  it.each([
    ['a flipped ciphertext byte (AEAD failure)', (e: Uint8Array) => (e[e.length - 1]! ^= 1)],
    [
      'a flipped commitment byte (commitment failure)',
      (e: Uint8Array) => {
        const { header } = parseFrame(e, Kind.Message, DEFAULT_LIMITS);
        const { commitment } = decodeMessageHeader(header, DEFAULT_LIMITS);
        const at = indexOfBytes(header, commitment);
        expect(at).toBeGreaterThanOrEqual(0);
        expect(header.buffer).toBe(e.buffer); // a view into the envelope
        e[header.byteOffset - e.byteOffset + at]! ^= 1;
      },
    ],
  ])('open: %s', async (_name, damage) => {
    const s = await seal('SECRET', {
      sender: c.alice,
      recipients: publicIdentity(c.bob),
      now: NOW,
      backend: base,
    });
    const bad = s.envelope.slice();
    damage(bad);
    const spy = spying();
    const code = await errorCode(() =>
      open(bad, {
        recipient: c.bob,
        trustedSenders: trusted(c.alice),
        now: NOW,
        backend: spy.backend,
      }),
    );
    // Both damages pass parsing and the key schedule and fail a cryptographic check.
    expect(code).toBe('ERR_OPEN_FAILED');
    expect(spy.outputs.length).toBeGreaterThan(0);
    expect(notWiped(spy)).toEqual([]);
  });

  it('seal: an oversized header or envelope fails before any key is made or the body hashed', async () => {
    for (const [extra, limits] of [
      [{ contentType: 'x'.repeat(200) }, { maxHeaderBytes: 200 }],
      [{}, { maxEnvelopeBytes: 4096 }],
    ] as const) {
      const spy = spying();
      const code = await errorCode(() =>
        seal(new Uint8Array(5000), {
          sender: c.alice,
          recipients: [publicIdentity(c.bob), publicIdentity(c.carol)],
          now: NOW,
          backend: spy.backend,
          ...extra,
          limits,
        }),
      );
      expect(code).toBe('ERR_LIMIT_EXCEEDED');
      expect(spy.outputs).toEqual([]); // no HMAC, X25519 or other secret output at all
      expect(spy.calls).toEqual([]); // no key generated, nothing signed
    }
  });

  it('seal: a signer that fails leaves no derived secret (response secrets included)', async () => {
    const spy = spying();
    const failing: CryptoBackend = {
      ...spy.backend,
      ed25519Sign: async () => {
        throw new Error('HSM unavailable');
      },
    };
    await expect(
      seal('SECRET', {
        sender: c.alice,
        recipients: [publicIdentity(c.bob), publicIdentity(c.carol)],
        now: NOW,
        backend: failing,
      }),
    ).rejects.toThrow('HSM unavailable');
    expect(spy.outputs.length).toBeGreaterThan(0);
    expect(notWiped(spy)).toEqual([]);
  });

  it('seal: a key derivation that fails after the key schedule leaves nothing either', async () => {
    const spy = spying();
    let calls = 0;
    const failing: CryptoBackend = {
      ...spy.backend,
      hmacSha256: async (k, d) => {
        // The commitment/content-key expansions come after the HPKE exports.
        if (new TextDecoder().decode(d).includes('blindwire/v1 content key') && ++calls === 1)
          throw new Error('HMAC unavailable');
        return spy.backend.hmacSha256(k, d);
      },
    };
    await expect(
      seal('SECRET', {
        sender: c.alice,
        recipients: publicIdentity(c.bob),
        now: NOW,
        backend: failing,
      }),
    ).rejects.toThrow('HMAC unavailable');
    expect(spy.outputs.length).toBeGreaterThan(0);
    expect(notWiped(spy)).toEqual([]);
  });

  it('seal: a bad padding is refused before any key is made or anything is signed', async () => {
    const spy = spying();
    const code = await errorCode(() =>
      seal('SECRET', {
        sender: c.alice,
        recipients: publicIdentity(c.bob),
        now: NOW,
        backend: spy.backend,
        padding: { blockSize: 0 },
      }),
    );
    expect(code).toBe('ERR_INVALID_ARGUMENT');
    expect(spy.calls).toEqual([]);
  });
});

describe('the size limits hold before any work, exactly at their boundary', () => {
  it('a limit one byte below the actual size refuses before any key is made; the actual size seals', async () => {
    const { default: fc } = await import('fast-check');
    const pool = [c.bob, c.carol, c.mallory, c.alice].map((i) => publicIdentity(i));
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 4 }),
        fc.option(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }), { nil: undefined }),
        fc.string({ minLength: 1, maxLength: 60 }),
        fc.integer({ min: 0, max: 3000 }),
        fc.constantFrom<'none' | 'padme' | { blockSize: number }>('none', 'padme', {
          blockSize: 256,
        }),
        async (n, contentType, tail, bodyLength, padding) => {
          const options = {
            sender: { ...c.alice, name: `spiffe://acme.example/${encodeURIComponent(tail)}` },
            recipients: pool.slice(0, n),
            now: NOW,
            padding,
            ...(contentType === undefined ? {} : { contentType }),
          };
          const body = new Uint8Array(bodyLength);
          const { envelope } = await seal(body, { ...options, backend: base });
          const headerBytes = parseFrame(envelope, Kind.Message, DEFAULT_LIMITS).header.length;
          for (const limits of [
            { maxHeaderBytes: headerBytes - 1 },
            { maxEnvelopeBytes: envelope.length - 1 },
          ]) {
            const spy = spying();
            expect(
              await errorCode(() => seal(body, { ...options, backend: spy.backend, limits })),
            ).toBe('ERR_LIMIT_EXCEEDED');
            expect(spy.calls).toEqual([]);
          }
          const exact = { maxHeaderBytes: headerBytes, maxEnvelopeBytes: envelope.length };
          const again = await seal(body, { ...options, backend: base, limits: exact });
          expect(again.envelope.length).toBe(envelope.length);
        },
      ),
      { numRuns: 60 },
    );
  }, 60_000);
});
