/**
 * Paged listing and pruning past the list limit (SPEC.md §11.5, §11.6) for
 * the stores that need no external service: memory, the JSON file, and HTTP
 * (a real handler on a loopback port, serving `?limit=&cursor=` from the
 * store behind it, with or without that store's own `listPage`).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toBase64url } from '@blindwire/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCode } from '@blindwire/testkit';
import { createFileStore } from '../src/stores/file-store.js';
import { createDirectoryHandler, createHttpStore } from '../src/stores/http.js';
import { createMemoryStore, pruneIdentity, type DirectoryStore } from '../src/index.js';
import { runLargePrune, runPagedListing, type PagingFixture } from './helpers/paging.js';
import { S0, makeWorld } from './helpers/world.js';

const ALICE = 'spiffe://acme.example/agents/alice';
let n = 0;
const fresh = (x: string) => `${ALICE}/${x}/${n++}`;

describe('memory store: paged listing and pruning', () => {
  const fixture = (): PagingFixture => ({ store: createMemoryStore() });
  runPagedListing(fixture, { name: fresh, ordered: true });
  runLargePrune(fixture);
});

describe('file store: paged listing and pruning', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bw-paging-file-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const fixture = (): PagingFixture => {
    const path = join(dir, `directory-${n++}.json`);
    return {
      store: createFileStore(path, { watch: false }),
      // One document written by another publisher (temp file, rename), not thousands of puts.
      load: async (name, records) => {
        const tmp = `${path}.new`;
        await writeFile(
          tmp,
          JSON.stringify({ v: 1, records: { [name]: records.map(toBase64url) } }),
        );
        await rename(tmp, path);
      },
    };
  };
  runPagedListing(fixture, { name: fresh, ordered: true });
  runLargePrune(fixture);
});

/** Reads through the handler at `url` (a real server); writes go to the store behind it. */
function overHttp(url: string, backing: DirectoryStore): PagingFixture {
  const client = createHttpStore(url);
  return {
    store: {
      kind: 'http',
      list: (name) => client.list(name),
      listPage: (name, o) => client.listPage(name, o),
      put: (name, r) => backing.put(name, r),
      remove: (name, id) => backing.remove!(name, id),
      removeMany: (name, ids) => backing.removeMany!(name, ids),
    },
  };
}

describe('HTTP store: pages through the handler', () => {
  const servers: Server[] = [];
  const urls: string[] = [];
  const paged = createMemoryStore();
  const mem = createMemoryStore();
  // A store without listPage: the handler pages its list() in record id order.
  const plain: DirectoryStore = {
    kind: 'plain',
    put: (name, r) => mem.put(name, r),
    list: (name) => mem.list(name),
    remove: (name, id) => mem.remove(name, id),
    removeMany: (name, ids) => mem.removeMany(name, ids),
  };
  beforeAll(async () => {
    for (const backing of [paged, plain]) {
      const server = createServer(createDirectoryHandler(backing).node);
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      servers.push(server);
      const { port } = server.address() as AddressInfo;
      urls.push(`http://127.0.0.1:${port}/.well-known/blindwire/directory`);
    }
  });
  afterAll(async () => {
    for (const s of servers) await new Promise((r) => s.close(r));
  });
  describe('backed by a store with listPage', () => {
    runPagedListing(() => overHttp(urls[0]!, paged), {
      name: fresh,
      ordered: true,
    });
  });
  describe('backed by a store without listPage', () => {
    runPagedListing(() => overHttp(urls[1]!, plain), {
      name: fresh,
      ordered: true,
    });
  });

  it('answers a malformed page request with 400 bad_page, and a page with no-store', async () => {
    const base = `${urls[0]}/${encodeURIComponent(ALICE)}`;
    for (const q of ['limit=0', 'limit=1025', 'limit=x', 'cursor=', 'limit=10&cursor=nope']) {
      const res = await fetch(`${base}?${q}`);
      expect(res.status, q).toBe(400);
      expect(await res.json()).toEqual({ v: 1, error: 'bad_page' });
    }
    const ok = await fetch(`${base}?limit=10`);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('cache-control')).toBe('no-store');
    expect(await ok.json()).toEqual({ v: 1, name: ALICE, records: [] });
  });

  it('a read-only store is refused by a prune, up front; a dry run pages through it', async () => {
    const w = await makeWorld();
    for (const r of await w.recordsOf(w.tool)) await paged.put(w.tool.name, r);
    const client = createHttpStore(urls[0]!);
    const opts = { now: S0, horizonSeconds: 3600 };
    expect(await errorCode(pruneIdentity(client, w.tool.name, w.policy, opts))).toBe(
      'ERR_INVALID_ARGUMENT',
    );
    expect(client.stats.requests).toBe(0);
    const dry = await pruneIdentity(client, w.tool.name, w.policy, { ...opts, dryRun: true });
    expect(dry).toMatchObject({ remove: [], kept: 2, dryRun: true });
  });
});
