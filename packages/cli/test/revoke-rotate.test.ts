/**
 * After a compromised encryption key is revoked (and erased from the key
 * store), the next `key rotate` must not put it back from the identity file:
 * it publishes a fresh key, the identity file takes that key, and senders
 * switch to it once its propagation delay has passed.
 */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { sandbox, type Sandbox } from './helpers/cli.js';

const NAME = 'spiffe://acme.example/agents/p';
const T0 = 1_795_500_000;
let sb: Sandbox;
beforeAll(async () => {
  sb = await sandbox();
});
afterAll(async () => {
  await sb.remove();
});

interface Rotation {
  seeded: string | null;
  rotated: { kid: string; notBefore: number } | null;
  revoked: string | null;
  erased: string[];
  identityKey: string | null;
  identityKeyPlaceholder: boolean | null;
  keys: { kid: string; notAfter: number }[];
}

it('revoke --reason compromise, then key rotate: a fresh key, never the revoked one', async () => {
  const store = ['--store', 'file:dir.json'];
  const at = (t: number) => ['--now', String(t)];
  await sb.ok(['anchor', 'create', 'root', '--out', 'a.json', '--public-out', 'a-pub.json']);
  await sb.ok([
    'identity',
    'create',
    NAME,
    '--anchor',
    'a.json',
    '--out',
    'p.json',
    ...store,
    ...at(T0),
  ]);
  const first: string = JSON.parse(await readFile(sb.path('p.json'), 'utf8')).encryption.kid;
  const rotate = ['key', 'rotate', '--identity', 'p.json', '--keystore', 'ks.json', ...store];

  const seeded = await sb.json<Rotation>([...rotate, ...at(T0 + 60)]);
  expect(seeded.seeded).toBe(first);
  const { notAfter } = seeded.keys.find((k) => k.kid === first)!;
  const revoke = await sb.ok([
    'revoke',
    '--identity',
    'p.json',
    '--kid',
    first,
    '--reason',
    'compromise',
    '--keystore',
    'ks.json',
    '--retention',
    '2h', // the rotator's
    ...store,
    ...at(T0 + 120),
  ]);
  expect(revoke.stdout).toContain(`erased private key ${first}`);
  // A tombstone stays for the erased key, so queued messages fail ERR_KEY_REVOKED,
  // until its not-after plus the rotator's retention.
  const ks = JSON.parse(await readFile(sb.path('ks.json'), 'utf8'));
  expect(ks.revoked).toEqual([{ kid: first, until: notAfter + 7200 }]);

  const next = await sb.json<Rotation>([...rotate, ...at(T0 + 180)]);
  expect(next.seeded).toBeNull(); // the revoked key is not handed back to the key store
  expect(next.rotated).not.toBeNull();
  expect(next.rotated!.kid).not.toBe(first);
  expect(next.identityKey).toBe(next.rotated!.kid);
  const file = JSON.parse(await readFile(sb.path('p.json'), 'utf8'));
  expect(file.encryption.kid).toBe(next.rotated!.kid);

  const resolve = ['directory', 'resolve', NAME, ...store, '--anchor', 'a-pub.json'];
  const now = await sb.cli([...resolve, ...at(next.rotated!.notBefore + 1)]);
  expect(now.code).toBe(0);
  expect(
    JSON.parse(
      (await sb.ok([...resolve, ...at(next.rotated!.notBefore + 1), '--json'])).stdout,
    ).keys.map((k: { kid: string }) => k.kid),
  ).toEqual([next.rotated!.kid]);
});

