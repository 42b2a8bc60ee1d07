/** Verification, selection and caching of createDirectory over the memory store. */
import { open, seal } from '@blindwire/core';
import { describe, expect, it } from 'vitest';
import { outcomeOf } from '@blindwire/testkit';
import {
  MAX_RECORD_BYTES,
  certifyIdentity,
  createDirectory,
  createEncryptionKeyRecord,
  createMemoryStore,
  createRevocation,
  recordId,
  trustAnchorPublic,
  type DirectoryStore,
} from '../src/index.js';
import { runStoreConformance } from './helpers/conformance.js';
import { S0, T0, makeWorld, type World } from './helpers/world.js';

async function setup(
  w: World,
  records: Uint8Array[],
  opts: Parameters<typeof createDirectory>[0]['cache'] = {},
) {
  const store = createMemoryStore();
  for (const r of records) await store.put(w.tool.name, r);
  let now = T0;
  const dir = createDirectory({ store, trust: w.policy, now: () => now, cache: opts });
  return { store, dir, setNow: (t: number) => (now = t) };
}

describe('memory store', () => {
  runStoreConformance(() => {
    const store = createMemoryStore();
    return {
      store,
      rawOverwrite: async (name, id, bytes) => {
        store.raw.get(name)!.set(id, bytes);
      },
    };
  });
});

