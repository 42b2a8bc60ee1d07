/**
 * A publish that fails never costs a key (SPEC.md §11.4). A publish can fail
 * ambiguously (a timeout after the store's write committed), so the rotator
 * never deletes a key on a publish error: the private key and its signed
 * record stay in the key store, and every tick() re-publishes the records of
 * the held keys that are neither expired nor revoked (a record id is a
 * content hash: the put is idempotent). This heals a write that landed (the
 * key's messages open), one that did not (also across a restart), and a store
 * that lost data.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlindwireError, ErrorCode, open, seal, toBase64url } from '@blindwire/core';
import { describe, expect, it } from 'vitest';
import { createClock, outcomeOf } from '@blindwire/testkit';
import {
  createDirectory,
  createKeyRotator,
  createMemoryKeyStore,
  createMemoryStore,
  recordId,
  type PrivateKeyStore,
  type StoredKey,
} from '../src/index.js';
import { createFileKeyStore } from '../src/keys/file-key-store.js';
import { T0, makeWorld } from './helpers/world.js';

const b64 = (rs: Uint8Array[]) => rs.map(toBase64url);

/**
 * A rotator over a memory directory. `publishing.next` makes the next publish
 * of a new record fail: `'lost'` before the write, `'ambiguous'` after it
 * landed; `publishing.down` fails every publish.
 */
async function setup(keyStore: PrivateKeyStore = createMemoryKeyStore()) {
  const w = await makeWorld();
  const store = createMemoryStore();
  const [cert] = await w.recordsOf(w.tool);
  await store.put(w.tool.name, cert!);
  for (const r of await w.recordsOf(w.agent)) await store.put(w.agent.name, r);
  const clock = createClock(T0);
  const dir = createDirectory({ store, trust: w.policy, now: clock.now, cache: { ttlMs: 0 } });
  const publishing: { next?: 'lost' | 'ambiguous'; down: boolean; log: Uint8Array[] } = {
    down: false,
    log: [],
  };
  const landed = new Set<string>();
  const publish = async (r: Uint8Array) => {
    if (publishing.down) throw new BlindwireError(ErrorCode.Transport, 'connection reset');
    const fresh = !landed.has(toBase64url(r));
    const mode = fresh ? publishing.next : undefined;
    if (fresh) publishing.next = undefined;
    if (mode === 'lost') throw new BlindwireError(ErrorCode.Transport, 'connection reset');
    await dir.publish(r);
    landed.add(toBase64url(r));
    publishing.log.push(r);
    if (mode === 'ambiguous') throw new BlindwireError(ErrorCode.Transport, 'timed out');
  };
  const options = {
    identity: w.tool,
    publish,
    lifetimeSeconds: 3600,
    propagationDelaySeconds: 120,
    rotateBeforeSeconds: 900,
    retentionSeconds: 7200,
    now: clock.now,
  };
  const rotator = createKeyRotator({ ...options, keyStore });
  return {
    w,
    store,
    dir,
    keyStore,
    publishing,
    rotator,
    options,
    advance: clock.advance,
    now: clock.now,
    nowS: clock.seconds,
  };
}

/** The held key that is not `kid`. */
async function other(keyStore: PrivateKeyStore, kid: string): Promise<StoredKey> {
  const held = await keyStore.list();
  expect(held).toHaveLength(2);
  return held.find((k) => k.kid !== kid)!;
}

