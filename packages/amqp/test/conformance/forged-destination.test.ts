/**
 * RabbitMQ only (SPEC.md §11b, §11c: hints are never trusted): an envelope
 * sealed for another destination, published to the work queue with a forged
 * `bw-destination` header (which only the binding's own delay queue may set)
 * is not believed: ERR_CONTEXT_MISMATCH, dead-lettered, handler not called.
 */
import { sealFor, settled, until } from '@blindwire/testkit';
import { describe, expect, it } from 'vitest';
import { createAmqpHarness } from './amqp-harness.js';
import { assertReady, skip } from './shared.js';

describe.skipIf(skip)('RabbitMQ conformance: a forged bw-destination', () => {
  it('without the delay queue behind it is not believed', async () => {
    assertReady();
    const h = await createAmqpHarness();
    const c = await h.startConsumer();
    try {
      const other = await sealFor(h, 'P:forged-destination', {
        context: h.adapter.context(h.adapter.otherDestination),
      });
      const slash = h.adapter.destination.indexOf('/');
      await new Promise<void>((resolve, reject) =>
        h.ch.publish(
          h.adapter.destination.slice(0, slash),
          h.queues.work,
          Buffer.from(other.envelope),
          { headers: { 'bw-destination': h.adapter.otherDestination } },
          (err) => (err ? reject(err as Error) : resolve()),
        ),
      );
      await until(() => c.events.some((e) => e.messageId === other.messageId));
      await settled(h.adapter);
      expect(c.calls).not.toContain(other.messageId);
      const dl = (await h.adapter.readDeadLetters()).find((d) => d.messageId === other.messageId);
      expect(dl?.reason).toBe('ERR_CONTEXT_MISMATCH');
    } finally {
      await c.close();
      await h.close();
    }
  });
});
