/**
 * The prune planner (SPEC.md §11.6). Property tests over random record
 * histories (certificates with renewals, rotated encryption keys, revocations
 * by anchors and identity keys, forged records and junk): pruning changes
 * nothing a client sees at the time of the prune or later (usable keys,
 * signing keys, rollback checks), a second prune removes nothing, and a
 * removed record stays removable when records are added meanwhile. Unit
 * tests pin each rule, and forged records never cause a genuine removal.
 */
import { generateEncryptionKey, generateIdentity, type Identity } from '@blindwire/core';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { errorCode } from '@blindwire/testkit';
import {
  certifyIdentity,
  createEncryptionKeyRecord,
  createMemoryStore,
  createRevocation,
  RecordKind,
  recordId,
  type DirectoryStore,
} from '../src/index.js';
import {
  createRollbackState,
  parseRecord,
  signingKeyStatus,
  usableEncryptionKeys,
  verifyRecordSet,
} from '../src/internal.js';
import { setAsideExpired } from '../src/trust/over-cap.js';
import { planPrune, pruneIdentity } from '../src/trust/prune.js';
import { S0, makeWorld, type World } from './helpers/world.js';

const H = 3600; // horizon in the properties

interface Pool {
  w: World;
  all: Uint8Array[];
  /** Subject kid of each pooled record (encryption kid, signing kid, revoked kid), or '' for junk. */
  subject: Map<string, string>;
  revocationTargets: Map<string, string>;
  /** Ids of the pooled revocations for compromise. */
  compromises: Set<string>;
  /** Issuer kid of each pooled encryption-key record and revocation. */
  issuer: Map<string, string>;
  /** A rollback mark for each pooled encryption-key record. */
  marks: { serial: number; notAfter: number; issuerKid: string }[];
  signingKids: string[];
}

/** A record history of the tool: two signing keys (one renewed), six encryption keys, revocations, forgeries. */
async function makePool(): Promise<Pool> {
  const w = await makeWorld();
  const s2: Identity = await generateIdentity(w.tool.name);
  const anchor = { kid: w.anchor.kid, privateKey: w.anchor.privateKey };
  const subject = new Map<string, string>();
  const revocationTargets = new Map<string, string>();
  const compromises = new Set<string>();
  const issuerOf = new Map<string, string>();
  const all: Uint8Array[] = [];
  const add = (r: Uint8Array, kid: string) => {
    all.push(r);
    subject.set(recordId(r), kid);
  };
  const cert = async (id: Identity, nb: number, na: number, serial: number, by = w.anchor) =>
    add(await certifyIdentity(by, id, { notBefore: nb, notAfter: na, serial }), id.signing.kid);
  await cert(w.tool, S0 - 100, S0 + 2 * H, 1);
  await cert(w.tool, S0 + 2 * H - 600, S0 + 6 * H, 2); // renewal of the same key
  await cert(s2, S0 + 4 * H, S0 + 20 * H, 3);
  await cert(w.mallory, S0, S0 + 20 * H, 9, w.otherAnchor); // untrusted anchor
  const keys = [];
  for (let i = 0; i < 6; i++) {
    const k = await generateEncryptionKey();
    const issuer = i < 3 ? w.tool : i < 5 ? s2 : w.mallory;
    const nb = S0 + i * 2 * H;
    add(
      await createEncryptionKeyRecord(issuer, k, {
        notBefore: nb,
        notAfter: nb + 3 * H,
        serial: 10 + i,
      }),
      k.kid,
    );
    issuerOf.set(recordId(all[all.length - 1]!), issuer.signing.kid);
    keys.push(k.kid);
  }
  // A record made with s2's key once it leaked: far-future expiry, high serial.
  const leaked = await generateEncryptionKey();
  add(
    await createEncryptionKeyRecord(s2, leaked, {
      notBefore: S0 + 5 * H,
      notAfter: S0 + 1000 * H,
      serial: 99,
    }),
    leaked.kid,
  );
  issuerOf.set(recordId(all[all.length - 1]!), s2.signing.kid);
  const marks = [];
  for (const r of all) {
    const b = (await parseRecord(r)).body;
    if (b.kind === RecordKind.EncryptionKey)
      marks.push({ serial: b.serial, notAfter: b.notAfter, issuerKid: b.issuerKid });
  }
  const revoke = async (
    by: { kid: string; privateKey: Uint8Array },
    kid: string,
    reason: 'compromise' | 'superseded',
  ) => {
    const r = await createRevocation(
      by,
      { name: w.tool.name, kid, reason },
      { now: (S0 + H) * 1000 },
    );
    add(r, kid);
    revocationTargets.set(recordId(r), kid);
    if (reason === 'compromise') compromises.add(recordId(r));
    issuerOf.set(recordId(r), by.kid);
  };
  await revoke(anchor, w.tool.signing.kid, 'superseded');
  await revoke(s2.signing, keys[1]!, 'compromise');
  await revoke(w.tool.signing, keys[0]!, 'superseded');
  await revoke(w.tool.signing, w.tool.signing.kid, 'compromise');
  await revoke(w.mallory.signing, keys[3]!, 'compromise'); // forged: mallory is no signing key of the tool
  await revoke(anchor, s2.signing.kid, 'compromise');
  const junk = Uint8Array.from([0x42, 0x57, 0x01, 0x11, 1, 2, 3]);
  add(junk, '');
  return {
    w,
    all,
    subject,
    revocationTargets,
    compromises,
    issuer: issuerOf,
    marks,
    signingKids: [w.tool.signing.kid, s2.signing.kid],
  };
}

