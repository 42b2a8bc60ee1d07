/**
 * SPEC.md §11.4, the retention rule: with the sender's clock behind and the
 * rotator's (the consumer's) clock ahead, each by up to the tolerance, the
 * rotator down over a key's expiry and every message waiting the longest
 * queue time, a retention of `maxQueueSeconds + 3 × clockSkewSeconds` loses
 * nothing; one second less is refused. An injected clock, stepped by 250 ms.
 */
import { ErrorCode, open, seal, type BlindwireError } from '@blindwire/core';
import { describe, expect, it } from 'vitest';
import { createClock, errorCode, expectCode } from '@blindwire/testkit';
import {
  createDirectory,
  createKeyRotator,
  createMemoryKeyStore,
  createMemoryStore,
  minimumRetention,
} from '../src/index.js';
import { T0, makeWorld } from './helpers/world.js';

const QUEUE = 3600;
const SKEW = 60;

/**
 * Seals at every 250 ms around a key's expiry with the sender's clock
 * `senderOffset` s off, then opens each message exactly `QUEUE` s after it was
 * sealed, the rotator (clock `rotatorOffset` s off) ticking first. Returns
 * how many were sealed to the key, and the codes of those that did not open.
 */
async function run(senderOffset: number, rotatorOffset: number, declaredSkew = SKEW) {
  const w = await makeWorld();
  const store = createMemoryStore();
  for (const r of await w.recordsOf(w.agent)) await store.put(w.agent.name, r);
  const [toolCert] = await w.recordsOf(w.tool);
  await store.put(w.tool.name, toolCert!);
  const clock = createClock(T0);
  const senderNow = () => clock.now() + senderOffset * 1000;
  const rotatorNow = () => clock.now() + rotatorOffset * 1000;
  const sender = createDirectory({ store, trust: w.policy, now: senderNow, cache: { ttlMs: 0 } });
  const consumer = createDirectory({ store, trust: w.policy, now: rotatorNow });
  const rotator = createKeyRotator({
    identity: w.tool,
    publish: (r) => consumer.publish(r),
    keyStore: createMemoryKeyStore(),
    lifetimeSeconds: 3600,
    propagationDelaySeconds: 120,
    rotateBeforeSeconds: 900,
    maxQueueSeconds: QUEUE,
    clockSkewSeconds: declaredSkew,
    retentionSeconds: minimumRetention({ maxQueueSeconds: QUEUE, clockSkewSeconds: declaredSkew })
      .seconds,
    now: rotatorNow,
  });
  const key = (await rotator.tick()).rotated!;
  // The rotator is down from here until after the key expired: no new key.
  const queued: { at: number; envelope: Uint8Array }[] = [];
  clock.set((key.notAfter - 200) * 1000);
  while (clock.now() < (key.notAfter + 200) * 1000) {
    try {
      const r = await sender.resolveRecipient(w.tool.name);
      const s = await seal('m', { sender: w.agent, recipients: r, ttl: 86_400, now: senderNow() });
      queued.push({ at: clock.now(), envelope: s.envelope });
    } catch (e) {
      expect((e as BlindwireError).code).toBe(ErrorCode.Expired); // never sealed past the window
    }
    clock.advance(250);
  }
  const failed: string[] = [];
  for (const m of queued) {
    clock.set(m.at + QUEUE * 1000); // the longest wait
    await rotator.tick();
    try {
      await open(m.envelope, {
        recipient: await rotator.recipientKeys(),
        revokedKids: await rotator.revokedKids(),
        resolveSender: (n, k) => consumer.resolveSigningKey(n, k),
        now: rotatorNow(),
      });
    } catch (e) {
      failed.push((e as BlindwireError).code);
    }
  }
  return { sealed: queued.length, lastSealOffset: queued.at(-1)!.at / 1000 - key.notAfter, failed };
}

describe('the retention rule (SPEC.md §11.4)', () => {
  it('sender 59 s behind, rotator 59 s ahead, retention at the minimum: nothing lost', async () => {
    const r = await run(-59, 59);
    // The sender sealed until its own clock read not-after + 60 s: 119 s late in true time.
    expect(r.lastSealOffset).toBeGreaterThanOrEqual(119);
    expect(r.sealed).toBeGreaterThan(1000);
    expect(r.failed).toEqual([]);
  });

  it('at the very edge (both clocks 60 s off) still nothing lost', async () => {
    const r = await run(-60, 60);
    expect(r.failed).toEqual([]);
  });

  it('the rule is not loose: declaring a 20 s tolerance while clocks are 59 s off loses messages', async () => {
    const r = await run(-59, 59, 20);
    expect(r.failed.length).toBeGreaterThan(0);
    expect(new Set(r.failed)).toEqual(new Set([ErrorCode.KeyNotFound]));
  });

  it('one second less than the minimum is refused, naming both numbers', async () => {
    const w = await makeWorld();
    const base = {
      identity: w.tool,
      publish: async () => {},
      keyStore: createMemoryKeyStore(),
      maxQueueSeconds: QUEUE,
    };
    const min = QUEUE + 3 * SKEW;
    expect(minimumRetention({ maxQueueSeconds: QUEUE }).seconds).toBe(min);
    const e = await expectCode(
      async () => createKeyRotator({ ...base, retentionSeconds: min - 1 }),
      'ERR_INVALID_ARGUMENT',
    );
    expect(e.message).toContain(String(min));
    expect(e.message).toContain(String(min - 1));
    expect(createKeyRotator({ ...base, retentionSeconds: min })).toBeDefined();
    // Without a queue time, the clocks alone: 3 × 60 s.
    expect(
      await errorCode(async () =>
        createKeyRotator({ ...base, maxQueueSeconds: undefined, retentionSeconds: 179 }),
      ),
    ).toBe('ERR_INVALID_ARGUMENT');
    expect(
      await errorCode(async () =>
        createKeyRotator({ ...base, clockSkewSeconds: -1, retentionSeconds: 7200 }),
      ),
    ).toBe('ERR_INVALID_ARGUMENT');
  });
});
