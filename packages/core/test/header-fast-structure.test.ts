/**
 * The fixed-layout readers (wire/header-fast.ts `readCommon`, wire/inner.ts
 * `readSignedInner`) against the strict decoder on structure-aware defects
 * (SPEC.md §3.1): every width of a non-shortest head, indefinite lengths,
 * tags, count ±1, rewritten, swapped and duplicated keys, trailing bytes and
 * special values, at the heads a real encoding has. Same value, or the same
 * error code and message; whatever a fast reader accepts, the strict decoder
 * accepts the same.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../src/limits.js';
import {
  decodeMessageHeader,
  encodeMessageHeader,
  type MessageHeader,
} from '../src/wire/header.js';
import { decodeMessageHeaderFast, readCommon } from '../src/wire/header-fast.js';
import { decodeInner, decodeInnerStrict, encodeInner, readSignedInner } from '../src/wire/inner.js';
import { heads, structMutate, structMutation, widen } from './helpers/cbor-mutations.js';
import { headerOf, inner, limits, outcome } from './helpers/layout-arbitraries.js';

/** The common header: one recipient, no claims (what `readCommon` reads). */
const commonHeader = headerOf(false).map((h): MessageHeader => ({
  ...h,
  suite: { ...h.suite, kem: 0x20 },
  recipients: [{ kid: h.recipients[0]!.kid, enc: h.recipients[0]!.enc }],
  claims: undefined,
}));
const header = fc.oneof({ weight: 3, arbitrary: commonHeader }, headerOf(false));

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const fromHex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s/g, ''), 'hex'));

/** The fast and strict header decoders agree on `b` under `l`. */
function sameHeaderDecision(b: Uint8Array, l = DEFAULT_LIMITS): void {
  const strict = outcome(() => decodeMessageHeader(b, l));
  expect(outcome(() => decodeMessageHeaderFast(b, l))).toEqual(strict);
  const fast = readCommon(b, l);
  if (fast) expect(strict).toEqual({ ok: fast });
}

