/** indexProblems: index.json must agree with the case files beside it (test-vectors/README.md). */
import { describe, expect, it } from 'vitest';
import { indexProblems, type IndexedCase, type VectorIndex } from '../src/index.js';

const index: VectorIndex = {
  description: 'test',
  version: 1,
  count: 2,
  cases: [
    { file: '001-a.json', kind: 'message', result: 'success' },
    { file: '002-b.json', kind: 'stream', result: 'error', code: 'ERR_OPEN_FAILED' },
  ],
};
const a: IndexedCase = { kind: 'message', expect: { result: 'success' } };
const b: IndexedCase = { kind: 'stream', expect: { result: 'error', code: 'ERR_OPEN_FAILED' } };

describe('indexProblems', () => {
  it('finds nothing when the index lists every case with its outcome', () => {
    expect(
      indexProblems(
        index,
        new Map([
          ['001-a.json', a],
          ['002-b.json', b],
        ]),
      ),
    ).toEqual([]);
  });
  it('reports a case whose outcome differs from its entry', () => {
    const changed = { ...b, expect: { result: 'error', code: 'ERR_EXPIRED' } };
    expect(
      indexProblems(
        index,
        new Map([
          ['001-a.json', a],
          ['002-b.json', changed],
        ]),
      ),
    ).toEqual([
      'index.json: 002-b.json listed as stream/error/ERR_OPEN_FAILED, the file says stream/error/ERR_EXPIRED',
    ]);
  });
  it('reports an unlisted case and an entry without a file', () => {
    expect(
      indexProblems(
        index,
        new Map([
          ['001-a.json', a],
          ['003-c.json', b],
        ]),
      ),
    ).toEqual(['index.json does not list 003-c.json', 'index.json lists missing 002-b.json']);
  });
});
