/**
 * SPEC.md §11.4 and §7 step 8: a key erased for compromise leaves a
 * tombstone in the key store (memory and file, persisted compatibly), the
 * rotator hands tombstones to `open` as `revokedKids`, and messages queued to
 * the key answer ERR_KEY_REVOKED, not ERR_KEY_NOT_FOUND; tick() reports the
 * kid that revoke() erased.
 */
import { generateEncryptionKey, open, seal, type OpenOptions } from '@blindwire/core';
import { chmod, copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClock, errorCode } from '@blindwire/testkit';
import { createFileKeyStore } from '../src/keys/file-key-store.js';
import {
  createDirectory,
  createKeyRotator,
  createMemoryKeyStore,
  createMemoryStore,
  createEncryptionKeyRecord,
  type PrivateKeyStore,
} from '../src/index.js';
import { S0, T0, makeWorld } from './helpers/world.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bw-tombstones-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const stores: [string, () => Promise<PrivateKeyStore>][] = [
  ['memory', async () => createMemoryKeyStore()],
  ['file', () => createFileKeyStore(join(dir, `ks-${Math.random()}.json`))],
  [
    'sealed file',
    () => createFileKeyStore(join(dir, `ks-${Math.random()}.json`), { passphrase: 'pw' }),
  ],
];

describe.each(stores)('tombstones in the %s key store', (_, make) => {
  it('add, list, replace, remove; bad ones are ERR_INVALID_ARGUMENT', async () => {
    const s = await make();
    expect(await s.tombstones!()).toEqual([]);
    await s.addTombstone!({ kid: 'a', until: 10 });
    await s.addTombstone!({ kid: 'b', until: 20 });
    await s.addTombstone!({ kid: 'a', until: 30 });
    expect((await s.tombstones!()).sort((x, y) => (x.kid < y.kid ? -1 : 1))).toEqual([
      { kid: 'a', until: 30 },
      { kid: 'b', until: 20 },
    ]);
    await s.removeTombstone!('a');
    await s.removeTombstone!('absent');
    expect(await s.tombstones!()).toEqual([{ kid: 'b', until: 20 }]);
    for (const bad of [
      { kid: '', until: 1 },
      { kid: 'x', until: -1 },
      { kid: 'x', until: 1.5 },
      null,
    ])
      expect(await errorCode(() => s.addTombstone!(bad as never))).toBe('ERR_INVALID_ARGUMENT');
  });
});

describe('the file format', () => {
  it('persists tombstones across reopen and between two handles', async () => {
    const path = join(dir, 'two.json');
    const a = await createFileKeyStore(path);
    const b = await createFileKeyStore(path);
    await a.addTombstone({ kid: 'k1', until: 99 });
    expect(await b.tombstones()).toEqual([{ kid: 'k1', until: 99 }]);
    expect(await (await createFileKeyStore(path)).tombstones()).toEqual([{ kid: 'k1', until: 99 }]);
    expect(JSON.parse(await readFile(path, 'utf8')).revoked).toEqual([{ kid: 'k1', until: 99 }]);
  });

  it('old files (no "revoked") load unchanged, and a file without tombstones is written without it', async () => {
    const fixtures = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
    const path = join(dir, 'old.json');
    await copyFile(join(fixtures, 'keystore-v1-plain.json'), path);
    await chmod(path, 0o600);
    const s = await createFileKeyStore(path);
    expect(await s.tombstones()).toEqual([]);
    expect((await s.list()).map((k) => k.kid)).toEqual(['old-kid-1', 'old-kid-2']);
    await s.delete('old-kid-2');
    expect('revoked' in JSON.parse(await readFile(path, 'utf8'))).toBe(false);
    await s.addTombstone({ kid: 'old-kid-2', until: 5 });
    await s.removeTombstone('old-kid-2');
    expect('revoked' in JSON.parse(await readFile(path, 'utf8'))).toBe(false);
  });

  it('a malformed "revoked" member is ERR_TRANSPORT naming it', async () => {
    const { writeFile } = await import('node:fs/promises');
    for (const revoked of [
      {},
      [{ kid: 'a' }],
      [
        { kid: 'a', until: 1 },
        { kid: 'a', until: 2 },
      ],
    ]) {
      const path = join(dir, `bad-${Math.random()}.json`);
      await writeFile(path, JSON.stringify({ v: 1, encryption: null, keys: [], revoked }), {
        mode: 0o600,
      });
      const code = await errorCode(() => createFileKeyStore(path));
      expect(code).toBe('ERR_TRANSPORT');
    }
  });
});