it('a key the anchor revoked is replaced by the next key rotate at once (with --anchor), usable at once', async () => {
  const store = ['--store', 'file:dir2.json'];
  const at = (t: number) => ['--now', String(t)];
  const NAME2 = 'spiffe://acme.example/agents/q';
  await sb.ok([
    'identity',
    'create',
    NAME2,
    '--anchor',
    'a.json',
    '--out',
    'q.json',
    ...store,
    ...at(T0),
  ]);
  const rotate = ['key', 'rotate', '--identity', 'q.json', '--keystore', 'ks2.json', ...store];
  const first = await sb.json<Rotation>([...rotate, ...at(T0 + 60)]);
  expect(first.seeded).not.toBeNull();
  expect(first.rotated).toBeNull(); // not due yet
  // The anchor revokes the identity's only key; the key store still holds it.
  await sb.ok([
    'revoke',
    '--name',
    NAME2,
    '--kid',
    first.seeded!,
    '--reason',
    'compromise',
    '--anchor',
    'a.json',
    ...store,
    ...at(T0 + 120),
  ]);
  // Without --anchor, an anchor-signed revocation is not seen: nothing to do yet.
  const blind = await sb.json<Rotation>([...rotate, ...at(T0 + 180)]);
  expect(blind.revoked).toBeNull();
  expect(blind.rotated).toBeNull();
  // With it, the revoked key is replaced now, usable now (no other key covers the delay).
  const seen = await sb.json<Rotation>([...rotate, '--anchor', 'a-pub.json', ...at(T0 + 240)]);
  expect(seen.revoked).toBe(first.seeded);
  expect(seen.rotated).not.toBeNull();
  expect(seen.rotated!.notBefore).toBe(T0 + 240);
  const resolved = JSON.parse(
    (
      await sb.ok([
        'directory',
        'resolve',
        NAME2,
        ...store,
        '--anchor',
        'a-pub.json',
        ...at(T0 + 241),
        '--json',
      ])
    ).stdout,
  );
  expect(resolved.keys.map((k: { kid: string }) => k.kid)).toEqual([seen.rotated!.kid]);
});

it('an unverified revocation or another store never costs the identity its key (no seed skip, no rewrite)', async () => {
  const at = (t: number) => ['--now', String(t)];
  const NAME3 = 'spiffe://acme.example/agents/r';
  await sb.ok([
    'identity',
    'create',
    NAME3,
    '--anchor',
    'a.json',
    '--out',
    'r.json',
    '--store',
    'file:dir3.json',
    ...at(T0),
  ]);
  const before = await readFile(sb.path('r.json'), 'utf8');
  const kid: string = JSON.parse(before).encryption.kid;
  // A root nobody configured (what anyone with write access to a shared store can make) "revokes" it.
  await sb.ok(['anchor', 'create', 'mallory', '--out', 'm.json']);
  await sb.ok([
    'revoke',
    '--name',
    NAME3,
    '--kid',
    kid,
    '--reason',
    'compromise',
    '--anchor',
    'm.json',
    '--store',
    'file:dir3.json',
    ...at(T0 + 30),
  ]);
  const r = await sb.json<Rotation>([
    'key',
    'rotate',
    '--identity',
    'r.json',
    '--keystore',
    'ks3.json',
    '--store',
    'file:dir3.json',
    '--anchor',
    'a-pub.json',
    ...at(T0 + 60),
  ]);
  expect(r.seeded).toBe(kid); // taken over: the forged revocation does not verify
  expect(r.identityKey).toBeNull();
  expect(await readFile(sb.path('r.json'), 'utf8')).toBe(before);
  // A store that does not hold the key's record: nothing is seeded, a key is
  // published there, and the identity file keeps the key senders elsewhere use.
  const other = await sb.json<Rotation>([
    'key',
    'rotate',
    '--identity',
    'r.json',
    '--keystore',
    'ks4.json',
    '--store',
    'file:other.json',
    ...at(T0 + 60),
  ]);
  expect(other.seeded).toBeNull();
  expect(other.rotated).not.toBeNull();
  expect(other.identityKey).toBeNull();
  expect(await readFile(sb.path('r.json'), 'utf8')).toBe(before);
});

