/**
 * `sealedSize` and `sealedResponseSize` give the exact length of what `seal`
 * and `sealResponse` make from the same inputs (random inputs on every
 * padding mode, AEAD and 1 to 6 recipients), without any cryptography, and
 * refuse what is over a limit exactly when `seal` does.
 */
// X-Wing is opt-in where src/ is imported (the Node entry points register it).
import '../src/xwing.js';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectCode } from '@blindwire/testkit';
import { toBase64url } from '../src/bytes.js';
import type { CryptoBackend } from '../src/backend/types.js';
import { open } from '../src/envelope/open.js';
import { sealResponse } from '../src/envelope/response.js';
import { seal } from '../src/envelope/seal.js';
import type { SealOptions } from '../src/envelope/seal-options.js';
import { sealedResponseSize, sealedSize } from '../src/envelope/sealed-size.js';
import { surelyWithinLimits } from '../src/envelope/seal-size.js';
import { DEFAULT_LIMITS } from '../src/limits.js';
import { generateEncryptionKey, type EncryptionKey } from '../src/identity/identity.js';
import type { Padding } from '../src/wire/inner.js';
import { AEAD_NAMES } from '../src/wire/suites.js';
import { NOW, cast, fastestBackend, trusted, type Cast } from './helpers/fixtures.js';

const backend = fastestBackend();
let c: Cast;
let pool: EncryptionKey[];
beforeAll(async () => {
  c = await cast(backend);
  pool = await Promise.all(Array.from({ length: 6 }, () => generateEncryptionKey({ backend })));
});

/** A backend every use of which fails the test: sizing must not touch one. */
const noCrypto = new Proxy({} as CryptoBackend, {
  get(_t, p) {
    throw new Error(`sealedSize used the backend (${String(p)})`);
  },
});

const padding: fc.Arbitrary<Padding | undefined> = fc.oneof(
  fc.constant(undefined),
  fc.constant<Padding>('none'),
  fc.constant<Padding>('padme'),
  fc.integer({ min: 1, max: 4096 }).map((blockSize): Padding => ({ blockSize })),
);
const kid = fc.uint8Array({ minLength: 1, maxLength: 64 }).map(toBase64url);
const text = (max: number) => fc.string({ minLength: 1, maxLength: max, unit: 'grapheme' });

const input = fc.record({
  payload: fc.oneof(fc.uint8Array({ maxLength: 3000 }), fc.string({ maxLength: 300 })),
  kids: fc.uniqueArray(kid, { minLength: 1, maxLength: 6 }),
  path: fc.stringMatching(/^[a-z0-9/-]{1,300}$/),
  senderKid: kid,
  contentType: fc.option(text(120), { nil: undefined }),
  claims: fc.option(
    fc.dictionary(
      fc.stringMatching(/^[a-z]{1,12}$/),
      fc.oneof(fc.string({ maxLength: 40 }), fc.maxSafeInteger(), fc.maxSafeNat()),
      { minKeys: 1, maxKeys: 6 },
    ),
    { nil: undefined },
  ),
  padding,
  aead: fc.constantFrom(...AEAD_NAMES),
  now: fc.integer({ min: 1_600_000_000_000, max: 4_000_000_000_000 }),
  ttl: fc.integer({ min: 1, max: 7 * 86_400 }),
  explicitExpiry: fc.boolean(),
});

type Input = typeof input extends fc.Arbitrary<infer T> ? T : never;

function optionsOf(x: Input): SealOptions {
  return {
    sender: {
      name: `spiffe://acme.example/${x.path}`,
      signing: { kid: x.senderKid, privateKey: c.alice.signing.privateKey },
    },
    recipients: x.kids.map((k, i) => ({ kid: k, publicKey: pool[i]!.publicKey })),
    context: 'orders.created',
    ...(x.contentType !== undefined ? { contentType: x.contentType } : {}),
    ...(x.claims !== undefined ? { claims: x.claims } : {}),
    ...(x.padding !== undefined ? { padding: x.padding } : {}),
    aead: x.aead,
    now: x.now,
    ...(x.explicitExpiry ? { expiresAt: Math.floor(x.now / 1000) + x.ttl } : { ttl: x.ttl }),
    backend,
  };
}

