/**
 * createConsumer (SPEC.md §7b): a consumer's own misconfiguration is never a
 * verdict on a message. The options `open` checks (keys, pinned senders,
 * clock, limits) are checked once, when the consumer is created; a key
 * source whose answer is not key pairs is ERR_TRANSPORT (retried), never
 * ERR_INVALID_ARGUMENT, which would dead-letter every message it delivers.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { errorCodeSync } from '@blindwire/testkit';
import { createConsumer } from '../src/consume/consumer.js';
import type { ConsumerOptions } from '../src/consume/consumer-options.js';
import { createMemoryReplayStore } from '../src/envelope/memory-replay-store.js';
import { seal } from '../src/envelope/seal.js';
import { publicIdentity } from '../src/identity/identity.js';
import { NOW, cast, fastestBackend, trusted, type Cast } from './helpers/fixtures.js';

const backend = fastestBackend();
let c: Cast;
beforeAll(async () => {
  c = await cast(backend);
});
const ctx = (d: string) => `blindwire/test/v1 ${d}`;

function options(o: Partial<ConsumerOptions> = {}): ConsumerOptions {
  return {
    recipient: c.bob,
    trustedSenders: trusted(c.alice),
    policy: [{ match: 'orders/*' }],
    context: ctx,
    replay: createMemoryReplayStore({ now: () => NOW }),
    handler: () => {},
    now: () => NOW,
    random: () => 0.5,
    backend,
    ...o,
  };
}

const bad = <T>(v: unknown) => v as T;

describe('createConsumer refuses, at creation, what open would refuse for every message', () => {
  const cases: [string, () => Partial<ConsumerOptions>][] = [
    ['a negative clockSkew', () => ({ clockSkew: -1 })],
    ['a clockSkew that is not a number', () => ({ clockSkew: bad('60') })],
    ['limits of the wrong type', () => ({ limits: bad({ maxEnvelopeBytes: 'big' }) })],
    ['a recipient without a private key', () => ({ recipient: bad(publicIdentity(c.bob)) })],
    ['revokedKids that are not kids', () => ({ revokedKids: bad([42]) })],
    [
      'a pinned sender whose kid is not its key',
      () => ({
        trustedSenders: [
          { name: c.alice.name, signing: { ...c.alice.signing, kid: c.mallory.signing.kid } },
        ],
      }),
    ],
    ['trustedSenders that are not a list', () => ({ trustedSenders: bad({}) })],
    ['a policy maxAge that is negative', () => ({ policy: [{ match: 'orders/*', maxAge: -5 }] })],
    [
      'a policy with an unknown suite',
      () => ({ policy: [{ match: 'orders/*', allowedSuites: bad(['ROT13']) }] }),
    ],
    [
      'a fixed policy context of the wrong type',
      () => ({ policy: [{ match: 'orders/*', context: bad(7) }] }),
    ],
  ];
  it.each(cases)('%s', (_name, change) => {
    expect(errorCodeSync(() => createConsumer(options(change())))).toBe('ERR_INVALID_ARGUMENT');
  });

  it('still accepts a valid configuration, and delivers', async () => {
    const k = createConsumer(
      options({ clockSkew: 30, policy: [{ match: 'orders/*', maxAge: 600 }] }),
    );
    const s = await seal('x', {
      sender: c.alice,
      recipients: c.bob,
      context: ctx('orders/a'),
      now: NOW,
      backend,
    });
    const d = await k.process({ bytes: s.envelope, destination: 'orders/a', attempt: 1 });
    expect(d.action).toBe('ack');
  });
});

describe("a key source's malformed answer is transient, not a verdict on the message", () => {
  it('retries (ERR_TRANSPORT) instead of dead-lettering', async () => {
    let answer: unknown = [publicIdentity(c.bob).encryption]; // no private key
    const k = createConsumer(
      options({
        recipient: undefined,
        keySource: { recipientKeys: () => answer as never },
      }),
    );
    const s = await seal('x', {
      sender: c.alice,
      recipients: c.bob,
      context: ctx('orders/a'),
      now: NOW,
      backend,
    });
    const d = await k.process({ bytes: s.envelope, destination: 'orders/a', attempt: 1 });
    expect(d).toMatchObject({ action: 'retry', reason: 'ERR_TRANSPORT' });
    answer = []; // not loaded yet: no key at all is not ERR_KEY_NOT_FOUND for the message
    const d1 = await k.process({ bytes: s.envelope, destination: 'orders/a', attempt: 1 });
    expect(d1).toMatchObject({ action: 'retry', reason: 'ERR_TRANSPORT' });
    answer = 'not keys';
    const d2 = await k.process({ bytes: s.envelope, destination: 'orders/a', attempt: 1 });
    expect(d2).toMatchObject({ action: 'retry', reason: 'ERR_TRANSPORT' });
    answer = [c.bob.encryption];
    const d3 = await k.process({ bytes: s.envelope, destination: 'orders/a', attempt: 2 });
    expect(d3.action).toBe('ack');
  });
});

describe("the default jitter reads the backend's random bytes where they are", () => {
  it('a backend answering a view into a larger buffer still drives the jitter', async () => {
    // Bytes 0-3 of the buffer are zero; the view the backend answers is all ones.
    const pool = new Uint8Array([0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]);
    const b = {
      ...backend,
      randomBytes: (n: number) => (n === 4 ? pool.subarray(4, 8) : backend.randomBytes(n)),
    };
    const k = createConsumer({
      ...options({ backend: b, retry: { backoffMs: 1000, maxBackoffMs: 1000 } }),
      random: undefined,
      handler: () => {
        throw new Error('busy');
      },
    });
    const s = await seal('x', {
      sender: c.alice,
      recipients: c.bob,
      context: ctx('orders/a'),
      now: NOW,
      backend,
    });
    const d = await k.process({ bytes: s.envelope, destination: 'orders/a', attempt: 1 });
    // u = (2^32 - 1) / 2^32: the delay is all but the whole 1000 ms, not half of it.
    expect(d).toMatchObject({ action: 'retry', reason: 'ERR_HANDLER', delayMs: 1000 });
  });
});