describe('a compromise, end to end', () => {
  it('revoke(compromise): tick() reports the kid, queued messages are ERR_KEY_REVOKED, and the tombstone lapses after retention', async () => {
    const w = await makeWorld();
    const store = createMemoryStore();
    for (const r of await w.recordsOf(w.agent)) await store.put(w.agent.name, r);
    const [toolCert] = await w.recordsOf(w.tool);
    await store.put(w.tool.name, toolCert!);
    const clock = createClock(T0);
    const d = createDirectory({ store, trust: w.policy, now: clock.now });
    const keyStore = await createFileKeyStore(join(dir, 'rotator.json'));
    const rotator = createKeyRotator({
      identity: w.tool,
      publish: (r) => d.publish(r),
      keyStore,
      lifetimeSeconds: 3600,
      propagationDelaySeconds: 120,
      rotateBeforeSeconds: 900,
      retentionSeconds: 7200,
      now: clock.now,
    });
    const first = (await rotator.tick()).rotated!;
    const sealed = await seal('queued', {
      sender: w.agent,
      recipients: await d.resolveRecipient(w.tool.name),
      now: clock.now(),
    });
    const opening = async (): Promise<OpenOptions> => ({
      recipient: await rotator.recipientKeys(),
      revokedKids: await rotator.revokedKids(),
      resolveSender: (n, k) => d.resolveSigningKey(n, k),
      now: clock.now(),
    });
    await rotator.revoke(first.kid, 'compromise');
    expect(await rotator.revokedKids()).toEqual([first.kid]);
    expect(await errorCode(async () => open(sealed.envelope, await opening()))).toBe(
      'ERR_KEY_REVOKED',
    );
    const t = await rotator.tick();
    expect(t.revoked).toBe(first.kid);
    expect(t.rotated).toBeDefined();
    expect((await rotator.tick()).revoked).toBeUndefined(); // reported once
    // Still ERR_KEY_REVOKED with the replacement key held; a restarted rotator reads the tombstone back.
    expect(await errorCode(async () => open(sealed.envelope, await opening()))).toBe(
      'ERR_KEY_REVOKED',
    );
    // Past not-after + retention the tombstone goes, and the answer is the plain ERR_KEY_NOT_FOUND.
    clock.setSeconds(first.notAfter + 7200 + 1);
    await rotator.tick();
    expect(await rotator.revokedKids()).toEqual([]);
    expect(await keyStore.tombstones()).toEqual([]);
    expect(
      await errorCode(async () => open(sealed.envelope, { ...(await opening()), now: T0 })),
    ).toBe('ERR_KEY_NOT_FOUND');
  });

  it('a compromise found through isRevoked (revoked elsewhere) leaves a tombstone too', async () => {
    const w = await makeWorld();
    const clock = createClock(T0);
    const keyStore = createMemoryKeyStore();
    const revokedElsewhere = { kid: undefined as string | undefined };
    const rotator = createKeyRotator({
      identity: w.tool,
      publish: async () => {},
      keyStore,
      lifetimeSeconds: 3600,
      propagationDelaySeconds: 120,
      rotateBeforeSeconds: 900,
      retentionSeconds: 7200,
      now: clock.now,
      isRevoked: async (kid) => (kid === revokedElsewhere.kid ? 'compromise' : undefined),
    });
    const first = (await rotator.tick()).rotated!;
    revokedElsewhere.kid = first.kid;
    const t = await rotator.tick();
    expect(t.erased).toEqual([first.kid]);
    expect(t.revoked).toBe(first.kid);
    expect(await keyStore.tombstones()).toEqual([{ kid: first.kid, until: first.notAfter + 7200 }]);
    expect(await rotator.revokedKids()).toEqual([first.kid]);
  });
});

