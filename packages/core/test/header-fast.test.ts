/**
 * The fixed-layout header and inner-record writers and readers
 * (wire/header-fast.ts, wire/inner.ts) against the generic strict CBOR path:
 * byte-identical output, and the same accept/reject decision (same value, or
 * the same error code and message) for every input, canonical or not.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, MAX_LIMITS } from '../src/limits.js';
import { encodeCbor, type CborMap } from '../src/wire/cbor.js';
import { encodeCborReference } from '../src/wire/cbor-reference.js';
import {
  decodeMessageHeader,
  encodeMessageHeader,
  type MessageHeader,
} from '../src/wire/header.js';
import {
  decodeMessageHeaderFast,
  encodePrefixedHeader,
  readCommon,
} from '../src/wire/header-fast.js';
import { decodeInner, decodeInnerStrict, encodeInner } from '../src/wire/inner.js';
import { Kind, PREFIX_LENGTH, prefixFor } from '../src/wire/kinds.js';
import { bytes, headerOf, inner, limits, outcome } from './helpers/layout-arbitraries.js';

const header = headerOf(true);
const looseHeader = headerOf(false);

/** The same map the generic writer builds (header.ts `messageMap`), for the reference encoder. */
function referenceMap(h: MessageHeader): CborMap {
  const m: CborMap = new Map();
  m.set(1, [h.suite.kem, h.suite.kdf, h.suite.aead]);
  m.set(
    2,
    h.recipients.map((r) => (r.wrapped ? [r.kid, r.enc, r.wrapped] : [r.kid, r.enc])),
  );
  m.set(3, h.messageId);
  m.set(4, h.issuedAt);
  m.set(5, h.expiresAt);
  if (h.contentType !== undefined) m.set(6, h.contentType);
  m.set(7, h.contextCheck);
  m.set(8, h.commitment);
  if (h.claims && h.claims.size > 0) {
    const keys = [...h.claims.keys()].sort((a, b) => {
      const ea = new TextEncoder().encode(a);
      const eb = new TextEncoder().encode(b);
      return ea.length - eb.length || Buffer.compare(ea, eb);
    });
    m.set(9, new Map(keys.map((k) => [k, h.claims!.get(k)!])));
  }
  return m;
}

