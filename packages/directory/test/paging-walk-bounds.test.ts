/**
 * A page walk is bounded whatever an untrusted store answers (SPEC.md §11.5,
 * §11.6): a store that hands out a fresh cursor with every page (an HTTP
 * directory read by a dry-run prune, say) stops the walk after 64 empty
 * pages in a row (ERR_TRANSPORT), or past `maxRecordsRead` records
 * (ERR_LIMIT_EXCEEDED); a prune that cannot read all of a name removes none
 * of it.
 */
import { errorCode } from '@blindwire/testkit';
import { describe, expect, it } from 'vitest';
import { createMemoryStore, pruneIdentity, recordId, type DirectoryStore } from '../src/index.js';
import { MAX_EMPTY_PAGES, listAllRecords } from '../src/stores/paging.js';
import { S0, makeWorld } from './helpers/world.js';

const NAME = 'spiffe://acme.example/x';

/** A store whose `listPage` never ends: page i holds `records(i)`. */
function endless(records: (i: number) => Uint8Array[]) {
  const store = {
    kind: 'http',
    readOnly: true,
    pages: 0,
    async put() {},
    async list() {
      return [];
    },
    async listPage() {
      const i = store.pages++;
      if (i > 1_000_000) throw new Error('still walking');
      return { records: records(i), cursor: `c${i}` };
    },
  };
  return store;
}

describe('listAllRecords', () => {
  it('stops a store that answers empty pages with fresh cursors forever', async () => {
    const store = endless(() => []);
    expect(await errorCode(listAllRecords(store, NAME))).toBe('ERR_TRANSPORT');
    expect(store.pages).toBe(MAX_EMPTY_PAGES);
  });

  it('stops a store that answers a record a page forever, past maxRecordsRead', async () => {
    const store = endless((i) => [Uint8Array.of(i & 0xff, i >> 8)]);
    expect(await errorCode(listAllRecords(store, NAME, { maxRecordsRead: 500 }))).toBe(
      'ERR_LIMIT_EXCEEDED',
    );
    expect(store.pages).toBe(501);
    // and records alternating with runs of empty pages: the page count bounds it
    const sparse = endless((i) => (i % MAX_EMPTY_PAGES === 0 ? [Uint8Array.of(i & 0xff)] : []));
    expect(await errorCode(listAllRecords(sparse, NAME, { maxRecordsRead: 500 }))).toBe(
      'ERR_LIMIT_EXCEEDED',
    );
    expect(sparse.pages).toBe(500 + MAX_EMPTY_PAGES);
  });

  it('reads a walk with runs of empty pages shorter than the bound, to its end', async () => {
    const store: DirectoryStore = {
      kind: 'redis',
      async put() {},
      async list() {
        return [];
      },
      async listPage(_name, options) {
        const i = Number(options?.cursor ?? 0);
        const records = i % 10 === 9 ? [Uint8Array.of(i)] : [];
        return i === 99 ? { records } : { records, cursor: String(i + 1) };
      },
    };
    expect(await listAllRecords(store, NAME)).toHaveLength(10);
    expect(await errorCode(listAllRecords(store, NAME, { maxRecordsRead: 0 }))).toBe(
      'ERR_INVALID_ARGUMENT',
    );
  });
});

it('a prune over maxRecordsRead records removes nothing', async () => {
  const w = await makeWorld();
  const store = createMemoryStore();
  const expired = await w.recordsOf(w.tool, { notAfter: S0 + 60 });
  const live = await w.recordsOf(w.tool, { serial: 2, notAfter: S0 + 30 * 86_400 });
  for (const r of [...expired, ...live]) await store.put(w.tool.name, r);
  const options = { now: S0 + 86_400, horizonSeconds: 3600 };
  const limited = pruneIdentity(store, w.tool.name, w.policy, { ...options, maxRecordsRead: 2 });
  expect(await errorCode(limited)).toBe('ERR_LIMIT_EXCEEDED');
  expect(await store.list(w.tool.name)).toHaveLength(3);
  const done = await pruneIdentity(store, w.tool.name, w.policy, { ...options, maxRecordsRead: 3 });
  expect(done.remove.map((r) => r.id)).toEqual([recordId(expired[1]!)]);
});