/** What a client sees at `t` from `records`: usable kids or the failure, signing-key standing. */
async function view(pool: Pool, records: Uint8Array[], t: number) {
  const v = await verifyRecordSet(pool.w.tool.name, records, pool.w.policy);
  let usable: string;
  try {
    usable = usableEncryptionKeys(v, t, pool.w.policy)
      .map((k) => k.kid)
      .join(',');
  } catch {
    usable = 'none';
  }
  const signing = pool.signingKids.map((kid) => {
    const s = signingKeyStatus(v, kid, t, 60);
    return typeof s === 'string' ? 'no' : 'yes';
  });
  // Rollback: with a mark on each verified record, is the set refused as withheld?
  // Rollback: with a mark on each key record of the pool (used once, stored
  // or not now), is the set refused as withheld?
  const rollback = pool.marks.map((mark) => {
    const state = createRollbackState();
    state.highWater.set(v.name, mark);
    try {
      usableEncryptionKeys(v, t, pool.w.policy, state);
      return false;
    } catch (e) {
      return (e as { code?: string }).code === 'ERR_KEY_ROLLBACK';
    }
  });
  return { usable, signing: signing.join(','), rollback };
}

function without(records: Uint8Array[], ids: Iterable<string>): Uint8Array[] {
  const gone = new Set(ids);
  return records.filter((r) => !gone.has(recordId(r)));
}

let pool: Pool;
beforeAll(async () => {
  pool = await makePool();
});

const history = () =>
  fc.record({
    picks: fc.array(fc.boolean(), { minLength: 18, maxLength: 18 }),
    // often within a skew or two of the pool's not-afters (multiples of H from S0)
    now: fc.oneof(
      fc.integer({ min: S0 - H, max: S0 + 30 * H }),
      fc
        .tuple(fc.integer({ min: 0, max: 30 }), fc.integer({ min: -150, max: 150 }))
        .map(([k, d]) => S0 + k * H + H + d),
    ),
    later: fc.integer({ min: 0, max: 30 * H }),
    adds: fc.array(fc.boolean(), { minLength: 18, maxLength: 18 }),
  });
const pick = (flags: boolean[]) => pool.all.filter((_, i) => flags[i % flags.length]);

