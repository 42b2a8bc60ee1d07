/**
 * Rollback marks that survive a restart (SPEC.md §11.2): a client that used
 * serial 2, restarted, and met a store that withholds it refuses with
 * ERR_KEY_ROLLBACK; the state file is 0600, only rises, and is never reset
 * silently. Saves prune marks that can no longer matter and never write a
 * file larger than load reads.
 */
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateEncryptionKey } from '@blindwire/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createClock, outcomeOf } from '@blindwire/testkit';
import {
  certifyIdentity,
  createDirectory,
  createEncryptionKeyRecord,
  createMemoryStore,
  createRevocation,
  recordId,
  type RollbackMark,
  type RollbackStore,
} from '../src/index.js';
import { createFileRollbackStore } from '../src/trust/file-rollback-store.js';
import { S0, T0, makeWorld, type World } from './helpers/world.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'blindwire-rollback-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A tool with key serial 1 (valid a week) and a newer serial 2 (valid a day). */
async function rotated(w: World) {
  const [cert, k1] = await w.recordsOf(w.tool, { serial: 1, notAfter: S0 + 7 * 86_400 });
  const next = await generateEncryptionKey();
  const k2 = await createEncryptionKeyRecord(w.tool, next, {
    now: T0,
    notBefore: S0,
    notAfter: S0 + 86_400,
    serial: 2,
  });
  const store = createMemoryStore();
  for (const r of [cert!, k1!, k2]) await store.put(w.tool.name, r);
  return { store, next, k2 };
}

