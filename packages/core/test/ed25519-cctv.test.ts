/**
 * C2SP/CCTV Ed25519 edge cases (../shared/vectors/cctv-ed25519, 914 vectors)
 * against strict verification (RFC 8032 §5.1.7, cofactorless; see
 * backend/ed25519-strict.ts). The decision for every flag combination that
 * occurs is pinned below; every backend must match it on every vector, and all
 * backends must agree with each other.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { utf8 } from '../src/bytes.js';
import type { CryptoBackend } from '../src/backend/types.js';
import { backends } from './helpers/backends.js';
import { hex, loadVectors } from './helpers/vectors.js';

interface CctvVector {
  number: number;
  key: string;
  sig: string;
  msg: string; // UTF-8 text
  flags: string[] | null;
}

/** Short codes of the CCTV flags, in the order combinations are written. */
const FLAG_CODES: Record<string, string> = {
  non_canonical_A: 'ncA',
  non_canonical_R: 'ncR',
  low_order_A: 'loA',
  low_order_R: 'loR',
  low_order_component_A: 'lcA',
  low_order_component_R: 'lcR',
  low_order_residue: 'res',
  reencoded_k: 'rek',
};
/** The strict rules: any of these flags means reject, whatever the equation says. */
const STRICT_REJECT = ['ncA', 'ncR', 'loA', 'loR'];

type Decision = 'accept' | 'reject';

/**
 * Flag combination -> decision -> number of vectors. Rows with a strict flag
 * reject by rule. Without one, the cofactorless equation decides, and it
 * rejects exactly the `low_order_residue` rows (the equation holds only after
 * multiplying by the cofactor). No combination has mixed outcomes.
 */
const PINNED: ReadonlyArray<readonly [string, Decision, number]> = [
  ['lcA lcR res', 'reject', 49],
  ['lcA lcR', 'accept', 35],
  ['lcA res', 'reject', 7],
  ['lcA', 'accept', 7],
  ['lcR res', 'reject', 7],
  ['loA lcA lcR res', 'reject', 49],
  ['loA lcA lcR', 'reject', 35],
  ['loA lcA res', 'reject', 7],
  ['loA lcA', 'reject', 7],
  ['loA lcR res', 'reject', 7],
  ['loA loR lcA lcR res', 'reject', 49],
  ['loA loR lcA lcR', 'reject', 35],
  ['loA loR lcA res', 'reject', 7],
  ['loA loR lcA', 'reject', 7],
  ['loA loR lcR res', 'reject', 7],
  ['loA loR', 'reject', 1],
  ['loA', 'reject', 1],
  ['loR lcA lcR res', 'reject', 49],
  ['loR lcA lcR', 'reject', 35],
  ['loR lcA res', 'reject', 7],
  ['loR lcA', 'reject', 7],
  ['loR lcR res', 'reject', 7],
  ['loR', 'reject', 1],
  ['ncA loA lcA lcR rek', 'reject', 5],
  ['ncA loA lcA lcR res rek', 'reject', 23],
  ['ncA loA lcA lcR res', 'reject', 21],
  ['ncA loA lcA lcR', 'reject', 7],
  ['ncA loA lcA rek', 'reject', 2],
  ['ncA loA lcA res rek', 'reject', 4],
  ['ncA loA lcA res', 'reject', 3],
  ['ncA loA lcA', 'reject', 3],
  ['ncA loA lcR res rek', 'reject', 21],
  ['ncA loA lcR res', 'reject', 21],
  ['ncA loA loR lcA lcR res', 'reject', 21],
  ['ncA loA loR lcA lcR', 'reject', 7],
  ['ncA loA loR lcA res', 'reject', 3],
  ['ncA loA loR lcA', 'reject', 3],
  ['ncA loA loR lcR res', 'reject', 21],
  ['ncA loA loR', 'reject', 3],
  ['ncA loA rek', 'reject', 3],
  ['ncA loA', 'reject', 3],
  ['ncA ncR loA loR lcA lcR res', 'reject', 9],
  ['ncA ncR loA loR lcA lcR', 'reject', 7],
  ['ncA ncR loA loR lcA res', 'reject', 9],
  ['ncA ncR loA loR lcA', 'reject', 9],
  ['ncA ncR loA loR lcR res', 'reject', 9],
  ['ncA ncR loA loR', 'reject', 9],
  ['ncR loA loR lcA lcR res', 'reject', 21],
  ['ncR loA loR lcA lcR', 'reject', 19],
  ['ncR loA loR lcA res', 'reject', 21],
  ['ncR loA loR lcA', 'reject', 21],
  ['ncR loA loR lcR res', 'reject', 3],
  ['ncR loA loR', 'reject', 3],
  ['ncR loR lcA lcR rek', 'reject', 6],
  ['ncR loR lcA lcR res rek', 'reject', 34],
  ['ncR loR lcA lcR res', 'reject', 21],
  ['ncR loR lcA lcR', 'reject', 19],
  ['ncR loR lcA rek', 'reject', 3],
  ['ncR loR lcA res rek', 'reject', 39],
  ['ncR loR lcA res', 'reject', 21],
  ['ncR loR lcA', 'reject', 21],
  ['ncR loR lcR res rek', 'reject', 3],
  ['ncR loR lcR res', 'reject', 3],
  ['ncR loR rek', 'reject', 3],
  ['ncR loR', 'reject', 3],
  ['none', 'accept', 1],
];