describe('sealedSize (SPEC.md §3, §4.1, §4.2)', () => {
  it('equals the length of the envelope seal makes, for random inputs', async () => {
    await fc.assert(
      fc.asyncProperty(input, async (x) => {
        const o = optionsOf(x);
        const size = sealedSize(x.payload, { ...o, backend: noCrypto });
        expect(size).toBe((await seal(x.payload, o)).envelope.length);
        const length =
          typeof x.payload === 'string' ? Buffer.byteLength(x.payload) : x.payload.length;
        expect(sealedSize(length, o)).toBe(size);
      }),
      { numRuns: 200 },
    );
  });

  it('refuses over maxEnvelopeBytes and maxHeaderBytes exactly when seal does', async () => {
    await fc.assert(
      fc.asyncProperty(input, fc.boolean(), async (x, header) => {
        const o = optionsOf(x);
        const size = sealedSize(x.payload, o);
        // The header's length: what the envelope holds besides the inner record's frame.
        const limit = header
          ? { maxHeaderBytes: headerLength((await seal(x.payload, o)).envelope) }
          : { maxEnvelopeBytes: size };
        const at = { ...o, limits: limit };
        expect(sealedSize(x.payload, at)).toBe(size);
        await seal(x.payload, at);
        const key = Object.keys(limit)[0] as 'maxHeaderBytes' | 'maxEnvelopeBytes';
        const below = { ...o, limits: { [key]: limit[key as keyof typeof limit]! - 1 } };
        await expectCode(() => sealedSize(x.payload, below), 'ERR_LIMIT_EXCEEDED');
        await expectCode(seal(x.payload, below), 'ERR_LIMIT_EXCEEDED');
      }),
      { numRuns: 40 },
    );
  });

  it('needs no keys: kids, the sender name and what the header holds are enough', () => {
    const size = sealedSize(1000, {
      sender: { name: c.alice.name, signing: { kid: c.alice.signing.kid } },
      recipients: [{ kid: c.bob.encryption.kid }, { encryption: { kid: c.carol.encryption.kid } }],
      now: NOW,
    });
    expect(size).toBeGreaterThan(1000);
  });

  it('refuses what fixes the size when it is wrong, naming the parameter', async () => {
    const o = optionsOf({
      payload: new Uint8Array(1),
      kids: [c.bob.encryption.kid],
      path: 'a',
      senderKid: c.alice.signing.kid,
      contentType: undefined,
      claims: undefined,
      padding: undefined,
      aead: 'AES-256-GCM',
      now: NOW,
      ttl: 60,
      explicitExpiry: false,
    });
    const cases: [Partial<SealOptions> | Record<string, unknown>, string, RegExp][] = [
      [{ recipients: [] }, 'ERR_INVALID_ARGUMENT', /"recipients"/],
      [{ recipients: [{ kid: 'AA' }, { kid: 'AA' }] }, 'ERR_INVALID_ARGUMENT', /recipients\[1\]/],
      [{ recipients: [{ kid: '' }] }, 'ERR_INVALID_ARGUMENT', /recipients\[0\]\.kid/],
      [{ sender: { name: '', signing: { kid: 'AA' } } }, 'ERR_INVALID_ARGUMENT', /sender\.name/],
      [{ contentType: '' }, 'ERR_INVALID_ARGUMENT', /contentType/],
      [{ padding: { blockSize: 0 } }, 'ERR_INVALID_ARGUMENT', /padding\.blockSize/],
      [{ ttl: -1 }, 'ERR_INVALID_ARGUMENT', /ttl/],
      [{ aead: 'AES-512' }, 'ERR_UNSUPPORTED_SUITE', /aead/],
      [{ claims: { '': 1 } }, 'ERR_INVALID_ARGUMENT', /claims/],
      [
        { limits: { maxRecipients: 1 }, recipients: [{ kid: 'AA' }, { kid: 'AB' }] },
        'ERR_LIMIT_EXCEEDED',
        /recipients/,
      ],
    ];
    for (const [change, code, message] of cases) {
      await expectCode(() => sealedSize(1, { ...o, ...change } as SealOptions), code, message);
    }
    await expectCode(() => sealedSize(-1, o), 'ERR_INVALID_ARGUMENT', /payload/);
    await expectCode(() => sealedSize(1.5, o), 'ERR_INVALID_ARGUMENT', /payload/);
  });
});