describe('verification: each bad record with its exact code', () => {
  it('a valid chain resolves and seals; the recipient verifies the sender through the directory', async () => {
    const w = await makeWorld();
    const { dir, store } = await setup(w, await w.recordsOf(w.tool));
    for (const r of await w.recordsOf(w.agent)) await store.put(w.agent.name, r);
    const key = await dir.resolveRecipient(w.tool.name);
    const s = await seal('hello', { sender: w.agent, recipients: key, aead: key.aead, now: T0 });
    const o = await open(s.envelope, {
      recipient: w.tool,
      resolveSender: (n, k) => dir.resolveSigningKey(n, k),
      now: T0,
    });
    expect(o.sender).toBe(w.agent.name);
  });

  it('expired: ERR_EXPIRED', async () => {
    const w = await makeWorld();
    const { dir } = await setup(
      w,
      await w.recordsOf(w.tool, { notBefore: S0 - 2 * 86_400, notAfter: S0 - 3600 }),
    );
    expect(await outcomeOf(dir.resolve(w.tool.name))).toBe('ERR_EXPIRED');
  });

  it('not yet valid: ERR_NOT_YET_VALID', async () => {
    const w = await makeWorld();
    const { dir } = await setup(w, await w.recordsOf(w.tool, { notBefore: S0 + 3600 }));
    expect(await outcomeOf(dir.resolve(w.tool.name))).toBe('ERR_NOT_YET_VALID');
  });

  it('revoked by the identity (superseded or compromise) or by the anchor: ERR_KEY_REVOKED', async () => {
    const w = await makeWorld();
    for (const [issuer, reason] of [
      [w.tool.signing, 'superseded'],
      [w.anchor, 'compromise'],
    ] as const) {
      const rev = await createRevocation(
        issuer,
        { name: w.tool.name, kid: w.tool.encryption.kid, reason },
        { now: T0 },
      );
      const { dir } = await setup(w, [...(await w.recordsOf(w.tool)), rev]);
      expect(await outcomeOf(dir.resolve(w.tool.name))).toBe('ERR_KEY_REVOKED');
    }
  });

  it('revocationOf names the strongest reason in force (isRevoked wraps it); unverified revocations count for nothing', async () => {
    const w = await makeWorld();
    const kid = w.tool.encryption.kid;
    const rev = (
      issuer: Parameters<typeof createRevocation>[0],
      reason: 'superseded' | 'compromise',
    ) => createRevocation(issuer, { name: w.tool.name, kid, reason }, { now: T0 });
    const { store, dir } = await setup(w, await w.recordsOf(w.tool));
    expect(await dir.revocationOf(w.tool.name, kid)).toBeUndefined();
    expect(await dir.isRevoked(w.tool.name, kid)).toBe(false);
    await dir.publish(await rev(w.mallory.signing, 'compromise')); // not the identity's key
    expect(await dir.revocationOf(w.tool.name, kid)).toBeUndefined();
    await dir.publish(await rev(w.tool.signing, 'superseded'));
    expect(await dir.revocationOf(w.tool.name, kid)).toBe('superseded');
    expect(await dir.isRevoked(w.tool.name, kid)).toBe(true);
    await store.put(w.tool.name, await rev(w.anchor, 'compromise'));
    dir.invalidate(w.tool.name);
    expect(await dir.revocationOf(w.tool.name, kid)).toBe('compromise');
    const { revocationOf } = dir; // usable detached, as an option value
    expect(await revocationOf(w.tool.name, kid)).toBe('compromise');
  });

  it('a revocation signed by someone else is ignored (and does not revoke)', async () => {
    const w = await makeWorld();
    const rev = await createRevocation(w.mallory.signing, {
      name: w.tool.name,
      kid: w.tool.encryption.kid,
      reason: 'compromise',
    });
    const { dir } = await setup(w, [...(await w.recordsOf(w.tool)), rev]);
    expect((await dir.resolveRecipient(w.tool.name)).kid).toBe(w.tool.encryption.kid);
  });

  it('an expired or compromised old key of the identity cannot revoke its current keys', async () => {
    const w = await makeWorld();
    const { generateSigningKey } = await import('@blindwire/core');
    const old = await generateSigningKey();
    const oldCert = await certifyIdentity(
      w.anchor,
      { name: w.tool.name, signing: old },
      { now: T0, notBefore: S0 - 10 * 86_400, notAfter: S0 - 86_400, serial: 0 },
    );
    // The leaked, expired key signs a compromise revocation of the current signing and encryption keys.
    const revokeSigning = await createRevocation(
      old,
      { name: w.tool.name, kid: w.tool.signing.kid, reason: 'compromise' },
      { now: T0 },
    );
    const revokeKey = await createRevocation(
      old,
      { name: w.tool.name, kid: w.tool.encryption.kid, reason: 'compromise' },
      { now: T0 },
    );
    const { dir } = await setup(w, [
      ...(await w.recordsOf(w.tool)),
      oldCert,
      revokeSigning,
      revokeKey,
    ]);
    expect((await dir.resolveRecipient(w.tool.name)).kid).toBe(w.tool.encryption.kid);
    expect(await dir.resolveSigningKey(w.tool.name, w.tool.signing.kid)).toBeDefined();
    // The current key itself can still revoke its own encryption key.
    const own = await createRevocation(
      w.tool.signing,
      { name: w.tool.name, kid: w.tool.encryption.kid, reason: 'compromise' },
      { now: T0 },
    );
    const second = await setup(w, [...(await w.recordsOf(w.tool)), own]);
    expect(await outcomeOf(second.dir.resolve(w.tool.name))).toBe('ERR_KEY_REVOKED');
  });

  it('a leaked key revoked for compromise by a newer key revokes nothing; an older key never revokes a newer one', async () => {
    const w = await makeWorld();
    const { generateSigningKey } = await import('@blindwire/core');
    const leaked = await generateSigningKey();
    // Certified before the current key (serial 0 < 1) and still inside its window.
    const leakedCert = await certifyIdentity(
      w.anchor,
      { name: w.tool.name, signing: leaked },
      { now: T0, notBefore: S0 - 86_400, notAfter: S0 + 30 * 86_400, serial: 0 },
    );
    const rev = (issuer: typeof leaked, kid: string) =>
      createRevocation(issuer, { name: w.tool.name, kid, reason: 'compromise' }, { now: T0 });
    const attack = [
      await rev(leaked, w.tool.signing.kid),
      await rev(leaked, w.tool.encryption.kid),
    ];
    // The owner answers with the current key, the anchor's key staying offline.
    const answer = await rev(w.tool.signing, leaked.kid);
    const { dir } = await setup(w, [...(await w.recordsOf(w.tool)), leakedCert, ...attack, answer]);
    expect((await dir.resolveRecipient(w.tool.name)).kid).toBe(w.tool.encryption.kid);
    expect(await dir.resolveSigningKey(w.tool.name, w.tool.signing.kid)).toBeDefined();
    expect(await dir.resolveSigningKey(w.tool.name, leaked.kid)).toBeUndefined();
    expect(await dir.revocationOf(w.tool.name, w.tool.signing.kid)).toBeUndefined();

    // Before the answer, the older key still cannot revoke the newer signing key
    // (its revocation of an encryption key counts: it is a key of the identity in force).
    const before = await setup(w, [...(await w.recordsOf(w.tool)), leakedCert, attack[0]!]);
    expect(await before.dir.resolveSigningKey(w.tool.name, w.tool.signing.kid)).toBeDefined();
    expect((await before.dir.resolveRecipient(w.tool.name)).kid).toBe(w.tool.encryption.kid);
  });

  it('never fetches for a sender name that cannot be an identity, and bounds the negative cache', async () => {
    const w = await makeWorld();
    const mem = createMemoryStore();
    let lists = 0;
    const store: DirectoryStore = {
      kind: 'counting',
      put: (n, r) => mem.put(n, r),
      list: (n) => (lists++, mem.list(n)),
    };
    const dir = createDirectory({
      store,
      trust: w.policy,
      now: () => T0,
      cache: { maxNegativeEntries: 2 },
    });
    expect(await dir.resolveSigningKey('x'.repeat(1025), w.tool.signing.kid)).toBeUndefined();
    expect(lists).toBe(0);
    for (const n of ['spiffe://a/1', 'spiffe://a/2', 'spiffe://a/3', 'spiffe://a/1']) {
      await outcomeOf(dir.resolve(n));
    }
    expect(lists).toBe(4); // a/1 was evicted by a/3, so it is fetched again
  });

  it('rolled back to an older record after a newer one was seen: ERR_KEY_ROLLBACK', async () => {
    const w = await makeWorld();
    const [cert, k1] = await w.recordsOf(w.tool, { serial: 1 });
    const next = await (await import('@blindwire/core')).generateEncryptionKey();
    const k2 = await createEncryptionKeyRecord(w.tool, next, {
      now: T0,
      notBefore: S0,
      notAfter: S0 + 86_400,
      serial: 2,
    });
    const { dir, store } = await setup(w, [cert!, k1!, k2]);
    expect((await dir.resolveRecipient(w.tool.name)).kid).toBe(next.kid);
    await store.remove!(w.tool.name, recordId(k2)); // the directory withholds the newer record
    dir.invalidate();
    expect(await outcomeOf(dir.resolve(w.tool.name))).toBe('ERR_KEY_ROLLBACK');
  });

  it('certified by an anchor we do not trust: ERR_KEY_UNTRUSTED', async () => {
    const w = await makeWorld();
    const cert = await certifyIdentity(w.otherAnchor, w.tool, { now: T0, notBefore: S0 - 60 });
    const key = await createEncryptionKeyRecord(w.tool, w.tool.encryption, { now: T0 });
    const { dir } = await setup(w, [cert, key]);
    expect(await outcomeOf(dir.resolve(w.tool.name))).toBe('ERR_KEY_UNTRUSTED');
  });

  it('a trust policy whose anchor or pin kid names another key is a configuration error, not a trust decision', async () => {
    const w = await makeWorld();
    const records = await w.recordsOf(w.tool);
    // The anchor's kid with the other anchor's key: records issued under that
    // kid would be checked against a key the kid does not name.
    const forged = { ...trustAnchorPublic(w.anchor), publicKey: w.otherAnchor.publicKey };
    const store = createMemoryStore();
    for (const r of records) await store.put(w.tool.name, r);
    const bad = createDirectory({ store, trust: { anchors: [forged] }, now: () => T0 });
    expect(await outcomeOf(bad.resolve(w.tool.name))).toBe('ERR_INVALID_ARGUMENT');
    const pin = createDirectory({
      store,
      trust: {
        pinned: [{ name: w.tool.name, signing: { ...w.tool.signing, kid: w.agent.signing.kid } }],
      },
      now: () => T0,
    });
    expect(await outcomeOf(pin.resolve(w.tool.name))).toBe('ERR_INVALID_ARGUMENT');
    // The same store and records under the true policy resolve.
    const good = createDirectory({ store, trust: w.policy, now: () => T0 });
    expect((await good.resolveRecipient(w.tool.name)).kid).toBe(w.tool.encryption.kid);
  });

  it('a record for another identity under this name: ERR_KEY_UNTRUSTED', async () => {
    const w = await makeWorld();
    const { dir } = await setup(w, await w.recordsOf(w.agent)); // agent's records stored under the tool's name
    expect(await outcomeOf(dir.resolve(w.tool.name))).toBe('ERR_KEY_UNTRUSTED');
  });

  it('malformed: ERR_RECORD_MALFORMED; oversized: ERR_LIMIT_EXCEEDED; none: ERR_KEY_NOT_FOUND', async () => {
    const w = await makeWorld();
    const [cert, key] = await w.recordsOf(w.tool);
    const broken = key!.slice(0, key!.length - 1);
    expect(await outcomeOf((await setup(w, [cert!, broken])).dir.resolve(w.tool.name))).toBe(
      'ERR_RECORD_MALFORMED',
    );
    const huge = new Uint8Array(MAX_RECORD_BYTES + 1);
    expect(await outcomeOf((await setup(w, [cert!, huge])).dir.resolve(w.tool.name))).toBe(
      'ERR_LIMIT_EXCEEDED',
    );
    expect(await outcomeOf((await setup(w, [])).dir.resolve(w.tool.name))).toBe(
      'ERR_KEY_NOT_FOUND',
    );
    const many = Array.from({ length: 257 }, (_, i) => Uint8Array.of(i & 0xff, i >> 8));
    expect(await outcomeOf((await setup(w, many)).dir.resolve(w.tool.name))).toBe(
      'ERR_LIMIT_EXCEEDED',
    );
  });

  it('a disallowed suite: ERR_UNSUPPORTED_SUITE', async () => {
    const w = await makeWorld();
    const cert = await certifyIdentity(w.anchor, w.tool, { now: T0, notBefore: S0 - 60 });
    const key = await createEncryptionKeyRecord(w.tool, w.tool.encryption, {
      now: T0,
      aead: 'AES-128-GCM',
    });
    const store = createMemoryStore();
    for (const r of [cert, key]) await store.put(w.tool.name, r);
    const dir = createDirectory({
      store,
      trust: { ...w.policy, allowedSuites: ['AES-256-GCM'] },
      now: () => T0,
    });
    expect(await outcomeOf(dir.resolve(w.tool.name))).toBe('ERR_UNSUPPORTED_SUITE');
  });

  it('a pinned signing key needs no certificate', async () => {
    const w = await makeWorld();
    const store = createMemoryStore();
    await store.put(
      w.tool.name,
      await createEncryptionKeyRecord(w.tool, w.tool.encryption, { now: T0 }),
    );
    const dir = createDirectory({
      store,
      trust: { pinned: [{ name: w.tool.name, signing: w.tool.signing }] },
      now: () => T0,
    });
    expect((await dir.resolveRecipient(w.tool.name)).kid).toBe(w.tool.encryption.kid);
  });

  it('a compromised signing key is refused at once, queued messages included; a superseded one until expiry', async () => {
    const w = await makeWorld();
    const { dir, store, setNow } = await setup(w, [], { ttlMs: 1000 });
    for (const r of await w.recordsOf(w.agent)) await store.put(w.agent.name, r);
    expect(await dir.resolveSigningKey(w.agent.name, w.agent.signing.kid)).toBeDefined();
    await store.put(
      w.agent.name,
      await createRevocation(
        w.anchor,
        { name: w.agent.name, kid: w.agent.signing.kid, reason: 'superseded' },
        { now: T0 },
      ),
    );
    setNow(T0 + 1000);
    expect(await dir.resolveSigningKey(w.agent.name, w.agent.signing.kid)).toBeDefined();
    await store.put(
      w.agent.name,
      await createRevocation(
        w.anchor,
        { name: w.agent.name, kid: w.agent.signing.kid, reason: 'compromise' },
        { now: T0 },
      ),
    );
    setNow(T0 + 2000);
    expect(await dir.resolveSigningKey(w.agent.name, w.agent.signing.kid)).toBeUndefined();
  });
});

