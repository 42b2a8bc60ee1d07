import { randomBytes } from 'node:crypto';
import { chmod, copyFile, mkdtemp, open, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { rejection } from '@blindwire/testkit';
import { toBase64url, toHex } from '@blindwire/core';
import type { PrivateKeyStore, StoredKey } from '../src/keys/key-store.js';
import { createMemoryKeyStore } from '../src/keys/memory-key-store.js';
import { createFileKeyStore } from '../src/keys/file-key-store.js';

let n = 0;
function key(): StoredKey {
  n++;
  return {
    kid: `kid-${n}-${randomBytes(4).toString('hex')}`,
    publicKey: new Uint8Array(randomBytes(32)),
    privateKey: new Uint8Array(randomBytes(32)),
    notBefore: 1_700_000_000 + n,
    notAfter: 1_700_086_400 + n,
    createdAt: 1_699_999_000 + n,
  };
}

/** Every spelling of the private key that a careless writer might leave in a file. */
function spellings(b: Uint8Array): string[] {
  return [
    toBase64url(b),
    toHex(b),
    toHex(b).toUpperCase(),
    Buffer.from(b).toString('base64').replace(/=+$/, ''),
  ];
}

/** The behaviour every PrivateKeyStore shares. */
async function roundTrip(s: PrivateKeyStore): Promise<void> {
  const [k1, k2] = [key(), key()];
  await s.put(k2);
  await s.put(k1);
  expect(await s.list()).toEqual([k1, k2]); // oldest createdAt first
  const listed = await s.list();
  listed[0]!.privateKey.fill(0); // copies: the caller may wipe what it got
  expect((await s.list())[0]).toEqual(k1);
  await s.delete(k1.kid);
  await s.delete('absent'); // no-op
  expect(await s.list()).toEqual([k2]);
  const k2b = { ...key(), kid: k2.kid };
  await s.put(k2b); // same kid: replaced
  expect(await s.list()).toEqual([k2b]);
}

describe('memory key store', () => {
  it('round trips, copies, deletes and replaces by kid', async () => {
    await roundTrip(createMemoryKeyStore());
  });

  it('checks every field and names it', async () => {
    const s = createMemoryKeyStore();
    const cases: [Partial<Record<keyof StoredKey, unknown>>, RegExp][] = [
      [{ kid: '' }, /"key\.kid"/],
      [{ publicKey: 'abc' }, /"key\.publicKey"/],
      [{ privateKey: new Uint8Array(0) }, /"key\.privateKey"/],
      [{ notBefore: 1.5 }, /"key\.notBefore"/],
      [{ createdAt: -1 }, /"key\.createdAt"/],
      [{ notBefore: 10, notAfter: 9 }, /"key\.notAfter"/],
    ];
    for (const [patch, msg] of cases) {
      const e = await rejection(s.put({ ...key(), ...patch } as StoredKey));
      expect(e.code).toBe('ERR_INVALID_ARGUMENT');
      expect(e.message).toMatch(msg);
    }
  });
});

describe('the signed record kept with a key', () => {
  const withRecord = (): StoredKey => ({ ...key(), record: new Uint8Array(randomBytes(200)) });

  it('is optional, copied, and checked', async () => {
    const s = createMemoryKeyStore();
    const k = withRecord();
    await s.put(k);
    const [listed] = await s.list();
    expect(listed).toEqual(k);
    expect(listed!.record).not.toBe(k.record); // a copy
    for (const record of ['abc', new Uint8Array(0), new Uint8Array(4097)]) {
      const e = await rejection(s.put({ ...key(), record } as StoredKey));
      expect(e.code).toBe('ERR_INVALID_ARGUMENT');
      expect(e.message).toMatch(/"key\.record"/);
    }
  });

  it('round trips through the file store, plain and sealed, and sits in the file as base64url', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bw-keystore-'));
    try {
      for (const passphrase of [undefined, 'pw']) {
        const path = join(dir, `keys-${passphrase ?? 'plain'}.json`);
        const s = await createFileKeyStore(path, { passphrase });
        const [k1, k2] = [withRecord(), key()];
        await s.put(k1);
        await s.put(k2);
        const doc = JSON.parse(await readFile(path, 'utf8'));
        expect(doc.keys[0].record).toBe(toBase64url(k1.record!));
        expect(doc.keys[1].record).toBeUndefined();
        await s.close();
        expect(await (await createFileKeyStore(path, { passphrase })).list()).toEqual([k1, k2]);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('is covered by the AAD of a sealed key: changed, removed or added, the file is ERR_OPEN_FAILED', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bw-keystore-'));
    try {
      const path = join(dir, 'keys.json');
      const s = await createFileKeyStore(path, { passphrase: 'pw' });
      await s.put(withRecord());
      await s.put(key());
      const original = await readFile(path, 'utf8');
      const other = toBase64url(new Uint8Array(randomBytes(200)));
      for (const tamper of [
        (d: { keys: { record?: string }[] }) => (d.keys[0]!.record = other),
        (d: { keys: { record?: string }[] }) => delete d.keys[0]!.record,
        (d: { keys: { record?: string }[] }) => (d.keys[1]!.record = other),
      ]) {
        const d = JSON.parse(original);
        tamper(d);
        await writeFile(path, JSON.stringify(d), { mode: 0o600 });
        expect(await rejection(createFileKeyStore(path, { passphrase: 'pw' }))).toMatchObject({
          code: 'ERR_OPEN_FAILED',
        });
      }
      await writeFile(path, original.replace(/"record": "[^"]*"/, '"record": 5'), { mode: 0o600 });
      expect(await rejection(createFileKeyStore(path, { passphrase: 'pw' }))).toMatchObject({
        code: 'ERR_TRANSPORT',
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('files written by older versions (no record) still open, plain and sealed', async () => {
    const fixtures = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
    const dir = await mkdtemp(join(tmpdir(), 'bw-keystore-'));
    try {
      for (const [file, passphrase] of [
        ['keystore-v1-plain.json', undefined],
        ['keystore-v1-sealed.json', 'old passphrase'],
      ] as const) {
        const path = join(dir, file);
        await copyFile(join(fixtures, file), path);
        await chmod(path, 0o600);
        const s = await createFileKeyStore(path, { passphrase });
        const keys = await s.list();
        expect(keys.map((k) => [k.kid, k.privateKey[0], k.record])).toEqual([
          ['old-kid-1', 101, undefined],
          ['old-kid-2', 102, undefined],
        ]);
        await s.put({ ...keys[0]!, record: new Uint8Array([1, 2, 3]) }); // and take a record later
        expect((await (await createFileKeyStore(path, { passphrase })).list())[0]!.record).toEqual(
          new Uint8Array([1, 2, 3]),
        );
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('file key store', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bw-keystore-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('round trips across reopen, without a passphrase', async () => {
    const path = join(dir, 'keys.json');
    const s = await createFileKeyStore(path);
    expect(s.encrypted).toBe(false);
    await roundTrip(s);
    const want = await s.list();
    await s.close();
    expect(await (await createFileKeyStore(path)).list()).toEqual(want);
  });

  it('creates the file 0600 and a missing directory 0700', async () => {
    const path = join(dir, 'nested', 'deeper', 'keys.json');
    const s = await createFileKeyStore(path);
    await s.put(key());
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'nested'))).mode & 0o777).toBe(0o700);
    expect((await stat(join(dir, 'nested', 'deeper'))).mode & 0o777).toBe(0o700);
  });

  it('refuses to open a file that group or others can read', async () => {
    const path = join(dir, 'keys.json');
    await (await createFileKeyStore(path)).put(key());
    for (const mode of [0o644, 0o640, 0o604]) {
      await chmod(path, mode);
      const e = await rejection(createFileKeyStore(path));
      expect(e.code).toBe('ERR_INVALID_ARGUMENT');
      expect(e.message).toContain(`got 0${mode.toString(8)}`);
    }
    await chmod(path, 0o600);
    expect(await (await createFileKeyStore(path)).list()).toHaveLength(1);
  });

  it('round trips with a passphrase, and the private key bytes never reach the file', async () => {
    const path = join(dir, 'keys.json');
    const s = await createFileKeyStore(path, { passphrase: 'correct horse battery staple' });
    expect(s.encrypted).toBe(true);
    const [k1, k2] = [key(), key()];
    await s.put(k1);
    await s.put(k2);
    const text = await readFile(path, 'utf8');
    for (const k of [k1, k2]) {
      for (const sp of spellings(k.privateKey)) expect(text).not.toContain(sp);
      expect(text).toContain(toBase64url(k.publicKey)); // public half stays readable
    }
    const doc = JSON.parse(text);
    expect(doc.encryption).toMatchObject({
      kdf: 'scrypt',
      N: 2 ** 17,
      r: 8,
      p: 1,
      aead: 'xchacha20-poly1305',
    });
    expect(doc.keys[0].privateKey).toBeUndefined();

    const bytesPass = new TextEncoder().encode('correct horse battery staple');
    const reopened = await createFileKeyStore(path, { passphrase: bytesPass });
    expect(await reopened.list()).toEqual([k1, k2]);
  });

  it('a wrong passphrase is ERR_OPEN_FAILED, even for an empty store', async () => {
    const path = join(dir, 'keys.json');
    await createFileKeyStore(path, { passphrase: 'right' });
    expect(await rejection(createFileKeyStore(path, { passphrase: 'wrong' }))).toMatchObject({
      code: 'ERR_OPEN_FAILED',
    });
    await (await createFileKeyStore(path, { passphrase: 'right' })).put(key());
    expect(await rejection(createFileKeyStore(path, { passphrase: 'wrong' }))).toMatchObject({
      code: 'ERR_OPEN_FAILED',
    });
  });

  it('a sealed key moved to another kid or re-dated is ERR_OPEN_FAILED', async () => {
    const path = join(dir, 'keys.json');
    const s = await createFileKeyStore(path, { passphrase: 'pw' });
    await s.put(key());
    await s.put(key());
    const doc = JSON.parse(await readFile(path, 'utf8'));
    const original = JSON.stringify(doc);
    for (const tamper of [
      (d: typeof doc) =>
        ([d.keys[0].sealedPrivateKey, d.keys[1].sealedPrivateKey] = [
          d.keys[1].sealedPrivateKey,
          d.keys[0].sealedPrivateKey,
        ]),
      (d: typeof doc) => (d.keys[0].notAfter += 86_400),
      (d: typeof doc) => (d.keys[0].kid = 'kid-other'),
    ]) {
      const d = JSON.parse(original);
      tamper(d);
      await writeFile(path, JSON.stringify(d), { mode: 0o600 });
      expect(await rejection(createFileKeyStore(path, { passphrase: 'pw' }))).toMatchObject({
        code: 'ERR_OPEN_FAILED',
      });
    }
  });

  it('asks for the passphrase an encrypted file needs, and refuses one a plain file does not use', async () => {
    const enc = join(dir, 'enc.json');
    const plain = join(dir, 'plain.json');
    await createFileKeyStore(enc, { passphrase: 'pw' });
    await createFileKeyStore(plain);
    expect(await rejection(createFileKeyStore(enc))).toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
    });
    expect(await rejection(createFileKeyStore(plain, { passphrase: 'pw' }))).toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
    });
    expect(await rejection(createFileKeyStore(plain, { passphrase: '' }))).toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
    });
  });

  it('a malformed file is ERR_TRANSPORT, not a crash', async () => {
    const path = join(dir, 'keys.json');
    for (const text of [
      '{',
      '{"v":2}',
      '{"v":1,"encryption":null,"keys":{}}',
      '{"v":1,"encryption":null,"keys":[{"kid":"k"}]}',
    ]) {
      await writeFile(path, text, { mode: 0o600 });
      expect(await rejection(createFileKeyStore(path))).toMatchObject({ code: 'ERR_TRANSPORT' });
    }
  });

  it('delete removes the key from disk (plain and sealed)', async () => {
    for (const passphrase of [undefined, 'pw']) {
      const path = join(dir, `keys-${passphrase ?? 'plain'}.json`);
      const s = await createFileKeyStore(path, { passphrase });
      const [k1, k2] = [key(), key()];
      await s.put(k1);
      await s.put(k2);
      if (!passphrase) expect(await readFile(path, 'utf8')).toContain(toBase64url(k1.privateKey));
      await s.delete(k1.kid);
      const text = await readFile(path, 'utf8');
      expect(text).not.toContain(k1.kid);
      expect(text).not.toContain(toBase64url(k1.publicKey));
      for (const sp of spellings(k1.privateKey)) expect(text).not.toContain(sp);
      expect(text).toContain(k2.kid);
      expect((await stat(path)).mode & 0o777).toBe(0o600);
      const reopened = await createFileKeyStore(path, { passphrase });
      expect(await reopened.list()).toEqual([k2]);
    }
  });

  it('delete zeroes the replaced file through a descriptor, not only unlinks it', async () => {
    const path = join(dir, 'keys.json');
    const s = await createFileKeyStore(path);
    const k = key();
    await s.put(k);
    const before = await open(path, 'r'); // a reader holding the old version, as a disk would
    try {
      const size = (await before.stat()).size;
      await s.delete(k.kid);
      const { buffer } = await before.read(Buffer.alloc(size), 0, size, 0);
      expect(buffer.every((b) => b === 0)).toBe(true);
    } finally {
      await before.close();
    }
  });

  it('two processes on one file lose nothing: each write re-reads the file under a lock', async () => {
    for (const passphrase of [undefined, 'correct horse']) {
      const path = join(dir, `shared-${passphrase ? 'sealed' : 'plain'}.json`);
      const a = await createFileKeyStore(path, { passphrase });
      const b = await createFileKeyStore(path, { passphrase });
      const [k1, k2, k3] = [key(), key(), key()];
      await a.put(k1);
      await b.put(k2); // b read the file before k1 was added
      expect((await a.list()).map((k) => k.kid)).toEqual([k1.kid, k2.kid]);
      await b.delete(k1.kid); // a compromise erased by another process...
      await a.put(k3); // ...is not brought back by a's next write
      const onDisk = await createFileKeyStore(path, { passphrase });
      expect((await onDisk.list()).map((k) => k.kid)).toEqual([k2.kid, k3.kid]);
      // Writes at the same time from both sides: every one lands.
      const many = Array.from({ length: 8 }, () => key());
      await Promise.all(many.map((k, i) => (i % 2 ? a : b).put(k)));
      expect((await onDisk.list()).map((k) => k.kid).sort()).toEqual(
        [k2, k3, ...many].map((k) => k.kid).sort(),
      );
      for (const s of [a, b, onDisk]) await s.close();
    }
  });

  it("waits for another writer's lock, and breaks one left behind by a crash", async () => {
    const path = join(dir, 'keys.json');
    const s = await createFileKeyStore(path);
    const lock = `${path}.lock`;
    await writeFile(lock, '12345\n'); // held by someone else, fresh
    const k = key();
    const put = s.put(k);
    await new Promise((r) => setTimeout(r, 150));
    expect(await readFile(path, 'utf8')).not.toContain(k.kid); // still waiting
    await rm(lock);
    await put;
    expect((await s.list()).map((x) => x.kid)).toEqual([k.kid]);
    // A lock whose mtime is long past (its writer crashed) is broken at once.
    await writeFile(lock, '12345\n');
    const old = new Date(Date.now() - 60_000);
    const { utimes } = await import('node:fs/promises');
    await utimes(lock, old, old);
    await s.delete(k.kid);
    expect(await s.list()).toEqual([]);
    await expect(stat(lock)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('many writers meeting a lock left by a crash: exactly one breaks it, and no write is lost', async () => {
    const { utimes } = await import('node:fs/promises');
    for (let round = 0; round < 30; round++) {
      const path = join(dir, `race-${round}.json`);
      await (await createFileKeyStore(path)).close();
      const stores = await Promise.all(Array.from({ length: 8 }, () => createFileKeyStore(path)));
      await writeFile(`${path}.lock`, '1\n');
      const old = new Date(Date.now() - 60_000);
      await utimes(`${path}.lock`, old, old);
      const ks = stores.map(() => key());
      await Promise.all(stores.map((st, i) => st.put(ks[i]!)));
      const onDisk = JSON.parse(await readFile(path, 'utf8')).keys.map(
        (k: { kid: string }) => k.kid,
      );
      expect(onDisk.sort(), `round ${round}`).toEqual(ks.map((k) => k.kid).sort());
      for (const st of stores) await st.close();
    }
  });

  it("opening and listing wait for a writer's lock too (a writer overwrites what it replaced)", async () => {
    const path = join(dir, 'keys.json');
    const s = await createFileKeyStore(path);
    await writeFile(`${path}.lock`, '12345\n');
    let listed = false;
    let opened = false;
    const listing = s.list().then(() => (listed = true));
    const opening = createFileKeyStore(path).then((o) => ((opened = true), o));
    await new Promise((r) => setTimeout(r, 150));
    expect([listed, opened]).toEqual([false, false]);
    await rm(`${path}.lock`);
    await listing;
    await (await opening).close();
  });

  it('is unusable after close', async () => {
    const s = await createFileKeyStore(join(dir, 'keys.json'));
    await s.close();
    expect(await rejection(s.list())).toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
  });
});
