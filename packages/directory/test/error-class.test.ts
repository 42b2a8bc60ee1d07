/**
 * One error class (SPEC.md §9): whatever the directory throws, from its
 * source and from its built entry points, is an instance of the
 * `BlindwireError` that `@blindwire/core` exports, so `instanceof` works for
 * users. A second copy of core (bundled into the directory's dist, or src
 * and dist mixed) would break that; the testkit's helpers check an error's
 * shape only, so this is the one place that checks its class.
 */
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { BlindwireError } from '@blindwire/core';
import { requireBuild } from '@blindwire/testkit';
import * as source from '../src/index.js';
import { makeWorld } from './helpers/world.js';

const dist = (p: string) => fileURLToPath(new URL(`../dist/${p}`, import.meta.url));
const built = requireBuild(
  [dist('index.js'), dist('keys/file-key-store.js')],
  '@blindwire/directory',
);

type Entry = typeof source;

/** Errors from four concerns: policy shape (sync), resolution, a store, a key store. */
async function errorsOf(d: Entry, keystoreFile: (p: string, o: object) => Promise<unknown>) {
  const w = await makeWorld();
  const caught: unknown[] = [];
  try {
    d.createDirectory({ store: d.createMemoryStore(), trust: { anchors: 'x' } as never });
  } catch (e) {
    caught.push(e);
  }
  const dir = d.createDirectory({ store: d.createMemoryStore(), trust: w.policy });
  caught.push(await dir.resolve(w.tool.name).catch((e: unknown) => e));
  const failing = { kind: 'broken', put: async () => {}, list: async () => 'not a list' };
  const dir2 = d.createDirectory({ store: failing as never, trust: w.policy });
  caught.push(await dir2.resolve(w.tool.name).catch((e: unknown) => e));
  caught.push(await keystoreFile('', {}).catch((e: unknown) => e));
  return caught;
}

describe("the directory throws core's BlindwireError", () => {
  it('from its source', async () => {
    const { createFileKeyStore } = await import('../src/keys/file-key-store.js');
    const errors = await errorsOf(source, createFileKeyStore as never);
    expect(errors.map((e) => (e as BlindwireError).code)).toEqual([
      'ERR_INVALID_ARGUMENT',
      'ERR_KEY_NOT_FOUND',
      'ERR_TRANSPORT',
      'ERR_INVALID_ARGUMENT',
    ]);
    for (const e of errors) expect(e).toBeInstanceOf(BlindwireError);
  });

  describe.skipIf(built.skip)('from its built entry points', () => {
    beforeAll(() => built.assertBuilt());
    it('one class across @blindwire/directory and @blindwire/directory/keystore-file', async () => {
      const d = (await import(dist('index.js'))) as Entry;
      const { createFileKeyStore } = (await import(dist('keys/file-key-store.js'))) as {
        createFileKeyStore: (p: string, o: object) => Promise<unknown>;
      };
      const errors = await errorsOf(d, createFileKeyStore);
      expect(errors).toHaveLength(4);
      for (const e of errors) expect(e).toBeInstanceOf(BlindwireError);
    });
  });
});
