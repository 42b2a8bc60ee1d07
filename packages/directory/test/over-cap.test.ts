/**
 * SPEC.md §11.6 "Stores that missed pruning": over `maxRecords`, resolution
 * sets aside the records whose own signed not-after is more than the skew
 * ago (and what only they needed) before the cap applies, so the
 * identity keeps resolving; records that can still matter, junk, and the
 * hard caps on records and bytes read still refuse a hostile store.
 */
import { generateEncryptionKey } from '@blindwire/core';
import { describe, expect, it } from 'vitest';
import { errorCode } from '@blindwire/testkit';
import {
  createDirectory,
  createEncryptionKeyRecord,
  createMemoryStore,
  createRevocation,
  type DirectoryStore,
} from '../src/index.js';
import { verifyRecordSet } from '../src/internal.js';
import { S0, T0, makeWorld, type World } from './helpers/world.js';

/** `n` encryption-key records of the tool, each valid an hour, all ending `endsAgo` s before S0. */
async function oldKeys(w: World, n: number, endsAgo: number): Promise<Uint8Array[]> {
  const k = await generateEncryptionKey();
  const out = [];
  for (let i = 0; i < n; i++) {
    const notAfter = S0 - endsAgo;
    out.push(
      await createEncryptionKeyRecord(w.tool, k, {
        notBefore: notAfter - 3600,
        notAfter,
        serial: 100 + i,
        now: (notAfter - 3600) * 1000,
      }),
    );
  }
  return out;
}

async function storeWith(w: World, extra: Uint8Array[]): Promise<DirectoryStore> {
  const store = createMemoryStore();
  for (const r of [...(await w.recordsOf(w.tool, { serial: 10_000 })), ...extra])
    await store.put(w.tool.name, r);
  return store;
}

describe('resolution over maxRecords (SPEC.md §11.6)', () => {
  it('a store that missed pruning still resolves: records past not-after + skew do not count', async () => {
    const w = await makeWorld();
    const old = await oldKeys(w, 300, 61); // the skew is 60 s
    const store = await storeWith(w, old);
    const dir = createDirectory({ store, trust: w.policy, now: () => T0 });
    const key = await dir.resolveRecipient(w.tool.name);
    expect(key.serial).toBe(10_000);
    expect(await dir.resolveSigningKey(w.tool.name, w.tool.signing.kid)).toBeDefined();
    // without the time (a caller of verifyRecordSet), the cap applies as before
    const records = await store.list(w.tool.name);
    expect(await errorCode(verifyRecordSet(w.tool.name, records, w.policy))).toBe(
      'ERR_LIMIT_EXCEEDED',
    );
  });

  it('records that may still matter count: within not-after + skew, and their revocations', async () => {
    const w = await makeWorld();
    const recent = await oldKeys(w, 300, 60); // usable at T0 with the skew
    const dir = createDirectory({
      store: await storeWith(w, recent),
      trust: w.policy,
      now: () => T0,
    });
    expect(await errorCode(dir.resolveRecipient(w.tool.name))).toBe('ERR_LIMIT_EXCEEDED');
    // revocations of a live key can still matter, however many
    const revs = [];
    for (let i = 0; i < 300; i++)
      revs.push(
        await createRevocation(
          w.tool.signing,
          { name: w.tool.name, kid: w.tool.encryption.kid, reason: 'superseded' },
          { now: T0 - i * 1000 },
        ),
      );
    const dir2 = createDirectory({
      store: await storeWith(w, revs),
      trust: w.policy,
      now: () => T0,
    });
    expect(await errorCode(dir2.resolveRecipient(w.tool.name))).toBe('ERR_LIMIT_EXCEEDED');
  });

  it('junk counts, and the hard caps hold whatever the records say', async () => {
    const w = await makeWorld();
    const junk = Array.from({ length: 300 }, (_, i) => Uint8Array.from([1, i & 255, i >> 8]));
    const dir = createDirectory({
      store: await storeWith(w, junk),
      trust: w.policy,
      now: () => T0,
    });
    expect(await errorCode(dir.resolveRecipient(w.tool.name))).toBe('ERR_LIMIT_EXCEEDED');
    const [cert, key] = await w.recordsOf(w.tool, { serial: 10_000 });
    const many = Array.from({ length: 1025 }, (_, i) => Uint8Array.from([2, i & 255, i >> 8]));
    const code = await errorCode(
      verifyRecordSet(w.tool.name, [cert!, key!, ...many], w.policy, { now: S0 }),
    );
    expect(code).toBe('ERR_LIMIT_EXCEEDED');
    const big = Array.from({ length: 300 }, () => new Uint8Array(64 * 1024));
    const bytes = await errorCode(
      verifyRecordSet(w.tool.name, [cert!, key!, ...big], w.policy, { now: S0 }),
    );
    expect(bytes).toBe('ERR_LIMIT_EXCEEDED');
  });
});
