/**
 * Cross-checks index.json against the case files beside it
 * (test-vectors/README.md "index.json", SPEC.md §12): every case file listed
 * exactly once, with the kind and outcome the file itself states, and no
 * entry for a file that is not there. `parseVectorIndex` checks the index's
 * own shape; this checks that it agrees with the cases.
 */
import type { VectorIndex } from './types.js';

/** What the index must agree with: a case's kind and expected outcome. */
export interface IndexedCase {
  kind?: unknown;
  expect?: { result?: unknown; code?: unknown };
}

/** Every disagreement between `index` and `cases` (file name -> case), as one line each; empty when they agree. */
export function indexProblems(
  index: VectorIndex,
  cases: ReadonlyMap<string, IndexedCase>,
): string[] {
  const problems: string[] = [];
  const listed = new Map(index.cases.map((e) => [e.file, e]));
  for (const [file, c] of cases) {
    const e = listed.get(file);
    if (!e) problems.push(`index.json does not list ${file}`);
    else if (e.kind !== c.kind || e.result !== c.expect?.result || e.code !== c.expect?.code) {
      problems.push(
        `index.json: ${file} listed as ${e.kind}/${e.result}/${e.code}, the file says ${String(c.kind)}/${String(c.expect?.result)}/${String(c.expect?.code)}`,
      );
    }
  }
  for (const file of listed.keys())
    if (!cases.has(file)) problems.push(`index.json lists missing ${file}`);
  return problems;
}
