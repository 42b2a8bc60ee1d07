/**
 * Conformance (SPEC.md §11b: the bound context) on RabbitMQ: an envelope
 * sealed for another routing key, or for this destination under another
 * transport (NATS, Redis Streams), published to the consumed destination
 * fails with ERR_CONTEXT_MISMATCH and lands, unchanged, in the dead-letter
 * queue with its reason and message id; the handler sees only the control
 * message.
 */
import { bindingContext } from '@blindwire/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAmqpHarness, type AmqpHarness } from './amqp-harness.js';
import {
  sealTo,
  settled,
  startInProcessConsumer,
  until,
  type InProcessConsumer,
} from './in-process.js';
import { assertReady, skip } from './shared.js';

describe.skipIf(skip)('RabbitMQ conformance: cross-destination and cross-transport copies', () => {
  let h: AmqpHarness;
  let c: InProcessConsumer;
  beforeAll(async () => {
    assertReady();
    h = await createAmqpHarness();
    c = await startInProcessConsumer(h);
  });
  afterAll(async () => {
    await c?.close();
    await h?.close();
  });

  it('ERR_CONTEXT_MISMATCH, in the dead-letter queue, bytes unchanged', async () => {
    const dest = h.adapter.destination;
    const copies = {
      'cross-destination': await sealTo(h, 'P:for-another-key', {
        context: bindingContext('amqp', h.adapter.otherDestination),
      }),
      'cross-transport nats': await sealTo(h, 'P:for-nats', {
        context: bindingContext('nats', h.queues.work),
      }),
      'cross-transport redis': await sealTo(h, 'P:for-redis', {
        context: bindingContext('redis', dest),
      }),
    };
    const control = await sealTo(h, 'P:control');
    for (const s of [...Object.values(copies), control])
      await h.adapter.publishRaw(dest, s.envelope, { messageId: s.messageId });
    await until(() => c.events.length === 4);
    await settled(h);
    expect(c.calls).toEqual([control.messageId]);
    const dead = await h.adapter.readDeadLetters();
    expect(dead).toHaveLength(3);
    for (const [label, s] of Object.entries(copies)) {
      const dl = dead.find((d) => d.messageId === s.messageId);
      expect(dl, label).toBeDefined();
      expect(dl!.reason, label).toBe('ERR_CONTEXT_MISMATCH');
      expect(Buffer.from(dl!.bytes).equals(Buffer.from(s.envelope)), label).toBe(true);
      expect(await h.replay.has(s.messageId, h.sender.name), label).toBe(false);
    }
    expect(
      c.events.filter((e) => e.code === 'ERR_CONTEXT_MISMATCH').map((e) => [e.outcome, e.action]),
    ).toEqual(Array(3).fill(['permanent', 'dead-letter']));
    expect(c.run.stats).toMatchObject({ acked: 4, deadLettered: 3 });
  });

  it('a forged bw-destination without the delay queue behind it is not believed', async () => {
    const other = await sealTo(h, 'P:forged-destination', {
      context: bindingContext('amqp', h.adapter.otherDestination),
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
    await settled(h);
    expect(c.calls).not.toContain(other.messageId);
    const dl = (await h.adapter.readDeadLetters()).find((d) => d.messageId === other.messageId);
    expect(dl?.reason).toBe('ERR_CONTEXT_MISMATCH');
  });
});