describe('prune planner properties (SPEC.md §11.6)', () => {
  it('pruning changes nothing a client sees at the time of the prune or later', async () => {
    await fc.assert(
      fc.asyncProperty(history(), async ({ picks, now, later }) => {
        const records = pick(picks);
        const plan = await planPrune(pool.w.tool.name, records, pool.w.policy, {
          now,
          horizonSeconds: H,
        });
        const after = without(
          records,
          plan.remove.map((r) => r.id),
        );
        for (const t of [now, now + later]) {
          const before = await view(pool, records, t);
          const pruned = await view(pool, after, t);
          expect(pruned.usable).toBe(before.usable);
          expect(pruned.signing).toBe(before.signing);
          // Pruning never makes a client see a withheld record where it saw none.
          pruned.rollback.forEach((r, i) => {
            if (r) expect(before.rollback[i]).toBe(true);
          });
        }
      }),
      { numRuns: 300 },
    );
  });

  it('resolution over the cap (records past not-after + skew set aside) sees the same', async () => {
    await fc.assert(
      fc.asyncProperty(history(), async ({ picks, now, later }) => {
        const records = pick(picks);
        const kept = await setAsideExpired(pool.w.tool.name, records, pool.w.policy, now - 60, {});
        for (const t of [now, now + later]) {
          const before = await view(pool, records, t);
          const after = await view(pool, kept, t);
          expect(after.usable).toBe(before.usable);
          expect(after.signing).toBe(before.signing);
          after.rollback.forEach((r, i) => {
            if (r) expect(before.rollback[i]).toBe(true);
          });
        }
      }),
      { numRuns: 300 },
    );
  });

  it('is idempotent: a second prune removes nothing', async () => {
    await fc.assert(
      fc.asyncProperty(history(), async ({ picks, now, later }) => {
        const records = pick(picks);
        const opts = { now, horizonSeconds: H };
        const plan = await planPrune(pool.w.tool.name, records, pool.w.policy, opts);
        const after = without(
          records,
          plan.remove.map((r) => r.id),
        );
        const again = await planPrune(pool.w.tool.name, after, pool.w.policy, opts);
        expect(again.remove).toEqual([]);
        expect(again.kept).toBe(plan.kept);
        // and later prunes only ever remove more of what stayed
        const next = await planPrune(pool.w.tool.name, after, pool.w.policy, {
          now: now + later,
          horizonSeconds: H,
        });
        for (const r of next.remove) expect(after.some((x) => recordId(x) === r.id)).toBe(true);
      }),
      { numRuns: 100 },
    );
  });

  it('is monotonic: what it removes stays removable when records are added concurrently', async () => {
    await fc.assert(
      fc.asyncProperty(history(), async ({ picks, now, adds }) => {
        const records = pick(picks);
        const opts = { now, horizonSeconds: H };
        const plan = await planPrune(pool.w.tool.name, records, pool.w.policy, opts);
        // SPEC.md §11.6: the exceptions are records conforming issuers never
        // make: about a key revoked in the snapshot, or signed with a key
        // whose certificates this prune removes; or a compromise revocation
        // of a signing key (its records then stop counting in rule 4).
        const revoked = new Set(
          records
            .map((r) => pool.revocationTargets.get(recordId(r)))
            .filter((k) => k !== undefined),
        );
        const removedIds = new Set(plan.remove.map((r) => r.id));
        const goneSigners = new Set(
          records
            .filter(
              (r) =>
                removedIds.has(recordId(r)) &&
                pool.signingKids.includes(pool.subject.get(recordId(r))!),
            )
            .map((r) => pool.subject.get(recordId(r))!),
        );
        const added = pick(adds).filter((r) => {
          const id = recordId(r);
          if (goneSigners.has(pool.issuer.get(id) ?? '')) return false;
          const target = pool.revocationTargets.get(id) ?? '';
          if (pool.compromises.has(id) && pool.signingKids.includes(target)) return false;
          return pool.revocationTargets.has(id) || !revoked.has(pool.subject.get(id)!);
        });
        const bigger = await planPrune(
          pool.w.tool.name,
          [...records, ...added],
          pool.w.policy,
          opts,
        );
        const removed = new Set(bigger.remove.map((r) => r.id));
        for (const r of plan.remove) expect(removed.has(r.id)).toBe(true);
      }),
      { numRuns: 100 },
    );
  });
});