describe('createFileRollbackStore', () => {
  it('a restarted client still catches a store that withholds the newer record', async () => {
    const w = await makeWorld();
    const { store, next, k2 } = await rotated(w);
    const path = join(dir, 'rollback.json');
    const client = () =>
      createDirectory({
        store,
        trust: w.policy,
        now: () => T0,
        rollbackStore: createFileRollbackStore(path),
      });

    expect((await client().resolveRecipient(w.tool.name)).kid).toBe(next.kid);
    const doc = JSON.parse(await readFile(path, 'utf8'));
    expect(doc).toEqual({
      v: 1,
      marks: {
        [w.tool.name]: { serial: 2, notAfter: S0 + 86_400, issuerKid: w.tool.signing.kid },
      },
    });
    expect((await stat(path)).mode & 0o777).toBe(0o600);

    await store.remove!(w.tool.name, recordId(k2)); // the directory withholds serial 2
    // A new directory instance over the same file: what a restarted process has.
    expect(await outcomeOf(client().resolve(w.tool.name))).toBe('ERR_KEY_ROLLBACK');
    // Without the file, a fresh client has no memory and accepts serial 1 (documented limit).
    const amnesiac = createDirectory({ store, trust: w.policy, now: () => T0 });
    expect((await amnesiac.resolveRecipient(w.tool.name)).kid).toBe(w.tool.encryption.kid);
    // Once the remembered record has expired, withholding it is no longer a rollback.
    const later = createDirectory({
      store,
      trust: w.policy,
      now: () => T0 + 2 * 86_400_000,
      rollbackStore: createFileRollbackStore(path),
    });
    expect((await later.resolveRecipient(w.tool.name)).kid).toBe(w.tool.encryption.kid);
  });

  it('works with the serials the SDK makes by default (Unix milliseconds, above 2^32)', async () => {
    const w = await makeWorld();
    const [cert] = await w.recordsOf(w.tool, { serial: 1, notAfter: S0 + 7 * 86_400 });
    const older = await generateEncryptionKey();
    const newer = await generateEncryptionKey();
    // No serial given: each record's serial is its creation time in milliseconds.
    const r1 = await createEncryptionKeyRecord(w.tool, older, {
      now: T0,
      notBefore: S0,
      notAfter: S0 + 86_400,
    });
    const r2 = await createEncryptionKeyRecord(w.tool, newer, {
      now: T0 + 1000,
      notBefore: S0,
      notAfter: S0 + 86_400,
    });
    const store = createMemoryStore();
    for (const r of [cert!, r1, r2]) await store.put(w.tool.name, r);
    const path = join(dir, 'rollback.json');
    const client = () =>
      createDirectory({
        store,
        trust: w.policy,
        now: () => T0 + 2000,
        rollbackStore: createFileRollbackStore(path),
      });
    expect((await client().resolveRecipient(w.tool.name)).kid).toBe(newer.kid);
    const doc = JSON.parse(await readFile(path, 'utf8'));
    expect(doc.marks[w.tool.name].serial).toBe(T0 + 1000);
    expect(T0 + 1000).toBeGreaterThan(0xffffffff);
    await store.remove!(w.tool.name, recordId(r2));
    expect(await outcomeOf(client().resolve(w.tool.name))).toBe('ERR_KEY_ROLLBACK');
  });

  it('a mark the store cannot give back well-formed fails every resolve, never forgotten', async () => {
    const w = await makeWorld();
    const { store } = await rotated(w);
    for (const bad of [{ serial: -1, notAfter: S0 }, { serial: 2 }, null]) {
      const custom: RollbackStore = {
        load: async () => [[w.tool.name, bad as unknown as RollbackMark]],
        save: async () => undefined,
      };
      const d = createDirectory({ store, trust: w.policy, now: () => T0, rollbackStore: custom });
      expect(await outcomeOf(d.resolve(w.tool.name))).toBe('ERR_INVALID_ARGUMENT');
    }
  });

  it('a record slipped in with a leaked signing key stops counting once that key is revoked for compromise', async () => {
    const w = await makeWorld();
    // The tool's second certified signing key (Mallory's keys under the tool's name) leaks.
    const leaked = w.mallory;
    const [cert1, k1] = await w.recordsOf(w.tool, { serial: 1, notAfter: S0 + 7 * 86_400 });
    const cert2 = await certifyIdentity(w.anchor, leaked, {
      now: T0,
      notBefore: S0 - 60,
      notAfter: S0 + 365 * 86_400,
      serial: 2,
    });
    const injected = await createEncryptionKeyRecord(leaked, leaked.encryption, {
      now: T0,
      notBefore: S0,
      notAfter: 0xffffffff, // the attacker's choice: the year 2106
      serial: 1e15,
    });
    const store = createMemoryStore();
    for (const r of [cert1!, k1!, cert2, injected]) await store.put(w.tool.name, r);
    const path = join(dir, 'rollback.json');
    const client = () =>
      createDirectory({
        store,
        trust: w.policy,
        now: () => T0,
        rollbackStore: createFileRollbackStore(path),
      });
    expect((await client().resolveRecipient(w.tool.name)).kid).toBe(leaked.encryption.kid);
    const doc = JSON.parse(await readFile(path, 'utf8'));
    expect(doc.marks[w.tool.name]).toEqual({
      serial: 1e15,
      notAfter: 0xffffffff,
      issuerKid: leaked.signing.kid,
    });

    // The store withholds the injected record again and the owner publishes a fresh key.
    await store.remove!(w.tool.name, recordId(injected));
    const fresh = await generateEncryptionKey();
    await store.put(
      w.tool.name,
      await createEncryptionKeyRecord(w.tool, fresh, {
        now: T0,
        notBefore: S0,
        notAfter: S0 + 86_400,
        serial: 2,
      }),
    );
    // Until the leaked key is revoked, that is a rollback (a restarted client too) ...
    expect(await outcomeOf(client().resolve(w.tool.name))).toBe('ERR_KEY_ROLLBACK');
    // ... and once the anchor revokes it for compromise, its record no longer counts.
    await store.put(
      w.tool.name,
      await createRevocation(
        w.anchor,
        { name: w.tool.name, kid: leaked.signing.kid, reason: 'compromise' },
        { now: T0 },
      ),
    );
    expect((await client().resolveRecipient(w.tool.name)).kid).toBe(fresh.kid);
  });

  it("two processes sharing the file keep each other's marks, and none is lowered", async () => {
    const path = join(dir, 'rollback.json');
    const a = createFileRollbackStore(path, { now: () => T0 });
    const b = createFileRollbackStore(path, { now: () => T0 });
    const mark = (serial: number) => ({ serial, notAfter: S0 + 86_400 });
    await a.load();
    await b.load(); // both read the file before either saved
    await a.save('spiffe://acme.example/x', mark(5));
    await b.save('spiffe://acme.example/y', mark(7)); // b's write keeps a's mark
    await b.save('spiffe://acme.example/x', mark(3)); // lower than on disk: not written
    await Promise.all([
      a.save('spiffe://acme.example/z', mark(1)),
      b.save('spiffe://acme.example/w', mark(2)),
    ]);
    const doc = JSON.parse(await readFile(path, 'utf8'));
    expect(doc.marks).toEqual({
      'spiffe://acme.example/w': mark(2),
      'spiffe://acme.example/x': mark(5),
      'spiffe://acme.example/y': mark(7),
      'spiffe://acme.example/z': mark(1),
    });
  });

  it('marks only rise, and saves from one process are serialised', async () => {
    const path = join(dir, 'r.json');
    const s = createFileRollbackStore(path, { now: () => 0 }); // so that these times are live
    await Promise.all([
      s.save('spiffe://a/x', { serial: 5, notAfter: 100 }),
      s.save('spiffe://a/x', { serial: 3, notAfter: 200 }),
      s.save('spiffe://a/y', { serial: 1, notAfter: 300 }),
      s.save('spiffe://a/x', { serial: 7, notAfter: 400 }),
    ]);
    const again = createFileRollbackStore(path);
    expect(new Map(await again.load())).toEqual(
      new Map([
        ['spiffe://a/x', { serial: 7, notAfter: 400 }],
        ['spiffe://a/y', { serial: 1, notAfter: 300 }],
      ]),
    );
    await expect(s.save('spiffe://a/x', { serial: -1, notAfter: 0 })).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
    });
  });

  it('a corrupt state file is refused, not reset: every resolve fails and the file is kept', async () => {
    const w = await makeWorld();
    const { store } = await rotated(w);
    const path = join(dir, 'rollback.json');
    for (const text of ['{"v":1,"marks":{"x":{"serial":"2"}}}', 'not json', '{"v":2,"marks":{}}']) {
      await writeFile(path, text);
      const d = createDirectory({
        store,
        trust: w.policy,
        now: () => T0,
        rollbackStore: createFileRollbackStore(path),
      });
      expect(await outcomeOf(d.resolve(w.tool.name))).toBe('ERR_INVALID_ARGUMENT');
      expect(await outcomeOf(d.resolve(w.tool.name))).toBe('ERR_INVALID_ARGUMENT'); // retried, still refused
      expect(await readFile(path, 'utf8')).toBe(text);
    }
  });

  it('fails closed: a mark that cannot be saved fails the resolve with ERR_TRANSPORT', async () => {
    const w = await makeWorld();
    const { store } = await rotated(w);
    const d = createDirectory({
      store,
      trust: w.policy,
      now: () => T0,
      rollbackStore: createFileRollbackStore(join(dir, 'missing-dir', 'rollback.json')),
    });
    expect(await outcomeOf(d.resolve(w.tool.name))).toBe('ERR_TRANSPORT');
  });

  it('any RollbackStore plugs in: marks are loaded once and saved only when they rise', async () => {
    const w = await makeWorld();
    const { store, next } = await rotated(w);
    const calls: string[] = [];
    const custom: RollbackStore = {
      async load() {
        calls.push('load');
        return [];
      },
      async save(name, mark) {
        calls.push(`save ${name} ${mark.serial}`);
      },
    };
    const d = createDirectory({ store, trust: w.policy, now: () => T0, rollbackStore: custom });
    expect((await d.resolveRecipient(w.tool.name)).kid).toBe(next.kid);
    d.invalidate();
    await d.resolve(w.tool.name);
    expect(calls).toEqual(['load', `save ${w.tool.name} 2`]);
    expect(() =>
      createDirectory({ store, trust: w.policy, rollbackStore: {} as RollbackStore }),
    ).toThrow(/"rollbackStore"/);
  });

  it('a write that failed is not remembered: saving the same mark again writes it', async () => {
    const path = join(dir, 'later', 'r.json');
    const s = createFileRollbackStore(path);
    const mark = { serial: 2, notAfter: S0 + 86_400 };
    expect(await outcomeOf(s.save('spiffe://a/x', mark))).toBe('ERR_TRANSPORT');
    await mkdir(join(dir, 'later'));
    await s.save('spiffe://a/x', mark);
    expect(JSON.parse(await readFile(path, 'utf8')).marks).toEqual({ 'spiffe://a/x': mark });
  });
});