describe('a publish that fails', () => {
  it('after the write landed: the key is kept, and messages senders seal to it open', async () => {
    const s = await setup();
    const first = (await s.rotator.tick()).rotated!;
    s.advance((3600 - 900) * 1000); // rotation is due
    s.publishing.next = 'ambiguous';
    expect(await outcomeOf(s.rotator.tick())).toBe('ERR_TRANSPORT');

    const second = await other(s.keyStore, first.kid);
    expect(b64([second.record!])).toEqual(b64(s.publishing.log.slice(-1)));
    // After the propagation delay senders adopt it (it has the highest serial)...
    s.advance(121_000);
    const key = await s.dir.resolveRecipient(s.w.tool.name);
    expect(key.kid).toBe(second.kid);
    const sealed = await seal('queued', { sender: s.w.agent, recipients: key, now: s.now() });
    // ...and the recipient still holds its private key.
    const opened = await open(sealed.envelope, {
      recipient: await s.rotator.recipientKeys(),
      resolveSender: (n, k) => s.dir.resolveSigningKey(n, k),
      now: s.now(),
    });
    expect(new TextDecoder().decode(opened.payload)).toBe('queued');
    // The next tick re-publishes it (idempotent) and does not rotate past it.
    const t = await s.rotator.tick();
    expect(t.rotated).toBeUndefined();
    expect(await s.store.list(s.w.tool.name)).toHaveLength(3); // cert + two key records
  });

  it('before the write landed: the next tick re-publishes the same record, and rotates no further', async () => {
    const s = await setup();
    const first = (await s.rotator.tick()).rotated!;
    s.advance((3600 - 900) * 1000);
    s.publishing.next = 'lost';
    expect(await outcomeOf(s.rotator.tick())).toBe('ERR_TRANSPORT');
    const second = await other(s.keyStore, first.kid);

    s.advance(60_000);
    const before = s.publishing.log.length;
    const t = await s.rotator.tick();
    expect(t.rotated).toBeUndefined();
    expect(b64(s.publishing.log.slice(before))).toEqual(b64([second.record!, first.record!]));
    s.advance(121_000);
    expect((await s.dir.resolveRecipient(s.w.tool.name)).kid).toBe(second.kid);
    expect((await s.keyStore.list()).map((k) => k.kid).sort()).toEqual(
      [first.kid, second.kid].sort(),
    );
  });

  it('rotate() keeps the key and its record too, and rethrows', async () => {
    const s = await setup();
    s.publishing.next = 'lost';
    expect(await outcomeOf(s.rotator.rotate())).toBe('ERR_TRANSPORT');
    const [held] = await s.keyStore.list();
    expect(held).toBeDefined();
    expect(held!.record).toBeInstanceOf(Uint8Array);
    await s.rotator.tick();
    expect((await s.dir.resolveRecipient(s.w.tool.name)).kid).toBe(held!.kid);
  });

  it('followed by a restart (one process per tick, as `key rotate` from cron): the next process publishes it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bw-republish-'));
    try {
      const path = join(dir, 'keys.json');
      const s = await setup(await createFileKeyStore(path, { passphrase: 'pw' }));
      s.publishing.next = 'lost';
      expect(await outcomeOf(s.rotator.tick())).toBe('ERR_TRANSPORT');
      await (s.keyStore as Awaited<ReturnType<typeof createFileKeyStore>>).close();
      expect(await outcomeOf(s.dir.resolve(s.w.tool.name))).toBe('ERR_KEY_NOT_FOUND');

      // A new process: the key store is reopened from disk, with the record.
      const reopened = await createFileKeyStore(path, { passphrase: 'pw' });
      const [held] = await reopened.list();
      const next = createKeyRotator({ ...s.options, keyStore: reopened });
      const t = await next.tick();
      expect(t.rotated).toBeUndefined(); // the held key is fresh: nothing is due
      expect((await s.dir.resolveRecipient(s.w.tool.name)).kid).toBe(held!.kid);
      await reopened.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('every tick re-publishes', () => {
  it('heals a store that lost data; keys stored by older versions (no record) are skipped', async () => {
    const s = await setup();
    const a = (await s.rotator.tick()).rotated!;
    s.advance((3600 - 900) * 1000);
    const b = (await s.rotator.tick()).rotated!;
    const legacy: StoredKey = {
      kid: 'legacy-key-without-record',
      publicKey: new Uint8Array(32).fill(1),
      privateKey: new Uint8Array(32).fill(2),
      notBefore: a.notBefore - 60,
      notAfter: a.notAfter,
      createdAt: a.createdAt - 60,
    };
    await s.keyStore.put(legacy);

    // The store loses both key records.
    for (const r of [a.record!, b.record!]) await s.store.remove!(s.w.tool.name, recordId(r));
    expect(await s.store.list(s.w.tool.name)).toHaveLength(1);
    const before = s.publishing.log.length;
    expect((await s.rotator.tick()).rotated).toBeUndefined();
    expect(b64(s.publishing.log.slice(before))).toEqual(b64([b.record!, a.record!]));
    expect(await s.store.list(s.w.tool.name)).toHaveLength(3);
  });

  it("refuses a key store that holds another identity's key, loudly, publishing and erasing nothing", async () => {
    const s = await setup();
    const a = (await s.rotator.tick()).rotated!;
    // A key store shared by mistake: another identity's key with its own record.
    const foreign = await createKeyRotator({
      ...s.options,
      identity: s.w.agent,
      keyStore: createMemoryKeyStore(),
      publish: async () => undefined,
    }).rotate();
    await s.keyStore.put(foreign);
    const before = s.publishing.log.length;
    s.advance((3600 - 900) * 1000); // rotation would be due
    await expect(s.rotator.tick()).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
      message: expect.stringMatching(/use one key store per identity/),
    });
    await expect(s.rotator.rotate()).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    expect(s.publishing.log.length).toBe(before);
    expect((await s.keyStore.list()).map((k) => k.kid).sort()).toEqual([a.kid, foreign.kid].sort());
    // A key of ours whose record was swapped for another key's is refused the same way.
    await s.keyStore.delete(foreign.kid);
    await s.keyStore.put({ ...a, kid: 'swapped-record-kid', record: a.record! });
    await expect(s.rotator.tick()).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
  });

  it('only keys neither expired nor revoked', async () => {
    const s = await setup();
    const a = (await s.rotator.tick()).rotated!;
    s.advance((3600 - 900) * 1000);
    const b = (await s.rotator.tick()).rotated!;
    await s.rotator.revoke(b.kid, 'superseded');
    let before = s.publishing.log.length;
    const t = await s.rotator.tick(); // b revoked: a is re-published, c replaces b
    const c = t.rotated!;
    expect(b64(s.publishing.log.slice(before))).toEqual(b64([a.record!, c.record!]));

    s.advance((a.notAfter - s.nowS() + 1) * 1000); // a has expired (still retained)
    before = s.publishing.log.length;
    expect((await s.rotator.tick()).erased).toEqual([]);
    expect(b64(s.publishing.log.slice(before))).toEqual(b64([c.record!]));
  });

  it('a tick whose re-publish fails rejects with that error and deletes nothing', async () => {
    const s = await setup();
    const a = (await s.rotator.tick()).rotated!;
    s.advance(60_000);
    s.publishing.down = true;
    const e = await s.rotator.tick().catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'ERR_TRANSPORT', message: 'connection reset' });
    expect((await s.keyStore.list()).map((k) => k.kid)).toEqual([a.kid]);
  });
});
