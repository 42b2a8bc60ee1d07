/**
 * Name patterns (SPEC.md §7.1): the matcher that allowed senders (§7 step 16)
 * and the directory's name constraints (§11.2 step 4) share, checked against
 * the examples of §7.1 and, with fast-check, against a reference written
 * from the definition: tokens, then "the whole name is one non-empty string
 * per token, in order, each matched by its token".
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { errorCodeSync } from '@blindwire/testkit';
import {
  compileNamePattern,
  compileSenderPatterns,
  isNamePattern,
} from '../src/envelope/patterns.js';

type RefToken = '*' | '**' | { cp: string };

/** §7.1 tokens, or undefined for an invalid pattern (empty, or three `*` in a row). */
function refTokens(pattern: string): RefToken[] | undefined {
  if (pattern.length === 0 || pattern.includes('***')) return undefined;
  const cps = [...pattern];
  const out: RefToken[] = [];
  for (let i = 0; i < cps.length; i++) {
    if (cps[i] === '*' && cps[i + 1] === '*') {
      out.push('**');
      i++;
    } else out.push(cps[i] === '*' ? '*' : { cp: cps[i]! });
  }
  return out;
}

/** §7.1 by its words: split the name into one non-empty string per token, every way there is. */
function refMatch(tokens: readonly RefToken[], name: readonly string[]): boolean {
  if (tokens.length === 0) return name.length === 0;
  const [t, ...rest] = tokens;
  if (typeof t === 'object') return name[0] === t.cp && refMatch(rest, name.slice(1));
  for (let n = 1; n <= name.length; n++) {
    const part = name.slice(0, n);
    if (t === '*' && part.includes('/')) return false;
    if (refMatch(rest, name.slice(n))) return true;
  }
  return false;
}

function matches(pattern: string, name: string): boolean {
  return compileNamePattern(pattern)(name);
}

/** The examples of SPEC.md §7.1, row by row. */
const EXAMPLES: [string, string, boolean][] = [
  ['spiffe://acme.example/agents/*', 'spiffe://acme.example/agents/planner', true],
  ['spiffe://acme.example/agents/planner*', 'spiffe://acme.example/agents/planner', false],
  ['spiffe://acme.example/agents/planner*', 'spiffe://acme.example/agents/planner-2', true],
  ['spiffe://acme.example/*', 'spiffe://acme.example/agents/planner', false],
  ['spiffe://acme.example/**', 'spiffe://acme.example/agents/planner', true],
  ['spiffe://acme.example/**', 'spiffe://acme.example/', false],
  ['spiffe://*.partner.example/**', 'spiffe://eu.pay.partner.example/x/y', true],
  ['spiffe://acme.example/Agents/*', 'spiffe://acme.example/agents/planner', false],
  ['spiffe://acme.example/agents/*', 'spiffe://acme.example/agents/*', true],
  ['spiffe://acme.example/a**', 'spiffe://acme.example/a\nb', true],
];

/** Small alphabets, so that random patterns and names meet: `/`, `*`, a line break, non-BMP. */
const ALPHABET = ['a', 'b', 'A', '/', '*', '\n', '\u2028', 'é', '😀'];
const patternArb = fc
  .array(fc.constantFrom(...ALPHABET, '*', '**'), { minLength: 1, maxLength: 8 })
  .map((parts) => parts.join(''));
const nameArb = fc
  .array(fc.constantFrom(...ALPHABET), { maxLength: 10 })
  .map((parts) => parts.join(''));

