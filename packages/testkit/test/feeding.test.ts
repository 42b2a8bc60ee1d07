/** The README's stream feedings, the claims comparison and feedOpener, on a stand-in opener. */
import { describe, expect, it } from 'vitest';
import { feedOpener, feedings, sameClaims, type StreamOpener } from '../src/index.js';

/** An opener that releases what it is written, and fails on a write of 0xff. */
function echo(): StreamOpener<number> {
  let total = 0;
  let settle!: (e?: unknown) => void;
  const result = new Promise<number>((ok, fail) => {
    settle = (e) => (e === undefined ? ok(total) : fail(e));
  });
  const t = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, c) {
      if (chunk.includes(0xff)) {
        const e = new Error('bad byte');
        settle(e);
        throw e;
      }
      total += chunk.length;
      c.enqueue(chunk);
    },
    flush: () => settle(),
  });
  return { writable: t.writable, readable: t.readable, result };
}

describe('feedings', () => {
  it('whole, cut at every split, and one byte per write; each joins to the stream', () => {
    const s = Uint8Array.from([1, 2, 3, 4, 5]);
    const ways = feedings(s, [1, 3]);
    expect(ways.map(([how]) => how)).toEqual(['whole', 'split', 'bytes']);
    expect(ways[1]![1].map((p) => [...p])).toEqual([[1], [2, 3], [4, 5]]);
    expect(ways[2]![1]).toHaveLength(5);
    for (const [, pieces] of ways) expect(pieces.flatMap((p) => [...p])).toEqual([...s]);
  });
});

describe('sameClaims', () => {
  it('compares as maps; absent equals absent only', () => {
    expect(sameClaims({ a: 1, b: 'x' }, { b: 'x', a: 1 })).toBe(true);
    expect(sameClaims({ a: 1 }, { a: '1' })).toBe(false);
    expect(sameClaims({ a: 1 }, { a: 1, b: 2 })).toBe(false);
    expect(sameClaims(undefined, undefined)).toBe(true);
    expect(sameClaims(undefined, {})).toBe(false);
  });
});

describe('feedOpener', () => {
  it('writes each piece, reads meanwhile, and returns the released bytes and the result', async () => {
    const fed = await feedOpener(echo(), [Uint8Array.of(1, 2), Uint8Array.of(3)]);
    expect([...fed.released]).toEqual([1, 2, 3]);
    expect(fed.result).toBe(3);
    expect(fed.error).toBeUndefined();
  });

  it('on failure: what was released before it, and the error instead of a result', async () => {
    const fed = await feedOpener(echo(), [Uint8Array.of(1), Uint8Array.of(0xff), Uint8Array.of(2)]);
    expect([...fed.released]).toEqual([1]);
    expect(fed.result).toBeUndefined();
    expect((fed.error as Error).message).toBe('bad byte');
  });
});