describe('createFileRollbackStore: size', () => {
  it('a save prunes marks whose record expired more than the maximum skew (86 400 s) ago', async () => {
    const path = join(dir, 'r.json');
    const clock = createClock(T0);
    const s = createFileRollbackStore(path, { now: clock.now });
    await s.save('spiffe://a/gone', { serial: 1, notAfter: S0 });
    await s.save('spiffe://a/edge', { serial: 1, notAfter: S0 + 1 });
    await s.save('spiffe://a/live', { serial: 1, notAfter: S0 + 86_400 });
    clock.set((S0 + 86_401) * 1000);
    await s.save('spiffe://a/new', { serial: 3, notAfter: S0 + 2 * 86_400 });
    const marks = JSON.parse(await readFile(path, 'utf8')).marks;
    expect(Object.keys(marks)).toEqual(['spiffe://a/edge', 'spiffe://a/live', 'spiffe://a/new']);
    expect(new Map(await createFileRollbackStore(path).load()).has('spiffe://a/gone')).toBe(false);
    expect(() => createFileRollbackStore(path, { now: 5 as unknown as () => number })).toThrow(
      /"now"/,
    );
  });

  it('refuses to write a file over 16 MiB (ERR_LIMIT_EXCEEDED), keeps the old one, and the resolve fails closed', async () => {
    const path = join(dir, 'r.json');
    const cap = 16 * 1024 * 1024;
    const name = (i: number, longer = 0) =>
      `spiffe://partner.example/${String(i).padStart(890 + longer, '0')}`;
    const live = { serial: 1, notAfter: S0 + 86_400 };
    const text = (names: string[]) =>
      JSON.stringify({ v: 1, marks: Object.fromEntries(names.map((x) => [x, live])) }, null, 2) +
      '\n';
    // As many live marks as fit, then names a little longer, until the file is
    // within 20 bytes of the cap: any further mark would pass it.
    const one = text([name(0)]).length;
    const per = text([name(0), name(1)]).length - one;
    const names = Array.from({ length: 1 + Math.floor((cap - one) / per) }, (_, i) => name(i));
    let slack = cap - text(names).length;
    for (let i = 0; slack > 20; i++) {
      const add = Math.min(100, slack - 20);
      names[i] = name(i, add);
      slack -= add;
    }
    const full = text(names);
    expect(cap - full.length).toBeGreaterThanOrEqual(0);
    expect(cap - full.length).toBeLessThanOrEqual(20);
    await writeFile(path, full, { mode: 0o600 });

    const s = createFileRollbackStore(path, { now: () => T0 });
    const e = await s.save(name(names.length), live).then(
      () => ({ code: 'resolved', message: '' }),
      (x: { code: string; message: string }) => x,
    );
    expect(e.code).toBe('ERR_LIMIT_EXCEEDED');
    expect(e.message).toMatch(/16777216 bytes/);
    expect(await readFile(path, 'utf8')).toBe(full);

    const w = await makeWorld();
    const { store } = await rotated(w);
    const d = createDirectory({
      store,
      trust: w.policy,
      now: () => T0,
      rollbackStore: createFileRollbackStore(path, { now: () => T0 }),
    });
    expect(await outcomeOf(d.resolve(w.tool.name))).toBe('ERR_LIMIT_EXCEEDED');
  }, 60_000);

  it('a larger file written by an older version (no pruning) still loads, and the next save prunes it', async () => {
    const path = join(dir, 'r.json');
    const marks: Record<string, RollbackMark> = {};
    for (let i = 0; i < 17_000; i++)
      marks[`spiffe://partner.example/${String(i).padStart(975, 'x')}`] = {
        serial: 1,
        notAfter: 1,
      };
    await writeFile(path, JSON.stringify({ v: 1, marks }, null, 2) + '\n', { mode: 0o600 });
    expect((await stat(path)).size).toBeGreaterThan(16 * 1024 * 1024);

    const w = await makeWorld();
    const { store, next } = await rotated(w);
    const d = createDirectory({
      store,
      trust: w.policy,
      now: () => T0,
      rollbackStore: createFileRollbackStore(path, { now: () => T0 }),
    });
    expect((await d.resolveRecipient(w.tool.name)).kid).toBe(next.kid);
    expect(JSON.parse(await readFile(path, 'utf8')).marks).toEqual({
      [w.tool.name]: { serial: 2, notAfter: S0 + 86_400, issuerKid: w.tool.signing.kid },
    });
  }, 60_000);
});