describe('fixed-layout header reader on structural defects (SPEC.md §3.1, §4.1)', () => {
  it('decides every structure-aware mutation as the strict decoder', () => {
    fc.assert(
      fc.property(
        header,
        fc.array(structMutation, { minLength: 1, maxLength: 3 }),
        limits,
        (h, ms, l) => {
          let b = encodeMessageHeader(h);
          for (const m of ms) b = structMutate(b, m);
          sameHeaderDecision(b, l);
        },
      ),
      { numRuns: 4000 },
    );
  });

  it('refuses every head of a common header in each wider form, in both readers', () => {
    fc.assert(
      fc.property(commonHeader, (h) => {
        // Only what readCommon reads: times in order, an ASCII content type.
        if (h.expiresAt < h.issuedAt || !/^[\0-\x7f]*$/.test(h.contentType ?? '')) return;
        const b = encodeMessageHeader(h);
        expect(readCommon(b, DEFAULT_LIMITS)).toBeDefined();
        for (const head of heads(b).all) {
          for (const to of [1, 2, 4, 8] as const) {
            const need = head.arg < 24 ? 0 : head.arg < 0x100 ? 1 : head.arg < 0x10000 ? 2 : 4;
            if (to <= need) continue;
            const v = widen(b, head, to);
            expect(readCommon(v, DEFAULT_LIMITS)).toBeUndefined();
            expect(outcome(() => decodeMessageHeaderFast(v, DEFAULT_LIMITS))).toMatchObject({
              code: 'ERR_ENVELOPE_MALFORMED',
            });
            sameHeaderDecision(v);
          }
        }
      }),
      { numRuns: 60 },
    );
  });

  it('refuses 2-byte lengths, 4-byte times and an indefinite content type that fit in less', () => {
    const h: MessageHeader = {
      suite: { kem: 0x20, kdf: 1, aead: 1 },
      recipients: [{ kid: new Uint8Array(8).fill(1), enc: new Uint8Array(32).fill(2) }],
      messageId: new Uint8Array(16).fill(3),
      issuedAt: 300,
      expiresAt: 60_000,
      contentType: 'application/json',
      contextCheck: new Uint8Array(16).fill(4),
      commitment: new Uint8Array(32).fill(5),
    };
    const b = encodeMessageHeader(h);
    expect(readCommon(b, DEFAULT_LIMITS)).toEqual(h);
    const s = hex(b);
    const swaps: [string, string][] = [
      ['818248', '818259 0008'], // kid length 8 as 0x59 0x00 0x08
      ['5820', '59 0020'], // enc length 32 as 0x59 0x00 0x20
      ['0350', '03590010'], // message id length 16
      ['0419012c', '041a0000012c'], // issued-at 300 as 0x1a 0x0000012c
      ['0519ea60', '051a0000ea60'], // expires-at 60000 as 0x1a 0x0000ea60
      ['0519ea60', '051b000000000000ea60'], // and as 0x1b
      ['0670', '067f70'], // content type as 0x7f 0x70 ... 0xff (below)
      ['0670', '06790010'], // content type length 16 as 0x79 0x00 0x10
    ];
    for (const [from, to] of swaps) {
      expect(s).toContain(from);
      let v = s.replace(from, to.replace(/\s/g, ''));
      if (to === '067f70') v = v.replace('6a736f6e', '6a736f6eff'); // "json" then the break
      const bytes = fromHex(v);
      expect(readCommon(bytes, DEFAULT_LIMITS)).toBeUndefined();
      expect(() => decodeMessageHeader(bytes, DEFAULT_LIMITS)).toThrow();
      sameHeaderDecision(bytes);
    }
    // The content type in two indefinite chunks: 0x7f 0x6b "application" 0x65 "/json" 0xff.
    const chunks = fromHex(
      s.replace(
        '0670' + hex(new TextEncoder().encode('application/json')),
        '067f6b' +
          hex(new TextEncoder().encode('application')) +
          '65' +
          hex(new TextEncoder().encode('/json')) +
          'ff',
      ),
    );
    expect(chunks.length).toBe(b.length + 3);
    expect(readCommon(chunks, DEFAULT_LIMITS)).toBeUndefined();
    sameHeaderDecision(chunks);
  });
});

describe('fixed-layout inner reader on structural defects (SPEC.md §3.1, §4.2)', () => {
  it('decides every structure-aware mutation as the strict decoder', () => {
    fc.assert(
      fc.property(
        inner,
        fc.array(structMutation, { minLength: 1, maxLength: 3 }),
        limits,
        fc.boolean(),
        ({ padding, ...rec }, ms, l, signed) => {
          let p = encodeInner(signed ? rec : { body: rec.body }, padding);
          for (const m of ms) p = structMutate(p, m);
          const strict = outcome(() => decodeInnerStrict(p, signed, l));
          expect(outcome(() => decodeInner(p, signed, l))).toEqual(strict);
          const fast = readSignedInner(p, l);
          if (signed && fast) expect(strict).toEqual({ ok: fast });
        },
      ),
      { numRuns: 4000 },
    );
  });

  it('refuses every head of a signed record in each wider form', () => {
    fc.assert(
      fc.property(inner, ({ padding, ...rec }) => {
        const p = encodeInner(rec, padding);
        const { all } = heads(p);
        for (const head of all) {
          for (const to of [1, 2, 4, 8] as const) {
            const need = head.arg < 24 ? 0 : head.arg < 0x100 ? 1 : head.arg < 0x10000 ? 2 : 4;
            if (to <= need) continue;
            const v = widen(p, head, to);
            expect(readSignedInner(v, DEFAULT_LIMITS)).toBeUndefined();
            expect(outcome(() => decodeInnerStrict(v, true, DEFAULT_LIMITS))).toMatchObject({
              code: 'ERR_OPEN_FAILED',
            });
            expect(outcome(() => decodeInner(v, true, DEFAULT_LIMITS))).toEqual(
              outcome(() => decodeInnerStrict(v, true, DEFAULT_LIMITS)),
            );
          }
        }
      }),
      { numRuns: 60 },
    );
  });
});
