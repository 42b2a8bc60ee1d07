/**
 * The key cache of the node and web backends (src/backend/key-cache.ts):
 * `forget`, which `forgetPrivateKeys` (`@blindwire/core/backend/node`) runs
 * for the workers of `@blindwire/node`'s open pool after each call, so no
 * copy of a key's bytes stays behind in the cache.
 */
import { describe, expect, it } from 'vitest';
import { KeyCache } from '../src/backend/key-cache.js';

describe('KeyCache.forget', () => {
  it('zeroes the cache copy of the bytes and drops the entry', () => {
    const cache = new KeyCache<string>();
    const raw = new Uint8Array(32).fill(7);
    const copy = raw.slice();
    cache.set(raw, 'key object', copy);
    expect(cache.get(raw)).toBe('key object');
    cache.forget(raw);
    expect(copy.every((x) => x === 0)).toBe(true);
    expect(cache.get(raw)).toBeUndefined();
    cache.forget(raw); // nothing left: a no-op
  });
});

describe('KeyCache copies', () => {
  it('a Buffer refilled after set misses the cache (the copy is not a view)', () => {
    const cache = new KeyCache<string>();
    const raw = Buffer.alloc(32, 7);
    cache.set(raw, 'key of 7s');
    expect(cache.get(raw)).toBe('key of 7s');
    raw.fill(9);
    expect(cache.get(raw)).toBeUndefined();
  });

  it('a Buffer refilled after getOrImport misses the cache', async () => {
    const cache = new KeyCache<string>();
    const raw = Buffer.alloc(32, 7);
    const imported: number[] = [];
    const importer = async (bytes: Uint8Array) => {
      imported.push(bytes[0]!);
      return `key of ${bytes[0]}`;
    };
    expect(await cache.getOrImport(raw, importer)).toBe('key of 7');
    raw.fill(9);
    expect(await cache.getOrImport(raw, importer)).toBe('key of 9');
    expect(imported).toEqual([7, 9]);
  });
});
