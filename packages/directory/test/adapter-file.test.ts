import { randomBytes } from 'node:crypto';
import type * as NodeFs from 'node:fs';
import {
  mkdtemp,
  mkdir,
  readFile,
  rename,
  rm,
  stat,
  symlink,
  truncate,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { toBase64url } from '@blindwire/core';
import { createFileStore, MAX_FILE_BYTES, type FileStore } from '../src/stores/file-store.js';

// Lets one test take fs.watch away, to prove the periodic stat fallback alone sees changes.
const fsWatchBroken = vi.hoisted(() => ({ value: false }));
vi.mock('node:fs', async (importOriginal) => {
  const actual = await importOriginal<typeof NodeFs>();
  return {
    ...actual,
    watch: ((...args: Parameters<typeof actual.watch>) => {
      if (fsWatchBroken.value) throw new Error('fs.watch unavailable');
      return actual.watch(...args);
    }) as typeof actual.watch,
  };
});

const A = 'spiffe://acme.example/agents/a';
const B = 'spiffe://acme.example/agents/b';
const rec = (): Uint8Array => new Uint8Array(randomBytes(48));
const sorted = (xs: Uint8Array[]): string[] => xs.map(toBase64url).sort();

let dir: string;
let stores: FileStore[];
const open = (path: string, options?: Parameters<typeof createFileStore>[1]): FileStore => {
  const s = createFileStore(path, options);
  stores.push(s);
  return s;
};

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bw-file-store-'));
  stores = [];
  fsWatchBroken.value = false;
});
afterEach(async () => {
  await Promise.all(stores.map(async (s) => s.close?.()));
  await rm(dir, { recursive: true, force: true });
});

/** Writes a document the way an external publisher should: temp file, then rename. */
async function publish(path: string, records: Record<string, Uint8Array[]>): Promise<void> {
  const doc = {
    v: 1,
    records: Object.fromEntries(Object.entries(records).map(([n, rs]) => [n, rs.map(toBase64url)])),
  };
  const tmp = `${path}.${randomBytes(4).toString('hex')}.new`;
  await writeFile(tmp, JSON.stringify(doc));
  await rename(tmp, path);
}

async function waitFor(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function rejectsWith(p: Promise<unknown>, code: string, message?: RegExp): Promise<void> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toMatchObject({ name: 'BlindwireError', code });
  if (message) expect((e as Error).message).toMatch(message);
}

