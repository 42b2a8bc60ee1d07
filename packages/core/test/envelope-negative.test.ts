/**
 * Every rejection path of open() with its exact error code, and proof that
 * no plaintext comes back (SPEC.md §7, §9).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { errorCode } from '@blindwire/testkit';
import { encodeCbor } from '../src/wire/cbor.js';
import { encodeHead } from '../src/wire/cbor.js';
import { open } from '../src/envelope/open.js';
import type { OpenOptions } from '../src/envelope/open-options.js';
import { seal } from '../src/envelope/seal.js';
import type { SealOptions } from '../src/envelope/seal-options.js';
import { inspect } from '../src/envelope/inspect.js';
import { encodeMessageHeader } from '../src/wire/header.js';
import { writeFrame } from '../src/wire/frame.js';
import { Kind } from '../src/wire/kinds.js';
import { concat, utf8 } from '../src/bytes.js';
import { publicIdentity } from '../src/identity/identity.js';
import { craft, headerWith } from './helpers/craft.js';
import { NOW, cast, fastestBackend, trusted, type Cast } from './helpers/fixtures.js';

const backend = fastestBackend();
const T = Math.floor(NOW / 1000);
let c: Cast;
let sealOpts: SealOptions;
let openOpts: OpenOptions;
let reference: Uint8Array;
const PAYLOAD = 'SECRET-PAYLOAD-do-not-leak';

beforeAll(async () => {
  c = await cast(backend);
  sealOpts = {
    sender: c.alice,
    recipients: publicIdentity(c.bob),
    context: 'tool:refund',
    now: NOW,
    backend,
  };
  openOpts = {
    recipient: c.bob,
    context: 'tool:refund',
    trustedSenders: trusted(c.alice),
    now: NOW,
    backend,
  };
  reference = (await seal(PAYLOAD, sealOpts)).envelope;
});

const openRef = (env: Uint8Array, extra: Partial<OpenOptions> = {}) =>
  open(env, { ...openOpts, ...extra });

function find(hay: Uint8Array, needle: Uint8Array): number {
  return Buffer.from(hay).indexOf(Buffer.from(needle));
}

describe('tampering', () => {
  it('the reference envelope opens and carries no plaintext', async () => {
    expect(Buffer.from(reference).includes(Buffer.from(PAYLOAD))).toBe(false);
    expect(new TextDecoder().decode((await openRef(reference)).payload)).toBe(PAYLOAD);
  });

  it('every single-bit flip is rejected with the code its position implies', async () => {
    const info = inspect(reference);
    const hdrStart = reference.length - info.ciphertextBytes - 2 - info.headerBytes; // bstr heads: 2 bytes for ct here
    expect(reference[hdrStart - 2]).toBe(0x58); // header bstr head, 1-byte length
    const ctStart = reference.length - info.ciphertextBytes;
    const header = reference.subarray(hdrStart, hdrStart + info.headerBytes);
    const { decodeMessageHeader } = await import('../src/wire/header.js');
    const { DEFAULT_LIMITS } = await import('../src/limits.js');
    const h = decodeMessageHeader(header, DEFAULT_LIMITS);
    // Byte ranges of the values whose flips have a single determined outcome.
    const exact: [Uint8Array, string][] = [
      [h.recipients[0]!.kid, 'ERR_KEY_NOT_FOUND'],
      [h.recipients[0]!.enc, 'ERR_OPEN_FAILED'],
      [h.messageId, 'ERR_OPEN_FAILED'],
      [h.contextCheck, 'ERR_OPEN_FAILED'],
      [h.commitment, 'ERR_OPEN_FAILED'],
    ];
    const expectAt = new Map<number, string>();
    for (const [v, code] of exact) {
      const at = find(reference, v);
      expect(at).toBeGreaterThan(hdrStart);
      for (let i = 0; i < v.length; i++) expectAt.set(at + i, code);
    }
    const structural = new Set([
      'ERR_ENVELOPE_MALFORMED',
      'ERR_LIMIT_EXCEEDED',
      'ERR_UNSUPPORTED_SUITE',
      'ERR_EXPIRED',
      'ERR_NOT_YET_VALID',
      'ERR_KEY_NOT_FOUND',
      'ERR_OPEN_FAILED',
    ]);
    const tally = new Map<string, number>();
    for (let byte = 0; byte < reference.length; byte++) {
      for (let bit = 0; bit < 8; bit++) {
        const env = reference.slice();
        env[byte]! ^= 1 << bit;
        const code = await errorCode(() => openRef(env));
        tally.set(code, (tally.get(code) ?? 0) + 1);
        let want: string | undefined;
        if (byte < 2 || byte === 3) want = 'ERR_ENVELOPE_MALFORMED';
        else if (byte === 2) want = 'ERR_UNSUPPORTED_VERSION';
        else if (byte >= ctStart) want = 'ERR_OPEN_FAILED';
        else want = expectAt.get(byte);
        if (want) expect(code, `byte ${byte} bit ${bit}`).toBe(want);
        else expect(structural.has(code), `byte ${byte} bit ${bit}: ${code}`).toBe(true);
      }
    }
    expect([...tally.values()].reduce((a, b) => a + b)).toBe(reference.length * 8);
    expect(tally.get('ERR_OPEN_FAILED')).toBeGreaterThan(info.ciphertextBytes * 8 - 1);
  });

  it('every truncation is ERR_ENVELOPE_MALFORMED, and so are trailing bytes', async () => {
    for (let len = 0; len < reference.length; len++) {
      expect(await errorCode(() => openRef(reference.subarray(0, len))), `length ${len}`).toBe(
        'ERR_ENVELOPE_MALFORMED',
      );
    }
    expect(await errorCode(() => openRef(concat(reference, Uint8Array.of(0))))).toBe(
      'ERR_ENVELOPE_MALFORMED',
    );
  });

  it('ERR_OPEN_FAILED always carries the same message and no cause', async () => {
    const a = reference.slice();
    a[a.length - 1]! ^= 1;
    const errs: unknown[] = [];
    for (const env of [a]) {
      try {
        await openRef(env);
      } catch (e) {
        errs.push(e);
      }
    }
    const e = errs[0] as Error & { code: string };
    expect(e.code).toBe('ERR_OPEN_FAILED');
    expect(e.message).toBe('envelope could not be opened');
    expect(e.cause).toBeUndefined();
  });
});

describe('policy and addressing', () => {
  it('wrong recipient: ERR_KEY_NOT_FOUND', async () => {
    expect(await errorCode(() => openRef(reference, { recipient: c.carol }))).toBe(
      'ERR_KEY_NOT_FOUND',
    );
  });

  it('a recipient key listed under the right kid but the wrong private key: ERR_OPEN_FAILED', async () => {
    const fake = { ...c.carol.encryption, kid: c.bob.encryption.kid };
    expect(await errorCode(() => openRef(reference, { recipient: fake }))).toBe('ERR_OPEN_FAILED');
  });

  it('wrong context: ERR_CONTEXT_MISMATCH; no context when one was bound: the same', async () => {
    expect(await errorCode(() => openRef(reference, { context: 'tool:transfer' }))).toBe(
      'ERR_CONTEXT_MISMATCH',
    );
    expect(await errorCode(() => openRef(reference, { context: undefined }))).toBe(
      'ERR_CONTEXT_MISMATCH',
    );
    expect((await openRef(reference, { context: utf8('tool:refund') })).sender).toBe(c.alice.name);
  });

  it('expired beyond skew: ERR_EXPIRED; within skew: opens', async () => {
    const s = await seal('x', { ...sealOpts, ttl: 10 });
    const at = (sec: number) => ({ now: NOW + sec * 1000 });
    expect((await openRef(s.envelope, at(10 + 60))).sender).toBe(c.alice.name);
    expect(await errorCode(() => openRef(s.envelope, at(10 + 61)))).toBe('ERR_EXPIRED');
    expect(await errorCode(() => openRef(s.envelope, { ...at(20), clockSkew: 0 }))).toBe(
      'ERR_EXPIRED',
    );
    expect(await errorCode(() => openRef(s.envelope, { maxAge: 5, clockSkew: 0, ...at(6) }))).toBe(
      'ERR_EXPIRED',
    );
  });

  it('not yet valid beyond skew: ERR_NOT_YET_VALID; within skew: opens', async () => {
    const s = await seal('x', { ...sealOpts, now: NOW + 120_000 });
    expect(await errorCode(() => openRef(s.envelope))).toBe('ERR_NOT_YET_VALID');
    expect((await openRef(s.envelope, { clockSkew: 120 })).sender).toBe(c.alice.name);
  });

  it('disallowed suite: ERR_UNSUPPORTED_SUITE; unknown suite ids: the same', async () => {
    const s = await seal('x', { ...sealOpts, aead: 'ChaCha20-Poly1305' });
    expect(await errorCode(() => openRef(s.envelope, { allowedSuites: ['AES-256-GCM'] }))).toBe(
      'ERR_UNSUPPORTED_SUITE',
    );
    const env = await craft({
      backend,
      recipients: [c.bob.encryption],
      context: utf8('tool:refund'),
      sender: c.alice.name,
      senderKid: c.alice.signing.kid,
      sign: (tbs) => backend.ed25519Sign(c.alice.signing.privateKey, tbs),
      body: utf8('x'),
      issuedAt: T,
      expiresAt: T + 60,
      rewriteHeader: (h) =>
        encodeMessageHeader({ ...h, suite: { kem: 0x20, kdf: 1, aead: 0xffff } }),
    });
    expect(await errorCode(() => openRef(env))).toBe('ERR_UNSUPPORTED_SUITE');
  });

  it('sender not allowed: ERR_SENDER_NOT_ALLOWED; patterns match per segment', async () => {
    expect(
      await errorCode(() =>
        openRef(reference, { allowedSenders: ['spiffe://acme.example/tools/*'] }),
      ),
    ).toBe('ERR_SENDER_NOT_ALLOWED');
    expect(
      (await openRef(reference, { allowedSenders: ['spiffe://acme.example/agents/*'] })).sender,
    ).toBe(c.alice.name);
    expect(
      (await openRef(reference, { allowedSenders: ['spiffe://acme.example/**'] })).sender,
    ).toBe(c.alice.name);
    expect(
      await errorCode(() => openRef(reference, { allowedSenders: ['spiffe://acme.example/*'] })),
    ).toBe('ERR_SENDER_NOT_ALLOWED');
  });

  it('a sender key nobody trusts: ERR_KEY_UNTRUSTED', async () => {
    expect(await errorCode(() => openRef(reference, { trustedSenders: trusted(c.carol) }))).toBe(
      'ERR_KEY_UNTRUSTED',
    );
    expect(
      await errorCode(() =>
        openRef(reference, { trustedSenders: [], resolveSender: () => undefined }),
      ),
    ).toBe('ERR_KEY_UNTRUSTED');
    // Mallory claims to be Alice but signs with her own key under her own kid.
    const env = await craft({
      backend,
      recipients: [c.bob.encryption],
      context: utf8('tool:refund'),
      sender: c.alice.name,
      senderKid: c.mallory.signing.kid,
      sign: (tbs) => backend.ed25519Sign(c.mallory.signing.privateKey, tbs),
      body: utf8('pay mallory'),
      issuedAt: T,
      expiresAt: T + 60,
    });
    expect(await errorCode(() => openRef(env))).toBe('ERR_KEY_UNTRUSTED');
  });

  it("a signature by another key under the trusted sender's kid: ERR_OPEN_FAILED", async () => {
    const env = await craft({
      backend,
      recipients: [c.bob.encryption],
      context: utf8('tool:refund'),
      sender: c.alice.name,
      senderKid: c.alice.signing.kid,
      sign: (tbs) => backend.ed25519Sign(c.mallory.signing.privateKey, tbs),
      body: utf8('pay mallory'),
      issuedAt: T,
      expiresAt: T + 60,
    });
    expect(await errorCode(() => openRef(env))).toBe('ERR_OPEN_FAILED');
  });

  it('open() demands an explicit trust source', async () => {
    expect(await errorCode(() => open(reference, { recipient: c.bob, now: NOW, backend }))).toBe(
      'ERR_INVALID_ARGUMENT',
    );
  });
});

describe('forwarding and commitment', () => {
  it("a recipient re-sealing the sender's signed message to a third party is caught (surreptitious forwarding)", async () => {
    // Bob opened Alice's message; he now holds Alice's signature over it and re-seals
    // the identical inner record to Carol under a header of his own.
    const { decodeInner } = await import('../src/wire/inner.js');
    const { LABEL, deriveMessageKeys } = await import('../src/wire/keys.js');
    const { hpkeSuite, suiteByName } = await import('../src/wire/suites.js');
    const { parseFrame } = await import('../src/wire/frame.js');
    const { decodeMessageHeader } = await import('../src/wire/header.js');
    const { DEFAULT_LIMITS } = await import('../src/limits.js');
    const frame = parseFrame(reference, Kind.Message, DEFAULT_LIMITS);
    const h = decodeMessageHeader(frame.header, DEFAULT_LIMITS);
    const suite = suiteByName(undefined);
    const ctx = await hpkeSuite(suite, backend).setupRecipient({
      enc: h.recipients[0]!.enc,
      recipientKey: c.bob.encryption,
      info: LABEL.hpkeInfo,
    });
    const mk = await deriveMessageKeys(
      backend,
      await ctx.export(LABEL.exportMessageSecret, 32),
      suite.keyLength,
    );
    const pt = await backend.aeadOpen(
      suite.algorithm,
      mk.contentKey,
      new Uint8Array(12),
      frame.ciphertext,
      concat(frame.prefix, frame.header),
    );
    const inner = decodeInner(pt!, true);
    const forwarded = await craft({
      backend,
      recipients: [c.carol.encryption],
      context: utf8('tool:refund'),
      sender: inner.sender!,
      senderKid: c.alice.signing.kid,
      sign: inner.signature!,
      body: inner.body,
      issuedAt: T,
      expiresAt: T + 60,
    });
    expect(await errorCode(() => open(forwarded, { ...openOpts, recipient: c.carol }))).toBe(
      'ERR_OPEN_FAILED',
    );
  });

  it('a multi-recipient envelope whose recipients would get different content keys is rejected (commitment)', async () => {
    const secrets = [backend.randomBytes(32), backend.randomBytes(32)];
    const env = await craft({
      backend,
      recipients: [c.bob.encryption, c.carol.encryption],
      context: utf8('tool:refund'),
      sender: c.alice.name,
      senderKid: c.alice.signing.kid,
      sign: (tbs) => backend.ed25519Sign(c.alice.signing.privateKey, tbs),
      body: utf8('one plaintext for bob'),
      issuedAt: T,
      expiresAt: T + 60,
      secretFor: (i) => secrets[i]!,
    });
    // Bob's secret matches the commitment: he opens. Carol's does not: she is refused.
    expect((await openRef(env)).sender).toBe(c.alice.name);
    expect(await errorCode(() => openRef(env, { recipient: c.carol }))).toBe('ERR_OPEN_FAILED');
  });

  it('a malformed inner record from a key-holding sender: ERR_OPEN_FAILED', async () => {
    for (const rawInner of [
      (x: Uint8Array) => x.subarray(0, 10),
      (x: Uint8Array) => concat(x, Uint8Array.of(1)), // non-zero padding
      () => encodeCbor(new Map([[4, 0]])), // unsigned record in a message
    ]) {
      const env = await craft({
        backend,
        recipients: [c.bob.encryption],
        context: utf8('tool:refund'),
        sender: c.alice.name,
        senderKid: c.alice.signing.kid,
        sign: (tbs) => backend.ed25519Sign(c.alice.signing.privateKey, tbs),
        body: utf8('x'),
        issuedAt: T,
        expiresAt: T + 60,
        rawInner,
      });
      expect(await errorCode(() => openRef(env))).toBe('ERR_OPEN_FAILED');
    }
  });
});

describe('CBOR structure', () => {
  const frameWithHeader = (header: Uint8Array) =>
    writeFrame(Kind.Message, header, new Uint8Array(32));

  it('duplicate map keys: ERR_ENVELOPE_MALFORMED', async () => {
    // {1: 1, 1: 2} encoded by hand: a map of 2 pairs with the same key.
    const dup = Uint8Array.of(0xa2, 0x01, 0x01, 0x01, 0x02);
    expect(await errorCode(() => openRef(frameWithHeader(dup)))).toBe('ERR_ENVELOPE_MALFORMED');
  });

  it('keys out of order, indefinite lengths, tags, floats, non-shortest ints: ERR_ENVELOPE_MALFORMED', async () => {
    for (const bad of [
      Uint8Array.of(0xa2, 0x02, 0x01, 0x01, 0x02),
      Uint8Array.of(0xbf, 0x01, 0x01, 0xff),
      Uint8Array.of(0xc0, 0x01),
      Uint8Array.of(0xf9, 0x3c, 0x00),
      Uint8Array.of(0x18, 0x01),
    ]) {
      expect(await errorCode(() => openRef(frameWithHeader(bad)))).toBe('ERR_ENVELOPE_MALFORMED');
    }
  });

  it('nesting at maxCborDepth parses (then fails validation); one deeper is ERR_LIMIT_EXCEEDED', async () => {
    const nest = (depth: number) => {
      let v: unknown = 0;
      for (let i = 1; i < depth; i++) v = [v];
      return encodeCbor(new Map([[9, v as never]]));
    };
    // The map itself is depth 1, so depth-8 total nesting is 7 arrays inside it.
    expect(await errorCode(() => openRef(frameWithHeader(nest(7))))).toBe('ERR_ENVELOPE_MALFORMED');
    expect(await errorCode(() => openRef(frameWithHeader(nest(8))))).toBe('ERR_LIMIT_EXCEEDED');
  });

  it('unknown header fields: ERR_ENVELOPE_MALFORMED', async () => {
    const env = await craft({
      backend,
      recipients: [c.bob.encryption],
      sender: c.alice.name,
      senderKid: c.alice.signing.kid,
      sign: (tbs) => backend.ed25519Sign(c.alice.signing.privateKey, tbs),
      body: utf8('x'),
      issuedAt: T,
      expiresAt: T + 60,
      rewriteHeader: (h) => headerWith(h, 12, 1),
    });
    expect(await errorCode(() => openRef(env))).toBe('ERR_ENVELOPE_MALFORMED');
  });
});

describe('limits at max and max+1', () => {
  it('maxEnvelopeBytes', async () => {
    expect(
      (await openRef(reference, { limits: { maxEnvelopeBytes: reference.length } })).sender,
    ).toBe(c.alice.name);
    expect(
      await errorCode(() =>
        openRef(reference, { limits: { maxEnvelopeBytes: reference.length - 1 } }),
      ),
    ).toBe('ERR_LIMIT_EXCEEDED');
    expect(
      await errorCode(() =>
        seal('x'.repeat(200), { ...sealOpts, limits: { maxEnvelopeBytes: 200 } }),
      ),
    ).toBe('ERR_LIMIT_EXCEEDED');
  });

  it('maxHeaderBytes', async () => {
    const n = inspect(reference).headerBytes;
    expect((await openRef(reference, { limits: { maxHeaderBytes: n } })).sender).toBe(c.alice.name);
    expect(await errorCode(() => openRef(reference, { limits: { maxHeaderBytes: n - 1 } }))).toBe(
      'ERR_LIMIT_EXCEEDED',
    );
  });

  it('maxRecipients', async () => {
    const s = await seal('x', {
      ...sealOpts,
      recipients: [c.bob, c.carol, c.mallory].map(publicIdentity),
    });
    expect((await openRef(s.envelope, { limits: { maxRecipients: 3 } })).sender).toBe(c.alice.name);
    expect(await errorCode(() => openRef(s.envelope, { limits: { maxRecipients: 2 } }))).toBe(
      'ERR_LIMIT_EXCEEDED',
    );
    expect(
      await errorCode(() =>
        seal('x', {
          ...sealOpts,
          recipients: [c.bob, c.carol, c.mallory].map(publicIdentity),
          limits: { maxRecipients: 2 },
        }),
      ),
    ).toBe('ERR_LIMIT_EXCEEDED');
  });

  it('maxHeaderFields (claims count)', async () => {
    const claims = (n: number) =>
      Object.fromEntries(Array.from({ length: n }, (_, i) => [`c${i}`, i]));
    const s = await seal('x', { ...sealOpts, claims: claims(32) });
    expect((await openRef(s.envelope)).header.claims).toEqual(claims(32));
    expect(await errorCode(() => seal('x', { ...sealOpts, claims: claims(33) }))).toBe(
      'ERR_LIMIT_EXCEEDED',
    );
    const s10 = await seal('x', { ...sealOpts, claims: claims(10) });
    expect((await openRef(s10.envelope, { limits: { maxHeaderFields: 10 } })).sender).toBe(
      c.alice.name,
    );
    expect(await errorCode(() => openRef(s10.envelope, { limits: { maxHeaderFields: 9 } }))).toBe(
      'ERR_LIMIT_EXCEEDED',
    );
  });

  it('maxStringBytes', async () => {
    const s = await seal('x', { ...sealOpts, contentType: 'a'.repeat(100) });
    expect((await openRef(s.envelope, { limits: { maxStringBytes: 100 } })).contentType).toBe(
      'a'.repeat(100),
    );
    expect(await errorCode(() => openRef(s.envelope, { limits: { maxStringBytes: 99 } }))).toBe(
      'ERR_LIMIT_EXCEEDED',
    );
  });

  it('maxContextBytes', async () => {
    const ctx = 'c'.repeat(4096);
    const s = await seal('x', { ...sealOpts, context: ctx });
    expect((await openRef(s.envelope, { context: ctx })).sender).toBe(c.alice.name);
    expect(await errorCode(() => seal('x', { ...sealOpts, context: ctx + 'c' }))).toBe(
      'ERR_LIMIT_EXCEEDED',
    );
    expect(await errorCode(() => openRef(s.envelope, { context: ctx + 'c' }))).toBe(
      'ERR_LIMIT_EXCEEDED',
    );
  });

  it('limits cannot be raised past the ceilings', async () => {
    expect(
      await errorCode(() => openRef(reference, { limits: { maxRecipients: 1_000_000 } })),
    ).toBe('ERR_INVALID_ARGUMENT');
  });

  it('an oversized header length is refused before the bytes are read', async () => {
    const big = concat(Uint8Array.of(0x42, 0x57, 0x01, 0x01), encodeHead(2, 70_000));
    expect(await errorCode(() => openRef(big))).toBe('ERR_LIMIT_EXCEEDED');
  });
});

describe('strings with a lone UTF-16 surrogate', () => {
  it('are refused (ERR_INVALID_ARGUMENT), never encoded as U+FFFD', async () => {
    const { alice, bob } = await cast();
    const base = { sender: alice, recipients: bob, now: NOW };
    for (const o of [
      { context: 'tool:\uD800' },
      { context: 'tool:\uDC00x' },
      { contentType: 'text/\uDBFF' },
      { claims: { 'tenant\uD800': 'a' } },
      { claims: { tenant: 'a\uDFFF' } },
    ] as Partial<SealOptions>[]) {
      expect(await errorCode(() => seal('x', { ...base, ...o })), JSON.stringify(o)).toBe(
        'ERR_INVALID_ARGUMENT',
      );
    }
    expect(await errorCode(() => seal('pay \uD83D', base))).toBe('ERR_INVALID_ARGUMENT');
    const s = await seal('x', { ...base, context: 'tool:\uFFFD' });
    const opts = { recipient: bob, trustedSenders: trusted(alice), now: NOW };
    expect(await errorCode(() => open(s.envelope, { ...opts, context: 'tool:\uD800' }))).toBe(
      'ERR_INVALID_ARGUMENT',
    );
    // A well-formed pair (an emoji) is fine.
    const ok = await seal('pay \uD83D\uDE00', { ...base, context: 'tool:\uD83D\uDE00' });
    const r = await open(ok.envelope, { ...opts, context: 'tool:\uD83D\uDE00' });
    expect(new TextDecoder().decode(r.payload)).toBe('pay \uD83D\uDE00');
  });

  it('are found by the scan too, where a runtime has no isWellFormed', () => {
    const proto = String.prototype as { isWellFormed?: unknown };
    const native = proto.isWellFormed;
    delete proto.isWellFormed;
    try {
      for (const bad of ['\uD800', 'a\uDC00', '\uD800\uD800', '\uDBFFx', 'x\uDFFF\uD800'])
        expect(() => utf8(bad), JSON.stringify(bad)).toThrow(/lone UTF-16 surrogate/);
      for (const good of ['', 'plain', '\uD83D\uDE00', 'a\uDBFF\uDFFFb', '\uFFFD'])
        expect(utf8(good)).toEqual(new TextEncoder().encode(good));
    } finally {
      if (native !== undefined) proto.isWellFormed = native;
    }
  });
});

describe('a sender name longer than a signature can cover', () => {
  it('is ERR_OPEN_FAILED like every failure after decryption, not a revealing ERR_INVALID_ARGUMENT', async () => {
    const backend = fastestBackend();
    const { alice, bob } = await cast(backend);
    const T = Math.floor(NOW / 1000);
    // Anyone who knows bob's public key can seal this; a resolver that goes by kid answers it.
    const resolveSender = () => alice.signing.publicKey;
    for (const n of [0xffff, 0x10000]) {
      const env = await craft({
        backend,
        recipients: [bob.encryption],
        context: new Uint8Array(0),
        sender: 'a'.repeat(n),
        senderKid: alice.signing.kid,
        sign: new Uint8Array(64),
        body: utf8('x'),
        issuedAt: T,
        expiresAt: T + 60,
      });
      expect(
        await errorCode(() => open(env, { recipient: bob, resolveSender, now: NOW })),
        `${n}`,
      ).toBe('ERR_OPEN_FAILED');
    }
  });
});

describe('the inner record is decoded under the header limits (SPEC.md §7 step 13)', () => {
  it('a sender name over maxStringBytes is ERR_OPEN_FAILED; with the limit raised it still is, since §10 caps names at 1024 bytes', async () => {
    const backend = fastestBackend();
    const { alice, bob } = await cast(backend);
    const T = Math.floor(NOW / 1000);
    const resolveSender = () => alice.signing.publicKey;
    const name = `spiffe://acme.example/${'n'.repeat(1003)}`; // 1025 bytes
    const env = await craft({
      backend,
      recipients: [bob.encryption],
      context: new Uint8Array(0),
      sender: name,
      senderKid: alice.signing.kid,
      sign: (tbs) => backend.ed25519Sign(alice.signing.privateKey, tbs),
      body: utf8('x'),
      issuedAt: T,
      expiresAt: T + 60,
    });
    const o = { recipient: bob, resolveSender, now: NOW };
    expect(await errorCode(() => open(env, { ...o, limits: { maxStringBytes: 1025 } }))).toBe(
      'ERR_OPEN_FAILED',
    );
    expect(await errorCode(() => open(env, o))).toBe('ERR_OPEN_FAILED');
  });
});

describe('what used to escape as TypeError or as a foreign error', () => {
  it('malformed arguments are ERR_INVALID_ARGUMENT; a failing resolver or replay guard is ERR_TRANSPORT with its cause', async () => {
    const { alice, bob } = await cast();
    const s = await seal('x', { sender: alice, recipients: bob, now: NOW });
    const bad = (o: unknown) => o as OpenOptions;
    expect(
      await errorCode(() =>
        seal('x', { sender: alice, recipients: [null] } as unknown as SealOptions),
      ),
    ).toBe('ERR_INVALID_ARGUMENT');
    expect(await errorCode(() => seal('x', undefined as unknown as SealOptions))).toBe(
      'ERR_INVALID_ARGUMENT',
    );
    const opts = { recipient: bob, trustedSenders: trusted(alice), now: NOW };
    expect(await errorCode(() => open(s.envelope, bad({ ...opts, recipient: [1] })))).toBe(
      'ERR_INVALID_ARGUMENT',
    );
    expect(await errorCode(() => open(s.envelope, bad({ ...opts, trustedSenders: [null] })))).toBe(
      'ERR_INVALID_ARGUMENT',
    );
    expect(await errorCode(() => open(s.envelope, bad({ ...opts, trustedSenders: 'alice' })))).toBe(
      'ERR_INVALID_ARGUMENT',
    );
    const down = new Error('db down');
    const viaResolver = await open(s.envelope, {
      recipient: bob,
      now: NOW,
      resolveSender: () => {
        throw down;
      },
    }).catch((e: unknown) => e);
    expect(viaResolver).toMatchObject({ code: 'ERR_TRANSPORT', cause: down });
    const viaGuard = await open(s.envelope, {
      ...opts,
      replay: {
        has: () => Promise.reject(down),
        record: () => undefined,
      },
    }).catch((e: unknown) => e);
    expect(viaGuard).toMatchObject({ code: 'ERR_TRANSPORT', cause: down });
  });
});