describe('caching', () => {
  function countingStore(inner: DirectoryStore, behaviour: { fail?: boolean; hang?: boolean }) {
    const calls = { list: 0 };
    const store: DirectoryStore = {
      kind: 'counting',
      put: (n, r) => inner.put(n, r),
      list: async (n) => {
        calls.list++;
        if (behaviour.hang) return new Promise(() => {});
        if (behaviour.fail) throw new Error('connection refused');
        return inner.list(n);
      },
    };
    return { store, calls };
  }

  it('serves from cache within the TTL, refetches after it, and counts', async () => {
    const w = await makeWorld();
    const mem = createMemoryStore();
    for (const r of await w.recordsOf(w.tool)) await mem.put(w.tool.name, r);
    const { store, calls } = countingStore(mem, {});
    let now = T0;
    const dir = createDirectory({
      store,
      trust: w.policy,
      now: () => now,
      cache: { ttlMs: 10_000 },
    });
    await Promise.all([dir.resolve(w.tool.name), dir.resolve(w.tool.name)]); // de-duplicated
    await dir.resolve(w.tool.name);
    expect(calls.list).toBe(1);
    now += 10_000;
    await dir.resolve(w.tool.name);
    expect(calls.list).toBe(2);
    expect(dir.stats).toMatchObject({ fetches: 2, hits: 1 });
  });

  it('refetches on an unknown kid at most once per cooldown', async () => {
    const w = await makeWorld();
    const mem = createMemoryStore();
    for (const r of await w.recordsOf(w.tool)) await mem.put(w.tool.name, r);
    const { store, calls } = countingStore(mem, {});
    let now = T0;
    const dir = createDirectory({
      store,
      trust: w.policy,
      now: () => now,
      cache: { ttlMs: 60_000, cooldownMs: 5_000 },
    });
    await dir.resolve(w.tool.name);
    expect(await dir.resolveSigningKey(w.tool.name, w.mallory.signing.kid)).toBeUndefined();
    expect(calls.list).toBe(1);
    expect(dir.stats.cooldownSkips).toBe(1);
    now += 5_000;
    expect(await dir.resolveSigningKey(w.tool.name, w.mallory.signing.kid)).toBeUndefined();
    expect(calls.list).toBe(2);
    expect(dir.stats.unknownKidRefetches).toBe(1);
  });

  it('times out a hanging store with ERR_TRANSPORT', async () => {
    const w = await makeWorld();
    const { store } = countingStore(createMemoryStore(), { hang: true });
    const dir = createDirectory({
      store,
      trust: w.policy,
      now: () => T0,
      cache: { timeoutMs: 50 },
    });
    expect(await outcomeOf(dir.resolve(w.tool.name))).toBe('ERR_TRANSPORT');
  });

  it('serves stale records on error within the bound, then fails with ERR_TRANSPORT', async () => {
    const w = await makeWorld();
    const mem = createMemoryStore();
    for (const r of await w.recordsOf(w.tool)) await mem.put(w.tool.name, r);
    const behaviour = { fail: false };
    const { store } = countingStore(mem, behaviour);
    let now = T0;
    const dir = createDirectory({
      store,
      trust: w.policy,
      now: () => now,
      cache: { ttlMs: 1_000, staleIfErrorMs: 5_000 },
    });
    await dir.resolve(w.tool.name);
    behaviour.fail = true;
    now += 3_000;
    expect((await dir.resolveRecipient(w.tool.name)).kid).toBe(w.tool.encryption.kid);
    expect(dir.stats.staleServed).toBe(1);
    now += 3_001;
    expect(await outcomeOf(dir.resolve(w.tool.name))).toBe('ERR_TRANSPORT');
  });

  it('remembers an empty answer for the negative TTL', async () => {
    const w = await makeWorld();
    const { store, calls } = countingStore(createMemoryStore(), {});
    let now = T0;
    const dir = createDirectory({
      store,
      trust: w.policy,
      now: () => now,
      cache: { negativeTtlMs: 2_000 },
    });
    expect(await outcomeOf(dir.resolve(w.tool.name))).toBe('ERR_KEY_NOT_FOUND');
    expect(await outcomeOf(dir.resolve(w.tool.name))).toBe('ERR_KEY_NOT_FOUND');
    expect(calls.list).toBe(1);
    expect(dir.stats.negativeHits).toBe(1);
    now += 2_000;
    await outcomeOf(dir.resolve(w.tool.name));
    expect(calls.list).toBe(2);
  });

  it('requires a trust anchor or a pin', async () => {
    expect(() => createDirectory({ store: createMemoryStore(), trust: {} })).toThrow(/anchor/);
    const w = await makeWorld();
    expect(() =>
      createDirectory({
        store: createMemoryStore(),
        trust: { anchors: [trustAnchorPublic(w.anchor)] },
      }),
    ).not.toThrow();
  });
});

