/** The strict CBOR subset of SPEC.md §3.1: decode(encode(x)) = x, and every rule enforced. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { errorCodeSync } from '@blindwire/testkit';
import { decodeCbor, encodeCbor, encodeHead, type CborValue } from '../src/wire/cbor.js';
import { encodeCborReference } from '../src/wire/cbor-reference.js';

const LIMITS = { maxDepth: 8, maxItems: 64, maxStringBytes: 1024 };

const value: fc.Arbitrary<CborValue> = fc.letrec<{ v: CborValue }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.integer({ min: -(2 ** 31), max: 2 ** 32 - 1 }),
    fc.maxSafeInteger(),
    fc.constantFrom(
      2 ** 32,
      2 ** 32 - 1,
      -(2 ** 32),
      -(2 ** 32) - 1,
      Number.MAX_SAFE_INTEGER,
      -Number.MAX_SAFE_INTEGER,
    ),
    fc.string({ maxLength: 40 }),
    fc.uint8Array({ maxLength: 40 }),
    fc.array(tie('v'), { maxLength: 4 }),
    fc.uniqueArray(fc.nat({ max: 1000 }), { maxLength: 4 }).chain((keys) =>
      fc.tuple(...keys.map(() => tie('v'))).map((vals) => {
        const sorted = [...keys].sort((a, b) => a - b);
        return new Map(sorted.map((k, i) => [k, vals[i]!])) as CborValue;
      }),
    ),
  ),
})).v;

describe('strict CBOR', () => {
  it('decode(encode(x)) = x for the subset, and the writer matches cbor-x byte for byte', () => {
    fc.assert(
      fc.property(value, (v) => {
        const bytes = encodeCbor(v);
        expect(bytes).toEqual(encodeCborReference(v));
        const back = decodeCbor(bytes, { ...LIMITS, maxDepth: 16 });
        expect(back).toEqual(v);
        expect(encodeCbor(back)).toEqual(bytes);
      }),
      { numRuns: 500 },
    );
  });

  it('encodeHead uses the shortest form at every boundary', () => {
    for (const [n, len] of [
      [23, 1],
      [24, 2],
      [255, 2],
      [256, 3],
      [65535, 3],
      [65536, 5],
      [2 ** 32 - 1, 5],
      [2 ** 32, 9],
    ] as const) {
      const h = encodeHead(2, n);
      expect(h.length).toBe(len);
      expect(decodeCbor(new Uint8Array([...encodeHead(0, n)]), LIMITS)).toBe(n);
    }
  });

  it.each([
    ['indefinite-length array', [0x9f, 0x01, 0xff]],
    ['indefinite-length byte string', [0x5f, 0x41, 0x00, 0xff]],
    ['tag', [0xc2, 0x41, 0x00]],
    ['float', [0xfa, 0, 0, 0, 0]],
    ['true', [0xf5]],
    ['null', [0xf6]],
    ['non-shortest uint', [0x19, 0x00, 0x10]],
    ['non-shortest length', [0x58, 0x01, 0x00]],
    ['reserved additional info', [0x1c]],
    ['truncated byte string', [0x43, 0x00]],
    ['array count beyond input', [0x84, 0x01]],
    ['trailing bytes', [0x01, 0x01]],
    ['invalid UTF-8', [0x62, 0xc3, 0x28]],
    ['duplicate map key', [0xa2, 0x01, 0x00, 0x01, 0x00]],
    ['descending map keys', [0xa2, 0x02, 0x00, 0x01, 0x00]],
    ['byte-string map key', [0xa1, 0x41, 0x00, 0x00]],
    ['integer beyond 2^53', [0x1b, 0x00, 0x20, 0, 0, 0, 0, 0, 0]],
    ['empty input', []],
  ])('rejects %s as ERR_ENVELOPE_MALFORMED', (_, bytes) => {
    expect(errorCodeSync(() => decodeCbor(Uint8Array.from(bytes), LIMITS))).toBe(
      'ERR_ENVELOPE_MALFORMED',
    );
  });

  it('depth, item count and string length at the limit pass and one past fails with ERR_LIMIT_EXCEEDED', () => {
    const nested = (d: number): CborValue => (d === 1 ? 0 : [nested(d - 1)]);
    expect(() => decodeCbor(encodeCbor(nested(8)), LIMITS)).not.toThrow();
    expect(errorCodeSync(() => decodeCbor(encodeCbor(nested(9)), LIMITS))).toBe(
      'ERR_LIMIT_EXCEEDED',
    );
    expect(() => decodeCbor(encodeCbor(new Array(64).fill(0)), LIMITS)).not.toThrow();
    expect(errorCodeSync(() => decodeCbor(encodeCbor(new Array(65).fill(0)), LIMITS))).toBe(
      'ERR_LIMIT_EXCEEDED',
    );
    expect(() => decodeCbor(encodeCbor('a'.repeat(1024)), LIMITS)).not.toThrow();
    expect(errorCodeSync(() => decodeCbor(encodeCbor('a'.repeat(1025)), LIMITS))).toBe(
      'ERR_LIMIT_EXCEEDED',
    );
  });

  const huge = [0x80, 0, 0, 0, 0, 0, 0, 0]; // 2^63, beyond 2^53 - 1
  it.each([
    ['a text string of 1025 bytes', [0x79, 0x04, 0x01, 0x61]],
    ['an array of 65 items', [0x98, 0x41, 0x00]],
    ['a map of 65 entries', [0xb8, 0x41, 0x00, 0x00]],
    ['a text string of 2^63 bytes', [0x7b, ...huge]],
    ['an array of 2^63 items', [0x9b, ...huge]],
    ['a map of 2^63 entries', [0xbb, ...huge]],
  ])(
    '%s in a short input: the limit is checked before the remaining input (ERR_LIMIT_EXCEEDED, SPEC.md §3.1)',
    (_, bytes) => {
      expect(errorCodeSync(() => decodeCbor(Uint8Array.from(bytes), LIMITS))).toBe(
        'ERR_LIMIT_EXCEEDED',
      );
    },
  );

  it.each([
    ['a byte string of 2^63 bytes (no limit of its own)', [0x5b, ...huge]],
    ['an unsigned integer 2^63 (rule 4)', [0x1b, ...huge]],
    ['a negative integer -1 - 2^63 (rule 4)', [0x3b, ...huge]],
    ['a tag with an 8-byte argument', [0xdb, ...huge]],
  ])('%s is ERR_ENVELOPE_MALFORMED', (_, bytes) => {
    expect(errorCodeSync(() => decodeCbor(Uint8Array.from(bytes), LIMITS))).toBe(
      'ERR_ENVELOPE_MALFORMED',
    );
  });

  it('keeps a leading U+FEFF in text (no byte-order-mark stripping): distinct names stay distinct', () => {
    const bom = decodeCbor(encodeCbor('\uFEFFspiffe://a/bob'), LIMITS);
    expect(bom).toBe('\uFEFFspiffe://a/bob');
    expect(bom).not.toBe('spiffe://a/bob');
  });

  it('orders text map keys by length first (RFC 8949 §4.2.1)', () => {
    const ok = encodeCbor(
      new Map([
        ['b', 1],
        ['aa', 2],
      ]),
    );
    expect(decodeCbor(ok, LIMITS)).toEqual(
      new Map([
        ['b', 1],
        ['aa', 2],
      ]),
    );
    const bad = encodeCbor(
      new Map([
        ['aa', 2],
        ['b', 1],
      ]),
    );
    expect(errorCodeSync(() => decodeCbor(bad, LIMITS))).toBe('ERR_ENVELOPE_MALFORMED');
  });
});