describe('file store: put and list', () => {
  it('round trips records, stores them once per id, in a v1 document with mode 0644', async () => {
    const path = join(dir, 'directory.json');
    const s = open(path);
    const [r1, r2] = [rec(), rec()];
    await s.put(A, r1);
    await s.put(A, r2);
    await s.put(A, Uint8Array.from(r1)); // same bytes again: idempotent
    expect(sorted(await s.list(A))).toEqual(sorted([r1, r2]));
    expect(await s.list(B)).toEqual([]);

    const doc = JSON.parse(await readFile(path, 'utf8'));
    expect(doc.v).toBe(1);
    expect(Object.keys(doc.records)).toEqual([A]);
    expect([...doc.records[A]].sort()).toEqual(sorted([r1, r2]));
    expect((await stat(path)).mode & 0o777).toBe(0o644);
    expect(sorted(await open(path).list(A))).toEqual(sorted([r1, r2])); // a second reader sees the same
  });

  it('lists nothing when the file does not exist yet', async () => {
    expect(await open(join(dir, 'absent.json')).list(A)).toEqual([]);
  });

  it('hands out copies: mutating a listed record does not change the store', async () => {
    const s = open(join(dir, 'd.json'));
    const r = rec();
    await s.put(A, r);
    const [got] = await s.list(A);
    got!.fill(0);
    expect(sorted(await s.list(A))).toEqual(sorted([r]));
  });

  it('serialises concurrent puts within one process: none is lost', async () => {
    const path = join(dir, 'd.json');
    const s = open(path);
    const want = new Map<string, Uint8Array[]>();
    const puts: Promise<void>[] = [];
    for (let i = 0; i < 30; i++) {
      const name = `spiffe://acme.example/n${i % 5}`;
      const r = rec();
      want.set(name, [...(want.get(name) ?? []), r]);
      puts.push(s.put(name, r));
    }
    await Promise.all(puts);
    const fresh = open(path);
    for (const [name, rs] of want) expect(sorted(await fresh.list(name))).toEqual(sorted(rs));
  });

  it('removes one record by id and drops the identity when it has none left', async () => {
    const { recordId } = await import('../src/records/record-id.js');
    const path = join(dir, 'd.json');
    const s = open(path);
    const [r1, r2] = [rec(), rec()];
    await s.put(A, r1);
    await s.put(A, r2);
    await s.remove!(A, recordId(r1));
    expect(sorted(await s.list(A))).toEqual(sorted([r2]));
    await s.remove!(A, recordId(r2));
    expect(JSON.parse(await readFile(path, 'utf8')).records).toEqual({});
  });

  it('re-reads the file after an external atomic replacement', async () => {
    const path = join(dir, 'd.json');
    const s = open(path, { watch: false });
    const [r1, r2] = [rec(), rec()];
    await publish(path, { [A]: [r1] });
    expect(sorted(await s.list(A))).toEqual(sorted([r1]));
    expect(sorted(await s.list(A))).toEqual(sorted([r1])); // served from the parsed copy
    await publish(path, { [A]: [r2] });
    expect(sorted(await s.list(A))).toEqual(sorted([r2]));
  });

  it('rejects a missing or empty name with ERR_INVALID_ARGUMENT', async () => {
    const s = open(join(dir, 'd.json'));
    await rejectsWith(s.put('', rec()), 'ERR_INVALID_ARGUMENT', /"name"/);
    await rejectsWith(s.list(undefined as unknown as string), 'ERR_INVALID_ARGUMENT', /"name"/);
    await rejectsWith(s.put(A, 'x' as unknown as Uint8Array), 'ERR_INVALID_ARGUMENT', /"record"/);
  });
});

describe('file store: malformed and oversized files', () => {
  const cases: [string, string][] = [
    ['not JSON', '{"v":1,'],
    ['another version', '{"v":2,"records":{}}'],
    ['records not an object', '{"v":1,"records":[]}'],
    ['records of a name not an array', `{"v":1,"records":{"${A}":"abc"}}`],
    ['a record not a string', `{"v":1,"records":{"${A}":[42]}}`],
    ['a record not base64url', `{"v":1,"records":{"${A}":["a+b/"]}}`],
    ['not UTF-8', '\u0000'],
  ];
  for (const [what, text] of cases) {
    it(`a document that is ${what} is ERR_TRANSPORT naming the file`, async () => {
      const path = join(dir, 'bad.json');
      await writeFile(path, what === 'not UTF-8' ? Buffer.from([0x7b, 0xff, 0x7d]) : text);
      const s = open(path);
      await rejectsWith(s.list(A), 'ERR_TRANSPORT', /bad\.json/);
      await rejectsWith(s.put(A, rec()), 'ERR_TRANSPORT'); // never overwrites a document it cannot read
      expect(await readFile(path)).toEqual(
        what === 'not UTF-8' ? Buffer.from([0x7b, 0xff, 0x7d]) : Buffer.from(text),
      );
    });
  }

  it(`a file over ${MAX_FILE_BYTES} bytes is ERR_LIMIT_EXCEEDED; exactly the limit is read`, async () => {
    const path = join(dir, 'big.json');
    await writeFile(path, '');
    await truncate(path, MAX_FILE_BYTES + 1); // sparse: cheap to create
    await rejectsWith(open(path).list(A), 'ERR_LIMIT_EXCEEDED');
    // At the limit the size check passes and the content (zeros) is judged instead.
    await truncate(path, MAX_FILE_BYTES);
    await rejectsWith(open(path).list(A), 'ERR_TRANSPORT');
  });
});