describe('a key store that fails during a compromise', () => {
  async function setUp(fail: { tombstone?: boolean; delete?: boolean }) {
    const w = await makeWorld();
    const store = createMemoryStore();
    const [toolCert] = await w.recordsOf(w.tool);
    await store.put(w.tool.name, toolCert!);
    const clock = createClock(T0);
    const d = createDirectory({ store, trust: w.policy, now: clock.now });
    const inner = createMemoryKeyStore();
    // A store whose writes fail: the atomic tombstone-and-erase fails with whichever write does.
    const keyStore: PrivateKeyStore = {
      ...inner,
      addTombstone: async (t) => {
        if (fail.tombstone) throw new Error('tombstone write refused');
        return inner.addTombstone(t);
      },
      delete: async (kid) => {
        if (fail.delete) throw new Error('delete refused');
        return inner.delete(kid);
      },
      deleteWithTombstone: async (t) => {
        if (fail.tombstone) throw new Error('tombstone write refused');
        if (fail.delete) throw new Error('delete refused');
        return inner.deleteWithTombstone(t);
      },
    };
    const published: string[] = [];
    const rotator = createKeyRotator({
      identity: w.tool,
      publish: async (r) => {
        published.push(await d.publish(r).then(() => 'ok'));
      },
      keyStore,
      lifetimeSeconds: 3600,
      propagationDelaySeconds: 120,
      rotateBeforeSeconds: 900,
      retentionSeconds: 7200,
      now: clock.now,
    });
    const first = (await rotator.tick()).rotated!;
    return { w, d, inner, rotator, first, published, clock };
  }

  it('a failed tombstone write neither keeps the key nor holds back the revocation; the tick reports it', async () => {
    const { w, d, inner, rotator, first, published } = await setUp({ tombstone: true });
    await rotator.revoke(first.kid, 'compromise');
    expect(published).toHaveLength(2); // the key record, then the revocation
    expect((await inner.list()).map((k) => k.kid)).not.toContain(first.kid);
    expect(await errorCode(d.resolveRecipient(w.tool.name))).toBe('ERR_KEY_REVOKED');
    const t = await rotator.tick();
    expect((t.tombstoneError as Error).message).toBe('tombstone write refused');
    expect(t.rotated).toBeDefined(); // rotation goes on
    expect((await rotator.tick()).tombstoneError).toBeUndefined(); // reported once
  });

  it('a failed erasure still publishes the revocation, then says so (ERR_TRANSPORT)', async () => {
    const { w, d, rotator, first, published } = await setUp({ delete: true });
    const e = await errorCode(rotator.revoke(first.kid, 'compromise'));
    expect(e).toBe('ERR_TRANSPORT');
    expect(published).toHaveLength(2);
    expect(await errorCode(d.resolveRecipient(w.tool.name))).toBe('ERR_KEY_REVOKED');
  });
});

describe('revoke() only revokes the identity’s own kids', () => {
  async function setUp(withPrune: boolean) {
    const w = await makeWorld();
    const store = createMemoryStore();
    const keyStore = createMemoryKeyStore();
    const published: Uint8Array[] = [];
    const rotator = createKeyRotator({
      identity: w.tool,
      publish: async (r) => {
        published.push(r);
        await store.put(w.tool.name, r);
      },
      keyStore,
      lifetimeSeconds: 3600,
      propagationDelaySeconds: 120,
      rotateBeforeSeconds: 900,
      retentionSeconds: 7200,
      now: createClock(T0).now,
      ...(withPrune ? { prune: { store, trust: w.policy } } : {}),
    });
    const first = (await rotator.tick()).rotated!;
    // A key of the identity published elsewhere (by an earlier deployment), not held here.
    const k = await generateEncryptionKey();
    await store.put(
      w.tool.name,
      await createEncryptionKeyRecord(w.tool, k, { notBefore: S0, notAfter: S0 + 3600 }),
    );
    return { w, rotator, keyStore, published, first, elsewhere: k.kid };
  }

  it('refuses a kid neither held nor published (ERR_KEY_NOT_FOUND): nothing published, no tombstone, the held key untouched', async () => {
    const { rotator, keyStore, published, first } = await setUp(true);
    const typo = first.kid.slice(0, -2) + (first.kid.endsWith('AA') ? 'AB' : 'AA');
    for (const reason of ['compromise', 'superseded'] as const) {
      expect(await errorCode(rotator.revoke(typo, reason))).toBe('ERR_KEY_NOT_FOUND');
    }
    expect(published).toHaveLength(1); // the first key's record only
    expect(await keyStore.tombstones()).toEqual([]);
    expect((await keyStore.list()).map((k) => k.kid)).toEqual([first.kid]);
    expect(await errorCode(rotator.revoke('', 'superseded'))).toBe('ERR_INVALID_ARGUMENT');
  });

  it('revokes a held key, its own signing key, a key erased for compromise, and (with prune) one published for it', async () => {
    const { w, rotator, published, first, elsewhere } = await setUp(true);
    await rotator.revoke(first.kid, 'compromise');
    await rotator.revoke(first.kid, 'compromise'); // erased now, its tombstone remains
    await rotator.revoke(elsewhere, 'superseded');
    await rotator.revoke(w.tool.signing.kid, 'superseded');
    expect(published).toHaveLength(5);
    // Without the prune store the rotator cannot see what is published: only its own keys count.
    const bare = await setUp(false);
    expect(await errorCode(bare.rotator.revoke(bare.elsewhere, 'superseded'))).toBe(
      'ERR_KEY_NOT_FOUND',
    );
    await bare.rotator.revoke(bare.first.kid, 'superseded');
  });
});
