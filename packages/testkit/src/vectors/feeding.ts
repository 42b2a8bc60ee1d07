/**
 * The comparison and feeding rules every reader of the vectors shares
 * (test-vectors/README.md "Stream cases", SPEC.md §7a.5): the three ways a
 * stream case is written to an opener, and claims compared as maps.
 */

export type Feeding = 'whole' | 'split' | 'bytes';

/**
 * README "Feeding": one write of all of `stream`; one write per piece cut at
 * every offset of `splits`; one write per byte. The pieces are views of
 * `stream`, not copies.
 */
export function feedings(stream: Uint8Array, splits: readonly number[]): [Feeding, Uint8Array[]][] {
  const cuts = [0, ...splits, stream.length];
  return [
    ['whole', [stream]],
    ['split', cuts.slice(1).map((end, i) => stream.subarray(cuts[i], end))],
    ['bytes', Array.from(stream, (_, i) => stream.subarray(i, i + 1))],
  ];
}

/** Claims compare as maps, not in encoding order; absent equals absent only. */
export function sameClaims(
  a: Readonly<Record<string, unknown>> | undefined,
  b: Readonly<Record<string, unknown>> | undefined,
): boolean {
  if (a === undefined || b === undefined) return a === b;
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && a[k] === b[k]);
}
