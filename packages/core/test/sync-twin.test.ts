/**
 * The synchronous twin of the node backend (backend/sync.ts): `seal` and
 * `open` take it for one recipient, and it must give the bytes, decisions and
 * wipes of the async path. A twinned copy of the node backend and a plain copy
 * draw the same ephemeral keys, so their envelopes compare byte for byte.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { errorCode } from '@blindwire/testkit';
import { nodeBackend } from '../src/backend/node.js';
import { pureBackend } from '../src/backend/pure.js';
import { setSyncPrimitives, syncPrimitivesOf, type SyncPrimitives } from '../src/backend/sync.js';
import type { CryptoBackend, X25519KeyPair } from '../src/backend/types.js';
import { open } from '../src/envelope/open.js';
import { seal } from '../src/envelope/seal.js';
import type { SealOptions } from '../src/envelope/seal-options.js';
import type { AeadName } from '../src/wire/suites.js';
import { publicIdentity } from '../src/identity/identity.js';
import { parseFrame } from '../src/wire/frame.js';
import { decodeMessageHeader } from '../src/wire/header.js';
import { Kind } from '../src/wire/kinds.js';
import { DEFAULT_LIMITS } from '../src/limits.js';
import { NOW, cast, trusted, type Cast } from './helpers/fixtures.js';

const node = syncPrimitivesOf(nodeBackend)!;
let c: Cast;
let ephemerals: X25519KeyPair[];

beforeAll(async () => {
  c = await cast(nodeBackend);
  ephemerals = await Promise.all(
    Array.from({ length: 32 }, async (_, i) => {
      const privateKey = new Uint8Array(32).fill(i + 1);
      return { privateKey, publicKey: await nodeBackend.x25519PublicKey(privateKey) };
    }),
  );
});

/** Ephemeral key pairs in a fixed order, as fresh copies (the seal wipes the private half). */
function ephemeralSource() {
  let i = 0;
  return () => {
    const k = ephemerals[i++ % ephemerals.length]!;
    return { privateKey: k.privateKey.slice(), publicKey: k.publicKey.slice() };
  };
}

/** A copy of the node backend with a twin, counting the async HMACs it is asked for. */
function twinned(sync: Partial<SyncPrimitives> = {}) {
  const next = ephemeralSource();
  const counts = { asyncHmac: 0 };
  const backend: CryptoBackend = {
    ...nodeBackend,
    x25519GenerateKeyPair: async () => next(),
    hmacSha256: async (k, d) => {
      counts.asyncHmac++;
      return nodeBackend.hmacSha256(k, d);
    },
  };
  setSyncPrimitives(backend, {
    ...node,
    // Not zeroed, and not zero either: a byte the sync path forgets to write
    // differs from the async path's (node's allocate is usually zero).
    allocate: (length) => new Uint8Array(length).fill(0xa5),
    x25519Ephemeral: (pk) => {
      const k = next();
      const shared = node.x25519(k.privateKey, pk);
      k.privateKey.fill(0);
      return { publicKey: k.publicKey, shared };
    },
    ...sync,
  });
  return { backend, counts };
}

/** A copy of the node backend without a twin: the async path. */
function plain(): CryptoBackend {
  const next = ephemeralSource();
  return { ...nodeBackend, x25519GenerateKeyPair: async () => next() };
}

const input = fc.record({
  payload: fc.oneof(fc.uint8Array({ maxLength: 3000 }), fc.string({ maxLength: 200 })),
  context: fc.option(fc.oneof(fc.string({ maxLength: 40 }), fc.uint8Array({ maxLength: 40 })), {
    nil: undefined,
  }),
  contentType: fc.option(fc.constantFrom('application/json', 'text/plain'), { nil: undefined }),
  padding: fc.option(
    fc.oneof(
      fc.constantFrom('none' as const, 'padme' as const),
      fc.record({ blockSize: fc.integer({ min: 1, max: 512 }) }),
    ),
    { nil: undefined },
  ),
  aead: fc.option(fc.constantFrom<AeadName>('AES-128-GCM', 'AES-256-GCM', 'ChaCha20-Poly1305'), {
    nil: undefined,
  }),
  claims: fc.option(fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), fc.integer()), {
    nil: undefined,
  }),
  messageId: fc.uint8Array({ minLength: 16, maxLength: 16 }),
});

