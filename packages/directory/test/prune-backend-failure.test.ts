/**
 * SPEC.md §11.6 rule 1: only a record's own bytes make it malformed. When
 * the crypto backend fails while a record is parsed (its kid is a hash), the
 * failure is the backend's: parseRecord rethrows it, and a prune stops
 * before removing anything, instead of removing good records as malformed.
 */
import { getDefaultBackend, type CryptoBackend } from '@blindwire/core';
import { errorCode } from '@blindwire/testkit';
import { expect, it } from 'vitest';
import { createMemoryStore, pruneIdentity } from '../src/index.js';
import { parseRecord } from '../src/internal.js';
import { planPrune } from '../src/trust/prune.js';
import { S0, makeWorld } from './helpers/world.js';

/** The default backend, with a sha256 that fails (a KMS or WebCrypto call that errors). */
function failingHash(): CryptoBackend {
  const b = getDefaultBackend();
  return Object.assign(Object.create(b) as CryptoBackend, {
    sha256: async () => {
      throw new Error('backend unavailable');
    },
  });
}

it('a backend failure while parsing is rethrown, never ERR_RECORD_MALFORMED; a prune removes nothing', async () => {
  const w = await makeWorld();
  const expired = await w.recordsOf(w.tool, { notAfter: S0 + 60 }); // certificate, old key
  const [, live] = await w.recordsOf(w.tool, { serial: 2, notAfter: S0 + 60 * 86_400 });
  const records = [...expired, live!];
  const backend = failingHash();
  await expect(parseRecord(records[0]!, { backend })).rejects.toThrow('backend unavailable');
  expect(await errorCode(parseRecord(Uint8Array.of(1, 2, 3), { backend }))).toBe(
    'ERR_RECORD_MALFORMED',
  );

  const options = { now: S0 + 30 * 86_400, horizonSeconds: 3600 };
  await expect(planPrune(w.tool.name, records, w.policy, { ...options, backend })).rejects.toThrow(
    'backend unavailable',
  );
  const store = createMemoryStore();
  for (const r of records) await store.put(w.tool.name, r);
  await expect(
    pruneIdentity(store, w.tool.name, w.policy, { ...options, backend }),
  ).rejects.toThrow('backend unavailable');
  expect(await store.list(w.tool.name)).toHaveLength(3);
  // with a working backend the same prune removes the old key record
  const done = await pruneIdentity(store, w.tool.name, w.policy, options);
  expect(done.remove.map((r) => r.reason)).toEqual(['expired']);
});