describe('revocations between keys of one rank', () => {
  it('two pinned keys of one identity may revoke each other, and the outcome does not depend on order', async () => {
    const w = await makeWorld();
    const { generateSigningKey } = await import('@blindwire/core');
    const k2 = await generateSigningKey();
    const pinned = [
      {
        name: w.tool.name,
        signing: { kid: w.tool.signing.kid, publicKey: w.tool.signing.publicKey },
      },
      { name: w.tool.name, signing: { kid: k2.kid, publicKey: k2.publicKey } },
    ];
    const trust = { pinned };
    const [, encRecord] = await w.recordsOf(w.tool); // issued by the first pinned key
    const rev = (issuer: typeof k2, kid: string) =>
      createRevocation(issuer, { name: w.tool.name, kid, reason: 'compromise' }, { now: T0 });
    const dirWith = async (records: Uint8Array[]) => {
      const store = createMemoryStore();
      for (const r of records) await store.put(w.tool.name, r);
      return createDirectory({ store, trust, now: () => T0 });
    };
    // The new pinned key revokes the leaked one: in force, its encryption key unusable.
    const one = await dirWith([encRecord!, await rev(k2, w.tool.signing.kid)]);
    expect(await one.revocationOf(w.tool.name, w.tool.signing.kid)).toBe('compromise');
    expect(await outcomeOf(one.resolve(w.tool.name))).toBe('ERR_KEY_REVOKED');
    // Each revokes the other: both are revoked, whichever record comes first.
    const both = [await rev(k2, w.tool.signing.kid), await rev(w.tool.signing, k2.kid)];
    for (const records of [both, [...both].reverse()]) {
      const d = await dirWith([encRecord!, ...records]);
      expect(await d.revocationOf(w.tool.name, w.tool.signing.kid)).toBe('compromise');
      expect(await d.revocationOf(w.tool.name, k2.kid)).toBe('compromise');
    }
  });
});
