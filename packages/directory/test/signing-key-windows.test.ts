/**
 * SPEC.md §11.2 step 4: every verified certificate of a signing key defines a
 * window, and the key is usable when one of them covers the time. A renewal
 * issued ahead of time (same key, higher serial, later window) must not make
 * the identity unusable before it starts.
 */
import { open, seal } from '@blindwire/core';
import { describe, expect, it } from 'vitest';
import { createClock, outcomeOf } from '@blindwire/testkit';
import {
  certifyIdentity,
  createDirectory,
  createEncryptionKeyRecord,
  createMemoryStore,
  createRevocation,
} from '../src/index.js';
import { S0, T0, makeWorld, type World } from './helpers/world.js';

const DAY = 86_400;

/** The tool certified twice (two windows), with an encryption key valid for 400 days. */
async function twoCertificates(
  w: World,
  first: [number, number],
  renewal: [number, number],
  extra: Uint8Array[] = [],
) {
  const store = createMemoryStore();
  const records = [
    await certifyIdentity(w.anchor, w.tool, {
      now: T0,
      notBefore: first[0],
      notAfter: first[1],
      serial: 1,
    }),
    await certifyIdentity(w.anchor, w.tool, {
      now: T0,
      notBefore: renewal[0],
      notAfter: renewal[1],
      serial: 2,
    }),
    await createEncryptionKeyRecord(w.tool, w.tool.encryption, {
      now: T0,
      notBefore: S0,
      notAfter: S0 + 400 * DAY,
      serial: 1,
    }),
    ...extra,
  ];
  for (const r of records) await store.put(w.tool.name, r);
  for (const r of await w.recordsOf(w.agent)) await store.put(w.agent.name, r);
  const clock = createClock(T0);
  const dir = createDirectory({
    store,
    trust: w.policy,
    now: clock.now,
    cache: { ttlMs: 0, negativeTtlMs: 0 },
  });
  return { dir, at: clock.setSeconds };
}

describe('signing key windows (one per verified certificate)', () => {
  it('a renewal issued ahead of time leaves the current certificate in force', async () => {
    const w = await makeWorld();
    const { dir, at } = await twoCertificates(
      w,
      [S0 - 60, S0 + 30 * DAY],
      [S0 + 29 * DAY, S0 + 395 * DAY],
    );
    // Today: only the first certificate covers now.
    expect((await dir.resolveRecipient(w.tool.name)).kid).toBe(w.tool.encryption.kid);
    expect(await dir.resolveSigningKey(w.tool.name, w.tool.signing.kid)).toEqual({
      kid: w.tool.signing.kid,
      publicKey: w.tool.signing.publicKey,
    });
    // The tool signs a message; the agent opens it through the directory.
    const agentKey = await dir.resolveRecipient(w.agent.name);
    const s = await seal('hello', { sender: w.tool, recipients: agentKey, now: T0 });
    const o = await open(s.envelope, {
      recipient: w.agent,
      resolveSender: (n, k) => dir.resolveSigningKey(n, k),
      now: T0,
    });
    expect(o.sender).toBe(w.tool.name);
    // After the first certificate expired, the renewal carries the key.
    at(S0 + 31 * DAY);
    expect(await dir.resolveSigningKey(w.tool.name, w.tool.signing.kid)).toBeDefined();
    expect((await dir.resolveRecipient(w.tool.name)).kid).toBe(w.tool.encryption.kid);
  });

  it('between two windows the key is not usable: the code is that of the newest certificate', async () => {
    const w = await makeWorld();
    const { dir, at } = await twoCertificates(
      w,
      [S0 - 60, S0 + DAY],
      [S0 + 10 * DAY, S0 + 100 * DAY],
    );
    at(S0 + 5 * DAY);
    expect(await dir.resolveSigningKey(w.tool.name, w.tool.signing.kid)).toBeUndefined();
    expect(await outcomeOf(dir.resolve(w.tool.name))).toBe('ERR_NOT_YET_VALID');
    at(S0 + 11 * DAY);
    expect(await dir.resolveSigningKey(w.tool.name, w.tool.signing.kid)).toBeDefined();
    at(S0 + 100 * DAY + 61);
    expect(await outcomeOf(dir.resolve(w.tool.name))).toBe('ERR_EXPIRED');
    // Skew applies to each window: 60 s past the end is still inside.
    at(S0 + 100 * DAY + 60);
    expect(await dir.resolveSigningKey(w.tool.name, w.tool.signing.kid)).toBeDefined();
  });

  it("the key's revocations count while any of its windows covers now; compromise still refuses it at once", async () => {
    const w = await makeWorld();
    const own = await createRevocation(
      w.tool.signing,
      { name: w.tool.name, kid: w.tool.encryption.kid, reason: 'superseded' },
      { now: T0 },
    );
    const revoked = await twoCertificates(
      w,
      [S0 - 60, S0 + 30 * DAY],
      [S0 + 29 * DAY, S0 + 395 * DAY],
      [own],
    );
    expect(await outcomeOf(revoked.dir.resolve(w.tool.name))).toBe('ERR_KEY_REVOKED');

    const compromise = await createRevocation(
      w.anchor,
      { name: w.tool.name, kid: w.tool.signing.kid, reason: 'compromise' },
      { now: T0 },
    );
    const c = await twoCertificates(
      w,
      [S0 - 60, S0 + 30 * DAY],
      [S0 + 29 * DAY, S0 + 395 * DAY],
      [compromise],
    );
    expect(await c.dir.resolveSigningKey(w.tool.name, w.tool.signing.kid)).toBeUndefined();
    expect(await outcomeOf(c.dir.resolve(w.tool.name))).toBe('ERR_KEY_REVOKED');
  });
});
