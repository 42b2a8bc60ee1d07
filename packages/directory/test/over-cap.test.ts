/**
 * SPEC.md §11.6 "Stores that missed pruning": over `maxRecords`, resolution
 * sets aside the records whose own signed not-after is more than the skew
 * ago (and what only they needed) before the cap applies, so the
 * identity keeps resolving; records that can still matter, junk, and the
 * hard caps on records and bytes read still refuse a hostile store.
 */
import { generateEncryptionKey, getDefaultBackend, type CryptoBackend } from '@blindwire/core';
import { describe, expect, it } from 'vitest';
import { errorCode } from '@blindwire/testkit';
import {
  createDirectory,
  createEncryptionKeyRecord,
  createMemoryStore,
  createRevocation,
  recordId,
  type DirectoryStore,
} from '../src/index.js';
import { verifyRecordSet } from '../src/internal.js';
import { MAX_RANK_CHECKS, setAsideExpired } from '../src/trust/over-cap.js';
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

/** `record` with its signature broken (the last byte flipped): it still parses. */
const forge = (record: Uint8Array) => {
  const f = Uint8Array.from(record);
  f[f.length - 1]! ^= 0x01;
  return f;
};

/**
 * An identity whose keys all expired days ago: 299 old key records (serials
 * 1-299), its genuine newest (serial 300), and `forged` records with higher
 * serials (1000 up) under its real signing kid, signatures broken.
 */
async function expiredWithForgeries(w: World, forged: number) {
  const day = 86_400;
  const [cert, genuine] = await w.recordsOf(w.tool, {
    serial: 300,
    notBefore: S0 - 3 * day,
    notAfter: S0 - 2 * day,
  });
  const k = await generateEncryptionKey();
  const make = (serial: number, notAfter: number) =>
    createEncryptionKeyRecord(w.tool, k, {
      notBefore: notAfter - 3600,
      notAfter,
      serial,
      now: (notAfter - 3600) * 1000,
    });
  const old = [];
  for (let i = 1; i < 300; i++) old.push(await make(i, S0 - 4 * day - i));
  const forgeries = [];
  for (let i = 0; i < forged; i++) forgeries.push(forge(await make(1000 + i, S0 - 2 * day)));
  return { cert: cert!, genuine: genuine!, old, forgeries };
}

/** The default backend, counting Ed25519 verifications. */
function countingBackend(): CryptoBackend & { verifications: number } {
  const b = getDefaultBackend();
  const counting = Object.create(b) as CryptoBackend & { verifications: number };
  counting.verifications = 0;
  counting.ed25519Verify = (...args) => {
    counting.verifications++;
    return b.ed25519Verify(...args);
  };
  return counting;
}

describe('resolution over maxRecords against forged key records (SPEC.md §11.6)', () => {
  it('a forged higher serial does not set the genuine newest key record aside', async () => {
    const w = await makeWorld();
    const { cert, genuine, old, forgeries } = await expiredWithForgeries(w, 1);
    const store = createMemoryStore();
    for (const r of [cert, genuine, ...old, ...forgeries]) await store.put(w.tool.name, r);
    // Every key expired: a client is told so (ERR_EXPIRED), from the genuine newest record.
    const dir = createDirectory({ store, trust: w.policy, now: () => T0 });
    expect(await errorCode(dir.resolveRecipient(w.tool.name))).toBe('ERR_EXPIRED');
    const kept = (
      await setAsideExpired(w.tool.name, [cert, genuine, ...old, ...forgeries], w.policy, S0, {})
    ).map(recordId);
    expect(kept).toContain(recordId(genuine));
    expect(kept).not.toContain(recordId(forgeries[0]!));
    expect(kept).toHaveLength(2); // the certificate that signs it, and the genuine newest
  });

  it(`checks at most ${MAX_RANK_CHECKS} signatures per issuer; past that, every record of the issuer counts`, async () => {
    const w = await makeWorld();
    const within = await expiredWithForgeries(w, MAX_RANK_CHECKS - 1);
    const backend = countingBackend();
    const records = [within.cert, within.genuine, ...within.old, ...within.forgeries];
    const kept = await setAsideExpired(w.tool.name, records, w.policy, S0, { backend });
    expect(kept.map(recordId)).toContain(recordId(within.genuine));
    expect(kept).toHaveLength(2);
    expect(backend.verifications).toBe(MAX_RANK_CHECKS); // the forgeries, then the genuine one

    const past = await expiredWithForgeries(w, MAX_RANK_CHECKS);
    const backend2 = countingBackend();
    const all = [past.cert, past.genuine, ...past.old, ...past.forgeries];
    const kept2 = await setAsideExpired(w.tool.name, all, w.policy, S0, { backend: backend2 });
    expect(backend2.verifications).toBe(MAX_RANK_CHECKS);
    expect(kept2).toHaveLength(all.length); // nothing of that issuer set aside
    const store = createMemoryStore();
    for (const r of all) await store.put(w.tool.name, r);
    const dir = createDirectory({ store, trust: w.policy, now: () => T0 });
    expect(await errorCode(dir.resolveRecipient(w.tool.name))).toBe('ERR_LIMIT_EXCEEDED');
  });
});