/** The 43 accepted vectors, by `number` (the rest, 871, are rejected). */
const ACCEPTED = [
  7, 29, 50, 117, 139, 161, 182, 249, 305, 411, 425, 438, 465, 473, 481, 489, 497, 511, 525, 538,
  565, 573, 581, 589, 597, 611, 625, 638, 665, 673, 681, 689, 697, 711, 725, 738, 765, 773, 781,
  789, 797, 832, 899,
];

const vectors = loadVectors<CctvVector[]>('cctv-ed25519/ed25519vectors.json');
const codes = Object.keys(FLAG_CODES);

function combination(v: CctvVector): string {
  const flags = v.flags ?? [];
  for (const f of flags) expect(codes, `vector ${v.number}: unknown flag`).toContain(f);
  return (
    codes
      .filter((f) => flags.includes(f))
      .map((f) => FLAG_CODES[f])
      .join(' ') || 'none'
  );
}

const pinned = new Map(PINNED.map(([combo, decision]) => [combo, decision]));

async function decide(b: CryptoBackend, v: CctvVector): Promise<Decision> {
  return (await b.ed25519Verify(hex(v.key), utf8(v.msg), hex(v.sig))) ? 'accept' : 'reject';
}

test('the vectors file holds 914 vectors numbered 0..913', () => {
  expect(vectors).toHaveLength(914);
  vectors.forEach((v, i) => expect(v.number).toBe(i));
});

test('the pinned table covers every combination that occurs, with its vector count', () => {
  const counts = new Map<string, number>();
  for (const v of vectors) counts.set(combination(v), (counts.get(combination(v)) ?? 0) + 1);
  expect(new Map(PINNED.map(([combo, , n]) => [combo, n]))).toEqual(counts);
  expect(PINNED).toHaveLength(66);
  expect(PINNED.reduce((sum, [, , n]) => sum + n, 0)).toBe(914);
});

test('the table follows the rule: strict flags reject; otherwise reject iff low_order_residue', () => {
  for (const [combo, decision] of PINNED) {
    const parts = combo.split(' ');
    const strict = parts.some((p) => STRICT_REJECT.includes(p));
    expect(decision, combo).toBe(strict || parts.includes('res') ? 'reject' : 'accept');
  }
  const accepted = vectors
    .filter((v) => pinned.get(combination(v)) === 'accept')
    .map((v) => v.number);
  expect(accepted).toEqual(ACCEPTED);
});

describe.each(backends.map((b) => [b.name, b] as const))('%s backend', (_name, backend) => {
  test('matches the pinned decision on all 914 vectors', async () => {
    const wrong: string[] = [];
    for (const v of vectors) {
      const got = await decide(backend, v);
      if (got !== pinned.get(combination(v))) wrong.push(`#${v.number} [${combination(v)}] ${got}`);
    }
    expect(wrong).toEqual([]);
  });
});

describe('all backends agree', () => {
  const decisions = new Map<string, Decision[]>();
  beforeAll(async () => {
    for (const b of backends) {
      const list: Decision[] = [];
      for (const v of vectors) list.push(await decide(b, v));
      decisions.set(b.name, list);
    }
  });

  test.each(backends.slice(1).map((b) => b.name))(
    '%s decides like pure on every vector',
    (name) => {
      expect(backends.length).toBeGreaterThanOrEqual(3);
      const reference = decisions.get(backends[0]!.name)!;
      expect(reference).toHaveLength(914);
      expect(decisions.get(name)).toEqual(reference);
    },
  );
});