describe('the synchronous twin', () => {
  it('the node backend has one; the pure backend and copies of node do not', () => {
    expect(node).toBeDefined();
    expect(syncPrimitivesOf(pureBackend)).toBeUndefined();
    expect(syncPrimitivesOf({ ...nodeBackend })).toBeUndefined();
  });

  it('a backend that has a twin keeps it: a second registration is refused', () => {
    const other = { ...node, hmacSha256: () => new Uint8Array(32) };
    let code: string | undefined;
    try {
      setSyncPrimitives(nodeBackend, other);
    } catch (e) {
      code = (e as { code?: string }).code;
    }
    expect(code).toBe('ERR_INVALID_ARGUMENT');
    expect(syncPrimitivesOf(nodeBackend)).toBe(node);
    const fresh = {};
    setSyncPrimitives(fresh, node);
    expect(() => setSyncPrimitives(fresh, other)).toThrow(/already has/);
    expect(syncPrimitivesOf(fresh)).toBe(node);
  });

  it('seal: the bytes of the async path, for any options; each path opens the other', async () => {
    await fc.assert(
      fc.asyncProperty(input, async (i) => {
        const t = twinned();
        const p = plain();
        const options = (backend: CryptoBackend): SealOptions => ({
          sender: c.alice,
          recipients: publicIdentity(c.bob),
          now: NOW,
          backend,
          ...i,
        });
        const a = await seal(i.payload, options(t.backend));
        expect(t.counts.asyncHmac).toBe(0); // sealed on the twin alone
        const b = await seal(i.payload, options(p));
        expect(a.envelope).toEqual(b.envelope);
        const openWith = (backend: CryptoBackend, envelope: Uint8Array) =>
          open(envelope, {
            recipient: c.bob,
            trustedSenders: trusted(c.alice),
            now: NOW,
            backend,
            ...(i.context !== undefined ? { context: i.context } : {}),
          });
        const body =
          typeof i.payload === 'string' ? new TextEncoder().encode(i.payload) : i.payload;
        expect((await openWith(pureBackend, a.envelope)).payload).toEqual(body);
        expect((await openWith(twinned().backend, b.envelope)).payload).toEqual(body);
      }),
      { numRuns: 60 },
    );
  });

  it('several recipients take the async path, and open on the twin', async () => {
    const t = twinned();
    const s = await seal('hi', {
      sender: c.alice,
      recipients: [publicIdentity(c.bob), publicIdentity(c.carol)],
      now: NOW,
      backend: t.backend,
    });
    expect(t.counts.asyncHmac).toBeGreaterThan(0);
    const o = await open(s.envelope, {
      recipient: c.carol,
      trustedSenders: trusted(c.alice),
      now: NOW,
      backend: twinned().backend,
    });
    expect(new TextDecoder().decode(o.payload)).toBe('hi');
  });
});

/** A twin recording every HMAC and X25519 output, labelled by the printable bytes of its input. */
function spyingTwin(extra: Partial<SyncPrimitives> = {}) {
  const outputs: Uint8Array[] = [];
  const labels = new Map<Uint8Array, string>();
  const t = twinned({
    hmacSha256: (k, parts) => {
      const out = node.hmacSha256(k, parts);
      outputs.push(out);
      const text = parts.map((p) => new TextDecoder().decode(p.filter((x) => x >= 32 && x < 127)));
      labels.set(out, text.join(''));
      return out;
    },
    x25519: (sk, pk) => {
      const out = node.x25519(sk, pk);
      outputs.push(out);
      return out;
    },
    x25519Ephemeral: (pk) => {
      const out = node.x25519Ephemeral(pk);
      outputs.push(out.shared);
      return out;
    },
    ...extra,
  });
  return { ...t, outputs, labels };
}

const PUBLIC = [
  /psk_id_hash/,
  /info_hash/,
  /blindwire\/v1 commitment/,
  /blindwire\/v1 context check/,
];
function notWiped(spy: ReturnType<typeof spyingTwin>): string[] {
  return spy.outputs
    .filter((o) => o.some((x) => x !== 0))
    .map((o) => spy.labels.get(o) ?? 'x25519 shared secret')
    .filter((label) => !PUBLIC.some((p) => p.test(label)));
}