describe('prune planner rules (SPEC.md §11.6)', () => {
  it('removes junk, records of other names, and expired records; keeps the newest key record and its certificate', async () => {
    const w = pool.w;
    const [cert, key1] = await w.recordsOf(w.tool, { serial: 1, notBefore: S0, notAfter: S0 + H });
    const [, key2] = await w.recordsOf(w.tool, { serial: 2, notBefore: S0, notAfter: S0 + 2 * H });
    const [, other] = await w.recordsOf(w.agent);
    const junk = Uint8Array.from([1, 2, 3]);
    const future = Uint8Array.from([0x42, 0x57, 0x02, 0x11, 9]); // another version: not ours to judge
    const records = [cert!, key1!, key2!, other!, junk, future];
    // the certificate is valid a year: only the key records are past their not-after
    const plan = await planPrune(w.tool.name, records, w.policy, {
      now: S0 + 10 * H,
      horizonSeconds: H,
    });
    expect(new Map(plan.remove.map((r) => [r.id, r.reason]))).toEqual(
      new Map([
        [recordId(key1!), 'expired'],
        [recordId(other!), 'other-name'],
        [recordId(junk), 'malformed'],
      ]),
    );
    expect(plan.kept).toBe(3); // cert, the newest key record (kept though expired), the v2 record
    // within the horizon nothing goes but junk and the other name
    const early = await planPrune(w.tool.name, records, w.policy, {
      now: S0 + 2 * H,
      horizonSeconds: H,
    });
    expect(early.remove.map((r) => r.reason).sort()).toEqual(['malformed', 'other-name']);
  });

  it('keeps a record until exactly not-after + horizon (rule 2), whatever else is stored', async () => {
    const w = pool.w;
    const [cert, old] = await w.recordsOf(w.tool, { serial: 1, notBefore: S0, notAfter: S0 + H });
    const k = await generateEncryptionKey();
    const newer = await createEncryptionKeyRecord(w.tool, k, {
      notBefore: S0,
      notAfter: S0 + 9 * H,
      serial: 2,
    });
    const records = [cert!, old!, newer];
    for (const horizon of [180, 600]) {
      const at = async (now: number) =>
        (await planPrune(w.tool.name, records, w.policy, { now, horizonSeconds: horizon })).remove;
      expect(await at(S0 + H + horizon)).toEqual([]);
      expect(await at(S0 + H + horizon + 1)).toEqual([{ id: recordId(old!), reason: 'expired' }]);
    }
  });

  it('refuses a horizon below 3 times the clock skew (a pruner clock ahead, a client clock behind), and a bad time', async () => {
    const w = pool.w;
    expect(
      await errorCode(planPrune(w.tool.name, [], w.policy, { now: S0, horizonSeconds: 179 })),
    ).toBe('ERR_INVALID_ARGUMENT');
    expect(
      (await planPrune(w.tool.name, [], w.policy, { now: S0, horizonSeconds: 180 })).remove,
    ).toEqual([]);
    expect(
      await errorCode(
        planPrune(w.tool.name, [], w.policy, { now: Number.NaN, horizonSeconds: 180 }),
      ),
    ).toBe('ERR_INVALID_ARGUMENT');
    const p = await planPrune(
      w.tool.name,
      [],
      { ...w.policy, clockSkew: 0 },
      { now: S0, horizonSeconds: 0 },
    );
    expect(p.remove).toEqual([]);
  });

  it('keeps a revocation while its target is stored and needed, and of a pinned key always', async () => {
    const w = pool.w;
    const [cert, key1] = await w.recordsOf(w.tool, { serial: 1, notBefore: S0, notAfter: S0 + H });
    const [, key2] = await w.recordsOf(w.tool, { serial: 2, notBefore: S0, notAfter: S0 + 20 * H });
    const k1 = (await verifyRecordSet(w.tool.name, [cert!, key1!], w.policy)).encryptionKeys[0]!
      .kid;
    const rev = await createRevocation(w.anchor, {
      name: w.tool.name,
      kid: k1,
      reason: 'compromise',
    });
    // key1 and key2 share the tool's key, hence the kid: the revocation covers both, and key2 is live
    const both = await planPrune(w.tool.name, [cert!, key1!, key2!, rev], w.policy, {
      now: S0 + 10 * H,
      horizonSeconds: H,
    });
    expect(both.remove.map((r) => r.id)).toEqual([recordId(key1!)]);
    // once every record about the kid is past the horizon and a newer key
    // record (another kid) is the newest, the revocation goes with them, after them
    const k3 = await generateEncryptionKey();
    const key3 = await createEncryptionKeyRecord(w.tool, k3, {
      notBefore: S0 + 20 * H,
      notAfter: S0 + 40 * H,
      serial: 3,
    });
    const late = await planPrune(w.tool.name, [cert!, key1!, key2!, rev, key3], w.policy, {
      now: S0 + 30 * H,
      horizonSeconds: H,
    });
    expect(late.remove).toEqual([
      { id: recordId(key1!), reason: 'expired' },
      { id: recordId(key2!), reason: 'expired' },
      { id: recordId(rev), reason: 'revocation-done' },
    ]);
    // a revocation whose target is not stored stays (a pinned key, or a record yet to come)
    const orphan = await planPrune(w.tool.name, [cert!, rev], w.policy, {
      now: S0 + 30 * H,
      horizonSeconds: H,
    });
    expect(orphan.remove).toEqual([]);
    const pinnedPolicy = { ...w.policy, pinned: [{ name: w.tool.name, signing: w.tool.signing }] };
    const pinRev = await createRevocation(w.anchor, {
      name: w.tool.name,
      kid: w.tool.signing.kid,
      reason: 'compromise',
    });
    const oldCert = await certifyIdentity(w.anchor, w.tool, {
      notBefore: S0 - 100,
      notAfter: S0,
      serial: 5,
    });
    const pinned = await planPrune(w.tool.name, [oldCert, pinRev], pinnedPolicy, {
      now: S0 + 30 * H,
      horizonSeconds: H,
    });
    expect(pinned.remove.map((r) => r.id)).toEqual([recordId(oldCert)]);
  });

  it('a compromise revocation of a signing key stays, with the certificate it needs to verify', async () => {
    // Else a record made with the leaked key, used once and withheld since,
    // would lock clients out with ERR_KEY_ROLLBACK (SPEC.md §11.2).
    const w = pool.w;
    const cert = await certifyIdentity(w.anchor, w.tool, {
      notBefore: S0 - H,
      notAfter: S0,
      serial: 1,
    });
    const self = await createRevocation(w.tool.signing, {
      name: w.tool.name,
      kid: w.tool.signing.kid,
      reason: 'compromise',
    });
    const byAnchor = await createRevocation(w.anchor, {
      name: w.tool.name,
      kid: w.tool.signing.kid,
      reason: 'compromise',
    });
    const superseded = await createRevocation(w.anchor, {
      name: w.tool.name,
      kid: w.tool.signing.kid,
      reason: 'superseded',
    });
    const opts = { now: S0 + 1000 * H, horizonSeconds: H };
    expect((await planPrune(w.tool.name, [cert, self], w.policy, opts)).remove).toEqual([]);
    expect((await planPrune(w.tool.name, [cert, byAnchor], w.policy, opts)).remove).toEqual([
      { id: recordId(cert), reason: 'expired' },
    ]);
    expect((await planPrune(w.tool.name, [cert, superseded], w.policy, opts)).remove).toEqual([
      { id: recordId(cert), reason: 'expired' },
      { id: recordId(superseded), reason: 'revocation-done' },
    ]);
  });

  it('forged records never cause the removal of a genuine record', async () => {
    const w = pool.w;
    const [cert, key] = await w.recordsOf(w.tool, {
      serial: 5,
      notBefore: S0,
      notAfter: S0 + 20 * H,
    });
    const kid = (await verifyRecordSet(w.tool.name, [cert!, key!], w.policy)).encryptionKeys[0]!
      .kid;
    const rev = await createRevocation(w.anchor, { name: w.tool.name, kid, reason: 'compromise' });
    // Mallory (no certificate from a trusted anchor) forges: a newer key record,
    // an old record about the revoked kid, revocations of the genuine keys.
    const k = await generateEncryptionKey();
    const forged = [
      await createEncryptionKeyRecord(w.mallory, k, {
        notBefore: S0,
        notAfter: S0 + 40 * H,
        serial: 99,
      }),
      await createEncryptionKeyRecord(
        w.mallory,
        { ...k, publicKey: w.tool.encryption.publicKey, kid },
        {
          notBefore: S0 - 10 * H,
          notAfter: S0 - 9 * H,
          serial: 1,
        },
      ).catch(() => Uint8Array.from([0])),
      await createRevocation(w.mallory.signing, { name: w.tool.name, kid, reason: 'superseded' }),
      await createRevocation(w.mallory.signing, {
        name: w.tool.name,
        kid: w.tool.signing.kid,
        reason: 'compromise',
      }),
      await certifyIdentity(w.otherAnchor, w.mallory, {
        notBefore: S0,
        notAfter: S0 + 40 * H,
        serial: 99,
      }),
    ];
    const records = [cert!, key!, rev, ...forged];
    for (const now of [S0 + 10 * H, S0 + 25 * H, S0 + 100 * H]) {
      const plan = await planPrune(w.tool.name, records, w.policy, { now, horizonSeconds: H });
      const removed = new Set(plan.remove.map((r) => r.id));
      for (const genuine of [cert!, rev]) expect(removed.has(recordId(genuine))).toBe(false);
      // the genuine key record goes only by its own not-after, and stays as the newest verified one
      expect(removed.has(recordId(key!))).toBe(false);
    }
  });
});