it('the identity file is rewritten before its key is erased: a failed write erases nothing, the next run finishes', async (ctx) => {
  const { execFileSync } = await import('node:child_process');
  const { mkdir } = await import('node:fs/promises');
  const at = (t: number) => ['--now', String(t)];
  const NAME4 = 'spiffe://acme.example/agents/s';
  await mkdir(sb.path('id'));
  await sb.ok([
    'identity',
    'create',
    NAME4,
    '--anchor',
    'a.json',
    '--out',
    'id/s.json',
    '--store',
    'file:dir5.json',
    ...at(T0),
  ]);
  const secret: string = JSON.parse(await readFile(sb.path('id/s.json'), 'utf8')).encryption.secret;
  const kid: string = JSON.parse(await readFile(sb.path('id/s.json'), 'utf8')).encryption.kid;
  const rotate = [
    'key',
    'rotate',
    '--identity',
    'id/s.json',
    '--keystore',
    'ks5.json',
    '--store',
    'file:dir5.json',
    '--retention',
    '3600',
  ];
  expect((await sb.json<Rotation>([...rotate, ...at(T0 + 60)])).seeded).toBe(kid);
  const late = T0 + 86_400 + 3700; // the first key expired a day after T0; retention 1 h
  try {
    execFileSync('chattr', ['+i', sb.path('id')], { stdio: 'ignore' }); // writes into id/ now fail
  } catch {
    ctx.skip(); // chattr needs root and a filesystem that supports it
  }
  try {
    const failed = await sb.cli([...rotate, ...at(late)]);
    expect(failed.code).toBe(1);
    const held = JSON.parse(await readFile(sb.path('ks5.json'), 'utf8')).keys.map(
      (k: { kid: string }) => k.kid,
    );
    expect(held).toContain(kid); // not erased: the identity file could not be rewritten first
  } finally {
    execFileSync('chattr', ['-i', sb.path('id')], { stdio: 'ignore' });
  }
  const done = await sb.json<Rotation>([...rotate, ...at(late + 60)]);
  expect(done.erased).toContain(kid);
  expect(done.identityKey).not.toBeNull();
  const file = await readFile(sb.path('id/s.json'), 'utf8');
  expect(file).not.toContain(secret);
  expect(JSON.parse(file).encryption.kid).toBe(done.identityKey);
});

it('key rotate refuses --identity - (stdin): a rewrite would go to a file named "-"', async () => {
  const store = ['--store', 'file:dir6.json'];
  const at = (t: number) => ['--now', String(t)];
  await sb.ok([
    'identity',
    'create',
    'spiffe://acme.example/agents/t',
    '--anchor',
    'a.json',
    '--out',
    't.json',
    ...store,
    ...at(T0),
  ]);
  const rotate = ['key', 'rotate', '--keystore', 'ks6.json', ...store];
  const kid: string = JSON.parse(await readFile(sb.path('t.json'), 'utf8')).encryption.kid;
  expect(
    (await sb.json<Rotation>([...rotate, '--identity', 't.json', ...at(T0 + 60)])).seeded,
  ).toBe(kid);
  await sb.ok([
    'revoke',
    '--identity',
    't.json',
    '--kid',
    kid,
    '--reason',
    'compromise',
    '--keystore',
    'ks6.json',
    ...store,
    ...at(T0 + 120),
  ]);
  // The identity file's key is now compromised and erased: this step would rewrite the file.
  const before = await readFile(sb.path('t.json'), 'utf8');
  const r = await sb.cli([...rotate, '--identity', '-', ...at(T0 + 180)], { stdin: before });
  expect(r.code).toBe(2);
  expect(r.stdout).toBe('');
  expect(r.stderr).toMatch(/^usage error: --identity expected the identity file, not - \(stdin\)/);
  const { readdir } = await import('node:fs/promises');
  expect(await readdir(sb.dir)).not.toContain('-');
  expect(await readFile(sb.path('t.json'), 'utf8')).toBe(before);
  // Nor is '-' a key store: it would become a file named '-' holding private keys.
  const k = await sb.cli(['key', 'rotate', '--identity', 't.json', '--keystore', '-', ...store]);
  expect(k.code).toBe(2);
  expect(k.stderr).toMatch(/^usage error: --keystore expected a key store file, not - \(stdin\)/);
  expect(await readdir(sb.dir)).not.toContain('-');
});