describe('the twin leaves no secret behind', () => {
  it('seal: only the response secret outlives a successful seal', async () => {
    const spy = spyingTwin();
    await seal('SECRET', {
      sender: c.alice,
      recipients: publicIdentity(c.bob),
      now: NOW,
      backend: spy.backend,
    });
    expect(notWiped(spy).map((l) => l.replace(/^.*blindwire/, 'blindwire'))).toEqual([
      'blindwire/v1 response secret',
    ]);
  });

  it('AES-128-GCM: the 16-byte content key is a view of T(1), and all 32 bytes end zero (seal and open)', async () => {
    const sealSpy = spyingTwin();
    const s = await seal('SECRET', {
      sender: c.alice,
      recipients: publicIdentity(c.bob),
      aead: 'AES-128-GCM',
      now: NOW,
      backend: sealSpy.backend,
    });
    const openSpy = spyingTwin();
    const o = await open(s.envelope, {
      recipient: c.bob,
      trustedSenders: trusted(c.alice),
      now: NOW,
      backend: openSpy.backend,
    });
    expect(new TextDecoder().decode(o.payload)).toBe('SECRET');
    for (const spy of [sealSpy, openSpy]) {
      const contentKeys = spy.outputs.filter((x) => /content key/.test(spy.labels.get(x) ?? ''));
      expect(contentKeys.map((k) => k.length)).toEqual([32]); // the whole T(1), not the 16-byte view
      expect(contentKeys[0]!.every((x) => x === 0)).toBe(true);
    }
    expect(notWiped(sealSpy).map((l) => l.replace(/^.*blindwire/, 'blindwire'))).toEqual([
      'blindwire/v1 response secret',
    ]);
  });

  it('seal: a signer that fails leaves nothing, the response secret included', async () => {
    const spy = spyingTwin({
      ed25519Sign: () => {
        throw new Error('HSM unavailable');
      },
    });
    await expect(
      seal('SECRET', {
        sender: c.alice,
        recipients: publicIdentity(c.bob),
        now: NOW,
        backend: spy.backend,
      }),
    ).rejects.toThrow('HSM unavailable');
    expect(spy.outputs.length).toBeGreaterThan(0);
    expect(notWiped(spy)).toEqual([]);
  });

  it.each([
    ['a flipped ciphertext byte (AEAD failure)', (e: Uint8Array) => (e[e.length - 1]! ^= 1)],
    [
      'a flipped commitment byte (commitment failure)',
      (e: Uint8Array) => {
        const { header } = parseFrame(e, Kind.Message, DEFAULT_LIMITS);
        const { commitment } = decodeMessageHeader(header, DEFAULT_LIMITS);
        const off = header.byteOffset - e.byteOffset;
        for (let i = 0; i + commitment.length <= header.length; i++) {
          if (commitment.every((x, j) => header[i + j] === x)) {
            e[off + i]! ^= 1;
            return;
          }
        }
        throw new Error('commitment not found');
      },
    ],
    ['a wrong recipient key (decapsulation gives other secrets)', () => undefined],
  ])('open: %s', async (name, damage) => {
    const s = await seal('SECRET', {
      sender: c.alice,
      recipients: publicIdentity(c.bob),
      now: NOW,
      backend: nodeBackend,
    });
    const bad = s.envelope.slice();
    damage(bad);
    const spy = spyingTwin();
    // The wrong key: bob's kid with carol's key pair, so the entry is found and the commitment fails.
    const recipient = name.startsWith('a wrong')
      ? { ...c.bob, encryption: { ...c.bob.encryption, privateKey: c.carol.encryption.privateKey } }
      : c.bob;
    const code = await errorCode(() =>
      open(bad, { recipient, trustedSenders: trusted(c.alice), now: NOW, backend: spy.backend }),
    );
    expect(code).toBe('ERR_OPEN_FAILED');
    expect(spy.outputs.length).toBeGreaterThan(0);
    expect(notWiped(spy)).toEqual([]);
  });
});
