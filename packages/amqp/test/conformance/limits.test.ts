/**
 * Conformance (SPEC.md §8 limits, the bindings' size rule) on RabbitMQ: a
 * payload whose envelope would exceed `maxMessageBytes` (the broker's
 * max_message_size) is refused with ERR_LIMIT_EXCEEDED before any crypto
 * (the backend is never called) and nothing reaches the queue; a payload
 * that fits goes through the same binding and backend.
 */
import { nodeBackend } from '@blindwire/core/backend/node';
import type { CryptoBackend } from '@blindwire/core';
import { createAmqpBinding } from '@blindwire/amqp';
import { expectCode } from '@blindwire/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXCHANGE, createAmqpHarness, type AmqpHarness } from './amqp-harness.js';
import { assertReady, skip } from './shared.js';

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

describe.skipIf(skip)('RabbitMQ conformance: over-limit refused before publish', () => {
  let h: AmqpHarness;
  beforeAll(async () => {
    assertReady();
    h = await createAmqpHarness();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('ERR_LIMIT_EXCEEDED, no crypto, nothing in the queue', async () => {
    const max = 64 * 1024;
    const { backend, calls } = countingBackend();
    const bw = createAmqpBinding(h.ch, { sender: h.sender, backend, maxMessageBytes: max });
    for (const size of [max, max - 64, max + 1]) {
      const payload = new Uint8Array(size);
      await expectCode(
        bw.publish(EXCHANGE, h.queues.work, payload, { to: h.consumerId, confirm: true }),
        'ERR_LIMIT_EXCEEDED',
      );
      await expectCode(
        bw.sendToQueue(h.queues.work, payload, { to: h.consumerId, confirm: true }),
        'ERR_LIMIT_EXCEEDED',
      );
    }
    expect(calls()).toBe(0);
    expect(await h.adapter.pending()).toBe(0);
    expect(await h.adapter.readStored()).toEqual([]);
    const ok = await bw.publish(EXCHANGE, h.queues.work, new Uint8Array(max / 2), {
      to: h.consumerId,
      confirm: true,
    });
    expect(calls()).toBeGreaterThan(0);
    expect(ok.bytes).toBeLessThanOrEqual(max);
    expect(await h.adapter.pending()).toBe(1);
  });
});
