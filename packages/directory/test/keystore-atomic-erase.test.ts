/**
 * SPEC.md §11.4: erasing a key revoked for compromise leaves its tombstone,
 * in one atomic step. The file key store makes it one file write under one
 * lock, so a crash at any write leaves the file with both (tombstone, no
 * key) or neither, never a tombstoned key still held, nor an erasure without
 * its tombstone. A crash is a write that fails, and every write after it.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createFileKeyStore } from '../src/keys/file-key-store.js';
import type * as SecretFile from '../src/keys/secret-file.js';
import { eraseForCompromise, type StoredKey } from '../src/keys/key-store.js';
import { createMemoryKeyStore } from '../src/keys/memory-key-store.js';

const crash = vi.hoisted(() => ({ after: Infinity, writes: 0 }));
vi.mock('../src/keys/secret-file.js', async (importOriginal) => {
  const actual = await importOriginal<typeof SecretFile>();
  return {
    ...actual,
    writeSecretFile: async (...args: Parameters<typeof actual.writeSecretFile>) => {
      if (crash.writes >= crash.after) throw new Error('the process died here');
      crash.writes++;
      return actual.writeSecretFile(...args);
    },
  };
});

const key = (): StoredKey => ({
  kid: `kid-${randomBytes(4).toString('hex')}`,
  publicKey: new Uint8Array(randomBytes(32)),
  privateKey: new Uint8Array(randomBytes(32)),
  notBefore: 1_700_000_000,
  notAfter: 1_700_086_400,
  createdAt: 1_699_999_000,
});

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bw-atomic-erase-'));
  crash.after = Infinity;
  crash.writes = 0;
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('erasure for compromise is one atomic step', () => {
  for (const after of [0, 1, 2]) {
    it(`file key store: a crash after ${after} write(s) leaves a tombstone exactly when the key is gone`, async () => {
      const path = join(dir, 'keys.json');
      const store = await createFileKeyStore(path);
      const k = key();
      await store.put(k);
      crash.writes = 0;
      crash.after = after;
      await eraseForCompromise(store, k.kid, k.notAfter + 7200).catch(() => undefined);
      crash.after = Infinity;
      // What a restarted process reads from the file.
      const reopened = await createFileKeyStore(path);
      const held = (await reopened.list()).some((x) => x.kid === k.kid);
      const tombstoned = (await reopened.tombstones()).some((t) => t.kid === k.kid);
      expect(tombstoned).toBe(!held);
      if (after > 0) expect({ held, tombstoned }).toEqual({ held: false, tombstoned: true });
      await reopened.close();
      await store.close();
    });
  }

  it('file key store: deleteWithTombstone is a single write, and updates this process too', async () => {
    const store = await createFileKeyStore(join(dir, 'keys.json'));
    const [k, other] = [key(), key()];
    await store.put(k);
    await store.put(other);
    crash.writes = 0;
    await store.deleteWithTombstone({ kid: k.kid, until: 123 });
    expect(crash.writes).toBe(1);
    expect((await store.list()).map((x) => x.kid)).toEqual([other.kid]);
    expect(await store.tombstones()).toEqual([{ kid: k.kid, until: 123 }]);
    // a kid it does not hold gets its tombstone all the same
    await store.deleteWithTombstone({ kid: 'gone', until: 5 });
    expect(await store.tombstones()).toContainEqual({ kid: 'gone', until: 5 });
    await store.close();
  });

  it('memory key store: the tombstone and the erasure together; a bad tombstone changes nothing', async () => {
    const store = createMemoryKeyStore();
    const k = key();
    await store.put(k);
    await expect(store.deleteWithTombstone({ kid: k.kid, until: -1 })).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
    });
    expect((await store.list()).map((x) => x.kid)).toEqual([k.kid]);
    expect(await eraseForCompromise(store, k.kid, 99)).toBeUndefined();
    expect(await store.list()).toEqual([]);
    expect(await store.tombstones()).toEqual([{ kid: k.kid, until: 99 }]);
  });
});