describe('name patterns (SPEC.md §7.1)', () => {
  it.each(EXAMPLES)('the examples of §7.1: %j against %j is %s', (pattern, name, want) => {
    expect(matches(pattern, name)).toBe(want);
    expect(refMatch(refTokens(pattern)!, [...name])).toBe(want);
  });

  it('* needs at least one code point and ** too; neither matches the empty run', () => {
    expect(matches('a*', 'a')).toBe(false);
    expect(matches('a**', 'a')).toBe(false);
    expect(matches('*', '')).toBe(false);
    expect(matches('**', '')).toBe(false);
    expect(matches('a*b', 'ab')).toBe(false);
    expect(matches('a*b', 'axb')).toBe(true);
  });

  it('** crosses / and line breaks; * crosses line breaks but not /', () => {
    for (const lb of ['\n', '\r', '\u2028', '\u2029']) {
      expect(matches('x/**', `x/a${lb}b/c`), JSON.stringify(lb)).toBe(true);
      expect(matches('x/*', `x/a${lb}b`), JSON.stringify(lb)).toBe(true);
    }
    expect(matches('x/*', 'x/a/b')).toBe(false);
  });

  it('code points, compared exactly: a non-BMP character is one, and case matters', () => {
    expect(matches('a*b', 'a😀b')).toBe(true);
    expect(matches('a😀', 'a😀')).toBe(true);
    expect(matches('a\ud83d*', 'a😀')).toBe(false); // half a surrogate pair is not the code point
    expect(matches('café', 'cafe\u0301')).toBe(false); // no normalisation
    expect(matches('A*', 'a1')).toBe(false);
  });

  it('the empty pattern and three or more * in a row are refused, naming the parameter', () => {
    for (const p of ['', 'a***', '***', 'x/****', 'a**b***']) {
      expect(isNamePattern(p), p).toBe(false);
      expect(
        errorCodeSync(() => compileNamePattern(p, 'names[0]')),
        p,
      ).toBe('ERR_INVALID_ARGUMENT');
    }
    for (const p of [42, undefined, null]) expect(isNamePattern(p)).toBe(false);
    expect(() => compileNamePattern('a***', 'names[0]')).toThrow(/"names\[0\]"/);
  });

  it('agrees with the reference definition on any pattern and name (fast-check)', () => {
    fc.assert(
      fc.property(patternArb, nameArb, (pattern, name) => {
        const tokens = refTokens(pattern);
        expect(isNamePattern(pattern)).toBe(tokens !== undefined);
        if (tokens === undefined) {
          expect(errorCodeSync(() => compileNamePattern(pattern))).toBe('ERR_INVALID_ARGUMENT');
          return;
        }
        expect(matches(pattern, name)).toBe(refMatch(tokens, [...name]));
      }),
      { numRuns: 3000 },
    );
  });

  it('matches every name built from the pattern by filling each wildcard (fast-check)', () => {
    const fill = fc.array(fc.constantFrom(...ALPHABET), { minLength: 1, maxLength: 3 });
    fc.assert(
      fc.property(patternArb, fc.array(fill, { minLength: 8, maxLength: 8 }), (pattern, fills) => {
        const tokens = refTokens(pattern);
        if (tokens === undefined) return;
        const name = tokens
          .map((t, i) => {
            if (typeof t === 'object') return t.cp;
            const f = fills[i % fills.length]!;
            return (t === '*' ? f.map((cp) => (cp === '/' ? 'a' : cp)) : f).join('');
          })
          .join('');
        expect(matches(pattern, name)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('runs in time len(pattern) x len(name): many wildcards and a long name that fails', () => {
    const pattern = `${'*a'.repeat(12)}**b`;
    const name = 'a'.repeat(4000);
    const t0 = performance.now();
    expect(matches(pattern, name)).toBe(false);
    expect(performance.now() - t0).toBeLessThan(2000);
  });
});

describe('allowedSenders (SPEC.md §7 step 16)', () => {
  it('a sender is allowed when it matches one pattern; an empty list allows none', () => {
    const allowed = compileSenderPatterns(['spiffe://a/*', 'spiffe://b/**'])!;
    expect(allowed('spiffe://a/x')).toBe(true);
    expect(allowed('spiffe://b/x/y')).toBe(true);
    expect(allowed('spiffe://a/x/y')).toBe(false);
    expect(allowed('spiffe://a/')).toBe(false);
    expect(compileSenderPatterns([])!('spiffe://a/x')).toBe(false);
    expect(compileSenderPatterns(undefined)).toBeUndefined();
  });

  it('a RegExp is used as given; a bad pattern is an argument error naming its index', () => {
    expect(compileSenderPatterns([/^spiffe:\/\/a\//])!('spiffe://a/x/y')).toBe(true);
    expect(() => compileSenderPatterns(['spiffe://a/*', 'x***'])).toThrow(/"allowedSenders\[1\]"/);
    expect(errorCodeSync(() => compileSenderPatterns([''])!)).toBe('ERR_INVALID_ARGUMENT');
    expect(errorCodeSync(() => compileSenderPatterns('spiffe://a/*' as unknown as string[]))).toBe(
      'ERR_INVALID_ARGUMENT',
    );
  });

  it('a hole is not skipped: it is an argument error naming its index', () => {
    // eslint-disable-next-line no-sparse-arrays -- the hole is the point
    const holed = [, 'spiffe://**'] as unknown as string[];
    expect(errorCodeSync(() => compileSenderPatterns(holed))).toBe('ERR_INVALID_ARGUMENT');
    expect(() => compileSenderPatterns(holed)).toThrow(/"allowedSenders\[0\]"/);
    expect(errorCodeSync(() => compileSenderPatterns(new Array<string>(2)))).toBe(
      'ERR_INVALID_ARGUMENT',
    );
  });

  it('a RegExp with g or y (stateful lastIndex) is refused; one without is copied', () => {
    for (const re of [/^spiffe:\/\/a\//g, /^spiffe:\/\/a\//y, /spiffe/giu]) {
      expect(errorCodeSync(() => compileSenderPatterns([re]))).toBe('ERR_INVALID_ARGUMENT');
      expect(() => compileSenderPatterns(['x:*', re])).toThrow(/"allowedSenders\[1\]"/);
    }
    const re = /^spiffe:\/\/a\//;
    const allowed = compileSenderPatterns([re])!;
    re.compile('^.*$'); // Annex B: rewrites the caller's object in place
    expect([allowed('spiffe://a/x'), allowed('spiffe://a/x'), allowed('spiffe://b/x')]).toEqual([
      true,
      true,
      false,
    ]);
  });
});
