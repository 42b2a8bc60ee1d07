/**
 * Paged listing (SPEC.md §11.5) and pruning a name with any number of
 * records (SPEC.md §11.6), run by every adapter against its real service: a
 * walk returns every record, pages respect the limit (a hint for Redis, whose
 * HSCAN may return more), malformed cursors and limits are refused, and
 * 3,000 records of one name, more than `list` or resolution ever reads, are
 * pruned down to the records a client can still need.
 */
import { randomBytes } from 'node:crypto';
import { generateEncryptionKey } from '@blindwire/core';
import { expect, it } from 'vitest';
import { errorCode } from '@blindwire/testkit';
import {
  createDirectory,
  createEncryptionKeyRecord,
  pruneIdentity,
  recordId,
  type DirectoryStore,
} from '../../src/index.js';
import { S0, T0, makeWorld, type World } from './world.js';

type PagingStore = DirectoryStore &
  Required<Pick<DirectoryStore, 'listPage' | 'remove' | 'removeMany'>>;

export interface PagingFixture {
  store: PagingStore;
  /** Stores `records` under `name` in bulk (default: `store.put`, a few at a time). */
  load?: (name: string, records: Uint8Array[]) => Promise<void>;
}

/** Puts `records` through the store, 50 at a time. */
export async function putAll(store: DirectoryStore, name: string, records: Uint8Array[]) {
  for (let i = 0; i < records.length; i += 50)
    await Promise.all(records.slice(i, i + 50).map((r) => store.put(name, r)));
}

/** Walks every page of `name` with `limit`, returning the pages' records by id. */
async function walk(store: PagingStore, name: string, limit: number) {
  const pages: string[][] = [];
  let cursor: string | undefined;
  do {
    const page = await store.listPage(name, { limit, ...(cursor ? { cursor } : {}) });
    pages.push(page.records.map(recordId));
    cursor = page.cursor;
  } while (cursor !== undefined && pages.length < 10_000);
  return pages;
}

/**
 * `ordered`: the store pages in record id order with exact limits (all but
 * Redis). `name(suffix)` gives a fresh identity name for each case.
 */
export function runPagedListing(
  fixture: () => PagingFixture,
  { name, ordered }: { name: (suffix: string) => string; ordered: boolean },
): void {
  it('listPage: a walk returns every record; pages hold at most the limit, in record id order', async () => {
    const { store, load } = fixture();
    const n = name('paged');
    const records = Array.from({ length: 600 }, () => new Uint8Array(randomBytes(40)));
    await (load ?? ((x, rs) => putAll(store, x, rs)))(n, records);
    const pages = await walk(store, n, 100);
    const ids = pages.flat();
    expect(new Set(ids)).toEqual(new Set(records.map(recordId)));
    for (const p of pages) expect(p.length).toBeLessThanOrEqual(ordered ? 100 : 1024);
    if (ordered) {
      expect(ids).toEqual([...ids].sort()); // record id order, each record once
      expect(new Set(ids).size).toBe(ids.length);
      expect(pages.length).toBe(6);
    } else {
      expect(pages.length).toBeGreaterThan(1); // HSCAN COUNT is honoured on a large hash
    }
    // The records come back as stored.
    const first = await store.listPage(n, { limit: 1024 });
    const byId = new Map(records.map((r) => [recordId(r), r]));
    for (const r of first.records) expect(r).toEqual(byId.get(recordId(r)));
  });

  it('listPage: an unknown name is one empty page; a bad limit or cursor is ERR_INVALID_ARGUMENT', async () => {
    const { store } = fixture();
    expect(await store.listPage(name('nobody'))).toEqual({ records: [] });
    for (const limit of [0, 1025, 1.5, Number.NaN])
      expect(await errorCode(store.listPage(name('x'), { limit }))).toBe('ERR_INVALID_ARGUMENT');
    for (const cursor of ['', 'not a cursor', 'x'.repeat(300)])
      expect(await errorCode(store.listPage(name('x'), { cursor }))).toBe('ERR_INVALID_ARGUMENT');
  });

  it('removeMany removes those ids and ignores absent ones', async () => {
    const { store } = fixture();
    const n = name('remove-many');
    const records = Array.from({ length: 5 }, () => new Uint8Array(randomBytes(40)));
    await putAll(store, n, records);
    await store.removeMany(n, [recordId(records[0]!), recordId(records[3]!), '0'.repeat(32)]);
    await store.removeMany(n, []);
    const left = (await store.listPage(n)).records.map(recordId).sort();
    expect(left).toEqual([records[1]!, records[2]!, records[4]!].map(recordId).sort());
  });
}

/** 2,998 expired key records (serials 1..2998) and the live certificate and key record (serial 10,000). */
async function history(): Promise<{ w: World; old: Uint8Array[]; live: Uint8Array[] }> {
  const w = await makeWorld();
  const live = await w.recordsOf(w.tool, { serial: 10_000 });
  const k = await generateEncryptionKey();
  const old: Uint8Array[] = [];
  for (let i = 0; i < 2998; i++) {
    const notAfter = S0 - 10 * 86_400 - i;
    old.push(
      await createEncryptionKeyRecord(w.tool, k, {
        notBefore: notAfter - 3600,
        notAfter,
        serial: i + 1,
        now: (notAfter - 3600) * 1000,
      }),
    );
  }
  return { w, old, live };
}

/**
 * 3,000 records of one name, in one store: resolution stays bounded
 * (ERR_LIMIT_EXCEEDED, SPEC.md §8), and pruneIdentity, paging through them,
 * removes the 2,998 no client can need; the identity then resolves.
 */
export function runLargePrune(fixture: () => PagingFixture): void {
  it('prunes 3,000 records of one name down to the two a client needs, page by page', async () => {
    const { store, load } = fixture();
    const { w, old, live } = await history();
    const all = [...old, ...live];
    await (load ?? ((x, rs) => putAll(store, x, rs)))(w.tool.name, all);
    const dir = createDirectory({ store, trust: w.policy, now: () => T0 });
    expect(await errorCode(dir.resolveRecipient(w.tool.name))).toBe('ERR_LIMIT_EXCEEDED');
    await dir.close();
    const opts = { now: S0, horizonSeconds: 3600 };
    const dry = await pruneIdentity(store, w.tool.name, w.policy, { ...opts, dryRun: true });
    expect(dry.remove).toHaveLength(2998);
    expect(new Set(dry.remove.map((r) => r.id))).toEqual(new Set(old.map(recordId)));
    const done = await pruneIdentity(store, w.tool.name, w.policy, opts);
    expect(done.remove).toHaveLength(2998);
    expect(done.kept).toBe(2);
    expect(new Set((await store.list(w.tool.name)).map(recordId))).toEqual(
      new Set(live.map(recordId)),
    );
    expect((await pruneIdentity(store, w.tool.name, w.policy, opts)).remove).toEqual([]);
    const after = createDirectory({ store, trust: w.policy, now: () => T0 });
    expect((await after.resolveRecipient(w.tool.name)).serial).toBe(10_000);
    await after.close();
  }, 120_000);
}