describe('pruneIdentity', () => {
  it('removes by id, dry-runs, is idempotent, and refuses a store without remove', async () => {
    const w = pool.w;
    const store = createMemoryStore();
    for (const r of pool.all) await store.put(w.tool.name, r);
    const opts = { now: S0 + 60 * H, horizonSeconds: H };
    const dry = await pruneIdentity(store, w.tool.name, w.policy, { ...opts, dryRun: true });
    expect(dry.remove.length).toBeGreaterThan(0);
    expect((await store.list(w.tool.name)).length).toBe(pool.all.length);
    const done = await pruneIdentity(store, w.tool.name, w.policy, opts);
    expect(done.remove).toEqual(dry.remove);
    expect((await store.list(w.tool.name)).length).toBe(pool.all.length - done.remove.length);
    expect((await pruneIdentity(store, w.tool.name, w.policy, opts)).remove).toEqual([]);
    // removing an id that is already gone is no error
    await store.remove!(w.tool.name, done.remove[0]!.id);
    // A store that cannot remove: without remove(), or read-only however it answers
    // (SPEC.md §11.6): ERR_INVALID_ARGUMENT before anything is read, unless a dry run.
    let listed = 0;
    const counting = async (name: string) => {
      listed++;
      return store.list(name);
    };
    const noRemove: DirectoryStore = { kind: 'ro', put: store.put, list: counting };
    const readOnly: DirectoryStore = { ...noRemove, readOnly: true, remove: store.remove };
    for (const s of [noRemove, readOnly]) {
      expect(await errorCode(pruneIdentity(s, w.tool.name, w.policy, opts))).toBe(
        'ERR_INVALID_ARGUMENT',
      );
      expect(listed).toBe(0);
      expect(
        (await pruneIdentity(s, w.tool.name, w.policy, { ...opts, dryRun: true })).remove,
      ).toEqual([]);
      listed = 0;
    }
    expect((await store.list(w.tool.name)).length).toBe(pool.all.length - done.remove.length);
  });
});