it('revoke --reason compromise --keystore: the key store must exist and hold the key, or nothing is published', async () => {
  const NAME7 = 'spiffe://acme.example/agents/u';
  const store = ['--store', 'file:dir7.json'];
  const at = (t: number) => ['--now', String(t)];
  await sb.ok([
    'identity',
    'create',
    NAME7,
    '--anchor',
    'a.json',
    '--out',
    'u.json',
    ...store,
    ...at(T0),
  ]);
  const kid: string = JSON.parse(await readFile(sb.path('u.json'), 'utf8')).encryption.kid;
  await sb.ok([
    'key',
    'rotate',
    '--identity',
    'u.json',
    '--keystore',
    'ks7.json',
    ...store,
    ...at(T0 + 60),
  ]);
  const records = async () =>
    JSON.parse(await readFile(sb.path('dir7.json'), 'utf8')).records[NAME7].length as number;
  const held = async () =>
    JSON.parse(await readFile(sb.path('ks7.json'), 'utf8')).keys.map((k: { kid: string }) => k.kid);
  const published = await records();
  const revoke = (keystore: string) =>
    sb.cli([
      'revoke',
      '--identity',
      'u.json',
      '--kid',
      kid,
      '--reason',
      'compromise',
      '--keystore',
      keystore,
      ...store,
      ...at(T0 + 120),
    ]);

  // A typo: no empty key store is created, the real one keeps the key, nothing is published.
  const typo = await revoke('ks7-typo.json');
  expect(typo.code).toBe(1);
  expect(typo.stderr).toBe(
    'error ERR_INVALID_ARGUMENT: "--keystore" expected an existing key store file, got ks7-typo.json (ENOENT); nothing was published\n',
  );
  const { readdir } = await import('node:fs/promises');
  expect(await readdir(sb.dir)).not.toContain('ks7-typo.json');
  expect(await held()).toContain(kid);
  expect(await records()).toBe(published);

  // The right one: published and erased.
  const ok = await revoke('ks7.json');
  expect(ok.code).toBe(0);
  expect(ok.stdout).toContain(`erased private key ${kid} from ks7.json`);
  expect(await held()).not.toContain(kid);
  expect(await records()).toBe(published + 1);

  // A key store that does not hold the key (here: already erased) says so, and publishes nothing.
  const again = await revoke('ks7.json');
  expect(again.code).toBe(1);
  expect(again.stderr).toContain(
    `error ERR_KEY_NOT_FOUND: "--keystore" ks7.json does not hold the private key ${kid}, so nothing was published`,
  );
  expect(await records()).toBe(published + 1);
});

it('a key the identity revoked as superseded is still taken over from the identity file', async () => {
  const store = ['--store', 'file:dir8.json'];
  const at = (t: number) => ['--now', String(t)];
  await sb.ok([
    'identity',
    'create',
    'spiffe://acme.example/agents/v',
    '--anchor',
    'a.json',
    '--out',
    'v.json',
    ...store,
    ...at(T0),
  ]);
  const kid: string = JSON.parse(await readFile(sb.path('v.json'), 'utf8')).encryption.kid;
  await sb.ok([
    'revoke',
    '--identity',
    'v.json',
    '--kid',
    kid,
    '--reason',
    'superseded',
    ...store,
    ...at(T0 + 30),
  ]);
  const r = await sb.json<Rotation>([
    'key',
    'rotate',
    '--identity',
    'v.json',
    '--keystore',
    'ks8.json',
    ...store,
    ...at(T0 + 60),
  ]);
  expect(r.seeded).toBe(kid); // messages already sealed to it must still open
  expect(r.revoked).toBe(kid); // and it is replaced at once
  expect(r.rotated).not.toBeNull();
});