describe('sealedSize with X-Wing recipients (SPEC.md §5.4)', () => {
  it('reads the KEM of every recipient: its kem, else its public key; a kid alone is X25519', async () => {
    const keys = await Promise.all(
      [0, 1].map(() => generateEncryptionKey({ kem: 'X-Wing', backend })),
    );
    const sender = { name: c.alice.name, signing: { kid: c.alice.signing.kid } };
    const o = { sender: c.alice, now: NOW, backend };
    const real = (await seal('hi', { ...o, recipients: keys })).envelope.length;
    const sized = (recipients: unknown) =>
      sealedSize('hi', { sender, now: NOW, recipients } as Parameters<typeof sealedSize>[1]);
    expect(sized(keys.map((k) => ({ kid: k.kid, publicKey: k.publicKey })))).toBe(real);
    // As a directory's ResolvedKey gives it: kid and kem.
    expect(sized(keys.map((k) => ({ kid: k.kid, kem: 'X-Wing' })))).toBe(real);
    expect(sized(keys.map((k) => ({ encryption: { kid: k.kid, kem: 'X-Wing' } })))).toBe(real);
    // The first recipient's key alone used to decide: a second one's is read too.
    await expectCode(
      () => sized([{ kid: keys[0]!.kid }, { kid: keys[1]!.kid, kem: 'X-Wing' }]),
      'ERR_UNSUPPORTED_SUITE',
    );
    await expectCode(() => sized([{ kid: keys[0]!.kid, kem: 'Kyber' }]), 'ERR_INVALID_ARGUMENT');
    // A kid alone stands for X25519: at least 1,088 bytes fewer per recipient (enc of 32, not 1,120).
    expect(sized(keys.map((k) => ({ kid: k.kid })))).toBeLessThanOrEqual(real - 2 * (1120 - 32));
  });
});

describe('sealedResponseSize (SPEC.md §6.2, §6.4)', () => {
  it('equals the length of the response sealResponse makes, for random inputs', async () => {
    const request = await seal('q', {
      sender: c.alice,
      recipients: [c.bob.encryption, c.carol.encryption],
      now: NOW,
      backend,
    });
    const opened = await open(request.envelope, {
      recipient: c.carol,
      trustedSenders: trusted(c.alice),
      now: NOW,
      backend,
    });
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 3000 }),
        fc.option(text(120), { nil: undefined }),
        padding,
        fc.integer({ min: 1, max: 7 * 86_400 }),
        async (payload, contentType, pad, ttl) => {
          const o = {
            ...(contentType !== undefined ? { contentType } : {}),
            ...(pad !== undefined ? { padding: pad } : {}),
            ttl,
            now: NOW + 1234,
          };
          const size = sealedResponseSize(opened, payload, o);
          expect(size).toBe(
            (await sealResponse(opened, payload, { ...o, backend })).envelope.length,
          );
          expect(sealedResponseSize(opened, payload.length, o)).toBe(size);
          await expectCode(
            () =>
              sealedResponseSize(opened, payload, { ...o, limits: { maxEnvelopeBytes: size - 1 } }),
            'ERR_LIMIT_EXCEEDED',
          );
        },
      ),
      { numRuns: 150 },
    );
  });

  it('refuses a request that is not an open() result', async () => {
    await expectCode(() => sealedResponseSize({} as never, 1), 'ERR_INVALID_ARGUMENT', /"request"/);
  });
});

/** The length of the header bytes of an envelope (SPEC.md §3): the content of header-bstr. */
function headerLength(envelope: Uint8Array): number {
  const ai = envelope[4]! & 0x1f;
  if (ai < 24) return ai;
  if (ai === 24) return envelope[5]!;
  if (ai === 25) return (envelope[5]! << 8) | envelope[6]!;
  throw new Error('header too long for this test');
}

describe('surelyWithinLimits, the cheap bound before the exact sizing (SPEC.md §8)', () => {
  it('never passes an envelope over maxEnvelopeBytes, X25519 or X-Wing, with or without the enc length', () => {
    fc.assert(
      fc.property(input, fc.constantFrom('X25519', 'X-Wing'), fc.boolean(), (x, kem, told) => {
        const o = optionsOf({ ...x, claims: undefined });
        const recipients = x.kids.map((k) => ({ kid: k, kem }));
        const exact = sealedSize(x.payload, { ...o, recipients, backend: noCrypto } as never);
        const bodyLength =
          typeof x.payload === 'string'
            ? new TextEncoder().encode(x.payload).length
            : x.payload.length;
        const sized = {
          bodyLength,
          senderName: o.sender.name,
          contentType: x.contentType,
          padding: x.padding,
          recipientCount: x.kids.length,
          hasClaims: false,
          ...(told ? { encLength: kem === 'X-Wing' ? 1120 : 32 } : {}),
        };
        const big = 1 << 30;
        expect(
          surelyWithinLimits(sized, {
            ...DEFAULT_LIMITS,
            maxHeaderBytes: big,
            maxEnvelopeBytes: exact - 1,
          }),
        ).toBe(false);
        // And it does pass when there is room: it is a bound, not a refusal.
        expect(
          surelyWithinLimits(sized, {
            ...DEFAULT_LIMITS,
            maxHeaderBytes: big,
            maxEnvelopeBytes: big,
          }),
        ).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