describe('file store: watch', () => {
  it('is absent with { watch: false }', () => {
    expect(open(join(dir, 'd.json'), { watch: false }).watch).toBeUndefined();
  });

  it('reports the identities whose records changed when the file is renamed over', async () => {
    const path = join(dir, 'd.json');
    const [ra, rb, ra2] = [rec(), rec(), rec()];
    await publish(path, { [A]: [ra], [B]: [rb] });
    const s = open(path, { pollIntervalMs: 60_000 });
    const seen: string[] = [];
    await s.watch!((n) => seen.push(n));
    await publish(path, { [A]: [ra, ra2], [B]: [rb] });
    await waitFor(() => seen.length > 0);
    await new Promise((r) => setTimeout(r, 100));
    expect(seen).toEqual([A]); // B is unchanged
    expect(sorted(await s.list(A))).toEqual(sorted([ra, ra2]));
  });

  it('follows a Kubernetes ConfigMap-style swap of the ..data symlink', async () => {
    // dir/directory.json -> ..data/directory.json, ..data -> ..v1; the update swaps ..data to ..v2.
    const [r1, r2] = [rec(), rec()];
    await mkdir(join(dir, '..v1'));
    await publish(join(dir, '..v1', 'directory.json'), { [A]: [r1] });
    await symlink('..v1', join(dir, '..data'));
    await symlink(join('..data', 'directory.json'), join(dir, 'directory.json'));
    const s = open(join(dir, 'directory.json'), { pollIntervalMs: 60_000 });
    expect(sorted(await s.list(A))).toEqual(sorted([r1]));
    const seen: string[] = [];
    await s.watch!((n) => seen.push(n));

    await mkdir(join(dir, '..v2'));
    await publish(join(dir, '..v2', 'directory.json'), { [A]: [r2], [B]: [r1] });
    await symlink('..v2', join(dir, '..data_tmp'));
    await rename(join(dir, '..data_tmp'), join(dir, '..data'));
    await waitFor(() => seen.length >= 2);
    expect(seen.sort()).toEqual([A, B].sort());
    expect(sorted(await s.list(A))).toEqual(sorted([r2]));
  });

  it('falls back to a periodic stat when fs.watch is unavailable', async () => {
    fsWatchBroken.value = true;
    const path = join(dir, 'd.json');
    const s = open(path, { pollIntervalMs: 50 });
    const seen: string[] = [];
    await s.watch!((n) => seen.push(n));
    await publish(path, { [B]: [rec()] });
    await waitFor(() => seen.includes(B));
  });

  it("tells this process's listeners about its own puts, once", async () => {
    const s = open(join(dir, 'd.json'));
    const seen: string[] = [];
    await s.watch!((n) => seen.push(n));
    await s.put(A, rec());
    expect(seen).toEqual([A]);
    await new Promise((r) => setTimeout(r, 150)); // the directory event that follows changes nothing
    expect(seen).toEqual([A]);
  });

  it('keeps watching through a malformed version and reports the next good one', async () => {
    const path = join(dir, 'd.json');
    await publish(path, { [A]: [rec()] });
    const s = open(path, { pollIntervalMs: 60_000 });
    const seen: string[] = [];
    const throwing = vi.fn(() => {
      throw new Error('listener bug');
    });
    await s.watch!(throwing);
    await s.watch!((n) => seen.push(n));
    await writeFile(join(dir, 'tmp'), 'garbage');
    await rename(join(dir, 'tmp'), path);
    await new Promise((r) => setTimeout(r, 150));
    expect(seen).toEqual([]);
    await publish(path, { [B]: [rec()] });
    await waitFor(() => seen.length >= 2);
    expect(seen.sort()).toEqual([A, B].sort()); // A lost its records, B gained some
    expect(throwing).toHaveBeenCalled();
  });

  it('stops after unsubscribe and after close', async () => {
    const path = join(dir, 'd.json');
    const s = open(path, { pollIntervalMs: 50 });
    const seen: string[] = [];
    const off = await s.watch!((n) => seen.push(n));
    off();
    await publish(path, { [A]: [rec()] });
    await new Promise((r) => setTimeout(r, 200));
    expect(seen).toEqual([]);
    await s.watch!((n) => seen.push(n));
    await s.close!();
    await publish(path, { [B]: [rec()] });
    await new Promise((r) => setTimeout(r, 200));
    expect(seen).toEqual([]);
  });
});
