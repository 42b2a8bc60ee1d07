/**
 * Conformance (SPEC.md §8 limits, bindings' size rule) on NATS: a payload
 * whose envelope and hint headers would exceed the server's max_payload is
 * refused with ERR_LIMIT_EXCEEDED before any crypto (the backend is never
 * called) and nothing reaches the subject or the stream; a payload that fits
 * goes through the same binding and backend (so the counter counts).
 */
import { nodeBackend } from '@blindwire/core/backend/node';
import type { CryptoBackend } from '@blindwire/core';
import { createNatsBinding } from '@blindwire/nats';
import { expectCode } from '@blindwire/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNatsHarness, type NatsHarness } from './nats-harness.js';
import { assertReady, skip } from './shared.js';

/** The node backend, counting every call. */
function countingBackend(): { backend: CryptoBackend; calls: () => number } {
  let n = 0;
  const backend = new Proxy(nodeBackend, {
    get(target, key, receiver) {
      const v = Reflect.get(target, key, receiver) as unknown;
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => {
        n++;
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { backend, calls: () => n };
}

describe.skipIf(skip)('NATS conformance: over-limit refused before publish', () => {
  let h: NatsHarness;
  beforeAll(async () => {
    assertReady();
    h = await createNatsHarness();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('ERR_LIMIT_EXCEEDED, no crypto, nothing on the subject or in the stream', async () => {
    const maxPayload = h.nc.info!.max_payload;
    const { backend, calls } = countingBackend();
    const bw = createNatsBinding(h.nc, { sender: h.sender, backend });
    const jsb = bw.jetstream(h.js);
    const dest = h.adapter.destination;
    const seenBefore = h.spySeen();
    for (const size of [maxPayload, maxPayload - 64, maxPayload + 1]) {
      const payload = new Uint8Array(size);
      await expectCode(jsb.publish(dest, payload, { to: h.consumerId }), 'ERR_LIMIT_EXCEEDED');
      await expectCode(bw.publish(dest, payload, { to: h.consumerId }), 'ERR_LIMIT_EXCEEDED');
    }
    expect(calls()).toBe(0);
    await h.nc.flush();
    await new Promise((r) => setTimeout(r, 200));
    expect(await h.adapter.pending()).toBe(0);
    expect(h.spySeen()).toBe(seenBefore);

    // The same binding with a payload that fits: sealed (the backend is called) and stored.
    const ok = await jsb.publish(dest, new Uint8Array(Math.floor(maxPayload / 2)), {
      to: h.consumerId,
    });
    expect(calls()).toBeGreaterThan(0);
    expect(ok.bytes).toBeLessThan(maxPayload);
    expect(await h.adapter.pending()).toBe(1);
  });
});
