/**
 * Pinned senders' kids are recomputed once per key (trust-source.ts): a kid
 * seen before with one key still refuses another key, on every backend.
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
});
