/**
 * Pinned senders' kids are recomputed once per key (trust-source.ts): a kid
 * seen before with one key still refuses another key, on every backend, even
 * when the key first arrived in a Buffer the caller later refills (the cache
 * keeps a copy of the bytes, never a view of the caller's memory).
 */
import { describe, expect, it } from 'vitest';
import { errorCode } from '@blindwire/testkit';
import { open } from '../src/envelope/open.js';
import { seal } from '../src/envelope/seal.js';
import { publicIdentity } from '../src/identity/identity.js';
import { backends } from './helpers/backends.js';
import { NOW, cast } from './helpers/fixtures.js';

describe.each(backends.map((b) => [b.name, b] as const))('trusted sender kids (%s)', (_, b) => {
  it('a kid known from one key does not vouch for another key', async () => {
    const { alice, bob, mallory } = await cast(b);
    const s = await seal('hi', { sender: alice, recipients: bob, now: NOW, backend: b });
    const good = publicIdentity(alice);
    const opened = await open(s.envelope, {
      recipient: bob,
      trustedSenders: [good],
      now: NOW,
      backend: b,
    });
    expect(opened.senderKid).toBe(alice.signing.kid);
    const forged = {
      name: good.name,
      signing: { kid: good.signing.kid, publicKey: mallory.signing.publicKey },
    };
    for (let i = 0; i < 2; i++) {
      const code = await errorCode(() =>
        open(s.envelope, { recipient: bob, trustedSenders: [forged], now: NOW, backend: b }),
      );
      expect(code).toBe('ERR_INVALID_ARGUMENT');
    }
  });

  it('a pinned key in a Buffer refilled later does not vouch for the new bytes', async () => {
    const { alice, bob, mallory } = await cast(b);
    const good = publicIdentity(alice);
    const s = await seal('hi', { sender: alice, recipients: bob, now: NOW, backend: b });
    const scratch = Buffer.from(good.signing.publicKey);
    const pinned = { name: good.name, signing: { kid: good.signing.kid, publicKey: scratch } };
    const opened = await open(s.envelope, {
      recipient: bob,
      trustedSenders: [pinned],
      now: NOW,
      backend: b,
    });
    expect(opened.senderKid).toBe(alice.signing.kid);
    // mallory signs under alice's name and kid with her own key; the same Buffer now holds her key
    const forger = {
      ...mallory,
      name: alice.name,
      signing: { ...mallory.signing, kid: alice.signing.kid },
    };
    const forged = await seal('I am alice', {
      sender: forger,
      recipients: bob,
      now: NOW,
      backend: b,
    });
    scratch.set(mallory.signing.publicKey);
    const code = await errorCode(() =>
      open(forged.envelope, { recipient: bob, trustedSenders: [pinned], now: NOW, backend: b }),
    );
    expect(code).toBe('ERR_INVALID_ARGUMENT');
  });

  it('a resolver answering in one reused Buffer cannot vouch for a forged sender', async () => {
    const { alice, bob, mallory } = await cast(b);
    const scratch = Buffer.alloc(32);
    let directory: Record<string, Uint8Array> = { [alice.signing.kid]: alice.signing.publicKey };
    const resolveSender = (_: string, kid: string) => {
      const k = directory[kid];
      if (k === undefined) return undefined;
      scratch.set(k);
      return scratch;
    };
    const good = await seal('hi', { sender: alice, recipients: bob, now: NOW, backend: b });
    const opened = await open(good.envelope, {
      recipient: bob,
      resolveSender,
      now: NOW,
      backend: b,
    });
    expect(opened.senderKid).toBe(alice.signing.kid);
    // mallory signs under alice's name and kid with her own key; the directory answers her key
    const forger = {
      ...mallory,
      name: alice.name,
      signing: { ...mallory.signing, kid: alice.signing.kid },
    };
    const forged = await seal('I am alice', {
      sender: forger,
      recipients: bob,
      now: NOW,
      backend: b,
    });
    directory = { [alice.signing.kid]: mallory.signing.publicKey };
    const code = await errorCode(() =>
      open(forged.envelope, { recipient: bob, resolveSender, now: NOW, backend: b }),
    );
    expect(code).toBe('ERR_KEY_UNTRUSTED');
  });
});