/** Adversarial variants of a valid encoding: flips, replaced, inserted and cut bytes. */
const mutation = fc.oneof(
  fc.record({
    op: fc.constant('flip' as const),
    at: fc.nat(),
    bit: fc.integer({ min: 0, max: 7 }),
  }),
  fc.record({ op: fc.constant('set' as const), at: fc.nat(), v: fc.integer({ min: 0, max: 255 }) }),
  fc.record({
    op: fc.constant('insert' as const),
    at: fc.nat(),
    v: fc.integer({ min: 0, max: 255 }),
  }),
  fc.record({ op: fc.constant('cut' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('delete' as const), at: fc.nat() }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

function mutate(b: Uint8Array, ms: Mutation[]): Uint8Array {
  let out = Uint8Array.from(b);
  for (const m of ms) {
    const at = out.length === 0 ? 0 : m.at % out.length;
    if (m.op === 'flip' && out.length) out[at]! ^= 1 << m.bit;
    else if (m.op === 'set' && out.length) out[at] = m.v;
    else if (m.op === 'insert')
      out = Uint8Array.from([...out.subarray(0, at), m.v, ...out.subarray(at)]);
    else if (m.op === 'cut') out = out.slice(0, at);
    else if (m.op === 'delete')
      out = Uint8Array.from([...out.subarray(0, at), ...out.subarray(at + 1)]);
  }
  return out;
}

/** `b` with the head at `i` (argument < 24) rewritten in its non-shortest 1-byte-argument form. */
function widened(b: Uint8Array, i: number): Uint8Array {
  const x = b[i]!;
  return Uint8Array.from([...b.subarray(0, i), (x & 0xe0) | 24, x & 0x1f, ...b.subarray(i + 1)]);
}

describe('fixed-layout message header (SPEC.md §4.1, §3.1)', () => {
  it('writes the bytes of the generic writer (and of cbor-x) for every header', () => {
    fc.assert(
      fc.property(header, fc.constantFrom(Kind.Message, Kind.Response), (h, kind) => {
        const aad = encodePrefixedHeader(kind, h);
        expect(aad.subarray(0, PREFIX_LENGTH)).toEqual(prefixFor(kind));
        const generic = encodeMessageHeader(h);
        expect(aad.subarray(PREFIX_LENGTH)).toEqual(generic);
        expect(generic).toEqual(encodeCborReference(referenceMap(h)));
      }),
      { numRuns: 400 },
    );
  });

  it('hands any integer that is not a safe non-negative integer to the generic writer', () => {
    const base: MessageHeader = {
      suite: { kem: 0x20, kdf: 1, aead: 1 },
      recipients: [{ kid: new Uint8Array(8).fill(1), enc: new Uint8Array(32).fill(2) }],
      messageId: new Uint8Array(16),
      issuedAt: 1_700_000_000,
      expiresAt: 1_700_000_300,
      contextCheck: new Uint8Array(16),
      commitment: new Uint8Array(32),
    };
    const variants: ((v: number) => MessageHeader)[] = [
      (v) => ({ ...base, issuedAt: v }),
      (v) => ({ ...base, expiresAt: v }),
      (v) => ({ ...base, suite: { ...base.suite, kem: v } }),
      (v) => ({ ...base, suite: { ...base.suite, kdf: v } }),
      (v) => ({ ...base, suite: { ...base.suite, aead: v } }),
    ];
    const values = [-1, -24, -25, -0x10000, 1.5, -0.5, NaN, Infinity, -Infinity, 2 ** 53, -0];
    for (const at of variants) {
      for (const v of values) {
        const h = at(v);
        const generic = outcome(() => encodeMessageHeader(h));
        const fast = outcome(() => encodePrefixedHeader(Kind.Message, h).subarray(PREFIX_LENGTH));
        expect(fast).toEqual(generic);
      }
      // The largest integer the fixed layout writes itself.
      const top = at(2 ** 53 - 1);
      expect(encodePrefixedHeader(Kind.Message, top).subarray(PREFIX_LENGTH)).toEqual(
        encodeMessageHeader(top),
      );
    }
    // -1 is the CBOR negative integer 0x20 (the generic writer's), never 0xff (a break).
    const neg = encodePrefixedHeader(Kind.Message, { ...base, issuedAt: -1 });
    expect(neg[neg.indexOf(0x04, PREFIX_LENGTH + 40) + 1]).toBe(0x20);
    expect(() => encodePrefixedHeader(Kind.Message, { ...base, issuedAt: 1.5 })).toThrow(
      /only safe integers/,
    );
  });

  it('reads the common layout in place, as the strict decoder does', () => {
    fc.assert(
      fc.property(header, (h) => {
        const b = encodeMessageHeader(h);
        const strict = outcome(() => decodeMessageHeader(b, DEFAULT_LIMITS));
        expect(outcome(() => decodeMessageHeaderFast(b, DEFAULT_LIMITS))).toEqual(strict);
        const common =
          h.suite.kem === 0x20 && h.recipients.length === 1 && !(h.claims && h.claims.size > 0);
        const ascii = h.contentType === undefined || /^[\0-\x7f]*$/.test(h.contentType);
        if (common && ascii) expect(readCommon(b, DEFAULT_LIMITS)).toBeDefined();
      }),
      { numRuns: 400 },
    );
  });

  it('decides every mutated, non-canonical or random input exactly as the strict decoder', () => {
    fc.assert(
      fc.property(looseHeader, fc.array(mutation, { maxLength: 3 }), limits, (h, ms, l) => {
        const b = mutate(encodeMessageHeader(h), ms);
        const strict = outcome(() => decodeMessageHeader(b, l));
        expect(outcome(() => decodeMessageHeaderFast(b, l))).toEqual(strict);
        // Whatever the fast reader accepts, the strict decoder accepts the same.
        const fast = readCommon(b, l);
        if (fast) expect(strict).toEqual({ ok: fast });
      }),
      { numRuns: 3000 },
    );
    // Every byte that could be a short head, widened: the non-shortest forms of SPEC.md §3.1.
    fc.assert(
      fc.property(looseHeader, limits, (h, l) => {
        const b = encodeMessageHeader(h);
        for (let i = 0; i <= b.length; i++) {
          const v = i === b.length ? Uint8Array.from([...b, 0]) : widened(b, i);
          if (i < b.length && ((b[i]! & 0x1f) >= 24 || b[i]! >> 5 > 5)) continue;
          expect(outcome(() => decodeMessageHeaderFast(v, l))).toEqual(
            outcome(() => decodeMessageHeader(v, l)),
          );
        }
      }),
      { numRuns: 150 },
    );
    fc.assert(
      fc.property(bytes(0, 120), limits, (b, l) => {
        expect(outcome(() => decodeMessageHeaderFast(b, l))).toEqual(
          outcome(() => decodeMessageHeader(b, l)),
        );
      }),
      { numRuns: 1000 },
    );
  });

  it('falls back at each limit the strict decoder applies', () => {
    const h: MessageHeader = {
      suite: { kem: 0x20, kdf: 1, aead: 2 },
      recipients: [{ kid: new Uint8Array(8).fill(1), enc: new Uint8Array(32).fill(2) }],
      messageId: new Uint8Array(16),
      issuedAt: 1_700_000_000,
      expiresAt: 1_700_000_300,
      contentType: 'application/json',
      contextCheck: new Uint8Array(16),
      commitment: new Uint8Array(32),
    };
    const b = encodeMessageHeader(h);
    expect(readCommon(b, DEFAULT_LIMITS)).toEqual(h);
    for (const l of [
      { maxHeaderFields: 7 },
      { maxCborDepth: 3 },
      { maxStringBytes: 15 },
      { maxHeaderFields: MAX_LIMITS.maxHeaderFields, maxCborDepth: 4, maxStringBytes: 16 },
    ]) {
      const limits = { ...DEFAULT_LIMITS, ...l };
      expect(outcome(() => decodeMessageHeaderFast(b, limits))).toEqual(
        outcome(() => decodeMessageHeader(b, limits)),
      );
    }
    expect(readCommon(b, { ...DEFAULT_LIMITS, maxHeaderFields: 7 })).toBeUndefined();
    expect(() => decodeMessageHeaderFast(b, { ...DEFAULT_LIMITS, maxHeaderFields: 7 })).toThrow(
      /more than 7 fields/,
    );
  });
});

describe('fixed-layout inner record (SPEC.md §4.2)', () => {
  it('writes the bytes of the generic CBOR writer', () => {
    fc.assert(
      fc.property(inner, fc.boolean(), ({ padding, ...rec }, signed) => {
        const r = signed ? rec : { body: rec.body };
        const enc = encodeInner(r, padding);
        const m: CborMap = new Map();
        if (signed) {
          m.set(1, rec.sender);
          m.set(2, rec.senderKid);
          m.set(3, rec.signature);
        }
        m.set(4, rec.body.length);
        const meta = encodeCbor(m);
        expect(meta).toEqual(encodeCborReference(m));
        expect(enc.subarray(0, meta.length)).toEqual(meta);
        expect(enc.subarray(meta.length, meta.length + rec.body.length)).toEqual(rec.body);
      }),
      { numRuns: 300 },
    );
  });

  it('decides every record, mutated or not, exactly as the strict decoder', () => {
    fc.assert(
      fc.property(
        inner,
        fc.array(mutation, { maxLength: 3 }),
        limits,
        fc.boolean(),
        ({ padding, ...rec }, ms, l, signed) => {
          const p = mutate(encodeInner(signed ? rec : { body: rec.body }, padding), ms);
          expect(outcome(() => decodeInner(p, signed, l))).toEqual(
            outcome(() => decodeInnerStrict(p, signed, l)),
          );
        },
      ),
      { numRuns: 3000 },
    );
    fc.assert(
      fc.property(inner, limits, ({ padding, ...rec }, l) => {
        const p = encodeInner(rec, padding);
        for (let i = 0; i < Math.min(p.length, 120); i++) {
          if ((p[i]! & 0x1f) >= 24 || p[i]! >> 5 > 5) continue;
          const v = widened(p, i);
          expect(outcome(() => decodeInner(v, true, l))).toEqual(
            outcome(() => decodeInnerStrict(v, true, l)),
          );
        }
      }),
      { numRuns: 100 },
    );
  });
});
