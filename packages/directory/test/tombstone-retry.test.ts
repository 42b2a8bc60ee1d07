/**
 * SPEC.md §11.4: a tombstone only ever lasts longer. Retrying
 * revoke(kid, 'compromise') after its publish failed finds the key already
 * erased, so it computes `until` from "not-after unknown" (now + lifetime +
 * R), earlier by up to the propagation delay than the first (not-after + R):
 * the store keeps the later one, in memory and in the file.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createKeyRotator, createMemoryKeyStore, createMemoryStore } from '../src/index.js';
import { createFileKeyStore } from '../src/keys/file-key-store.js';
import type { PrivateKeyStore } from '../src/keys/key-store.js';
import { T0, makeWorld } from './helpers/world.js';

type WithTombstones = PrivateKeyStore & Required<Pick<PrivateKeyStore, 'tombstones'>>;

async function retriedRevocation(keyStore: WithTombstones) {
  const w = await makeWorld();
  const store = createMemoryStore();
  let t = T0;
  let failPublish = false;
  const rotator = createKeyRotator({
    identity: w.tool,
    keyStore,
    retentionSeconds: 3600,
    lifetimeSeconds: 86_400,
    propagationDelaySeconds: 300,
    now: () => t,
    publish: async (r) => {
      if (failPublish) throw new Error('store down');
      await store.put(w.tool.name, r);
    },
  });
  await rotator.rotate(); // the first key: usable at once
  const second = await rotator.rotate(); // its successor: not-before = now + 300
  failPublish = true;
  await expect(rotator.revoke(second.kid, 'compromise')).rejects.toThrow('store down');
  const first = await keyStore.tombstones();
  failPublish = false;
  t += 10_000; // the operator retries 10 s later
  await rotator.revoke(second.kid, 'compromise');
  return { first, retried: await keyStore.tombstones(), until: second.notAfter + 3600 };
}

describe('a retried compromise revocation never shortens the tombstone', () => {
  it('memory key store', async () => {
    const r = await retriedRevocation(createMemoryKeyStore());
    expect(r.first).toEqual([{ kid: expect.any(String), until: r.until }]);
    expect(r.retried).toEqual(r.first);
  });

  it('file key store', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bw-tomb-retry-'));
    try {
      const keyStore = await createFileKeyStore(join(dir, 'keys.json'));
      const r = await retriedRevocation(keyStore);
      expect(r.first).toEqual([{ kid: expect.any(String), until: r.until }]);
      expect(r.retried).toEqual(r.first);
      await keyStore.addTombstone({ kid: r.first[0]!.kid, until: r.until + 60 }); // later: kept
      expect((await keyStore.tombstones())[0]!.until).toBe(r.until + 60);
      await keyStore.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
