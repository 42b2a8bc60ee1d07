/**
 * Conformance (SPEC.md §11b: the bound context) on NATS JetStream: an
 * envelope sealed for another subject, or for this subject under another
 * transport (AMQP, Redis Streams), published to the consumed subject fails
 * with ERR_CONTEXT_MISMATCH and lands, unchanged, in the dead-letter stream
 * with its reason and message id; the handler sees only the control message.
 */
import { amqpDestination, bindingContext } from '@blindwire/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNatsHarness, type NatsHarness } from './nats-harness.js';
import {
  sealTo,
  settled,
  startInProcessConsumer,
  until,
  type InProcessConsumer,
} from './in-process.js';
import { assertReady, skip } from './shared.js';

describe.skipIf(skip)('NATS conformance: cross-subject and cross-transport copies', () => {
  let h: NatsHarness;
  let c: InProcessConsumer;
  beforeAll(async () => {
    assertReady();
    h = await createNatsHarness();
    c = await startInProcessConsumer(h);
  });
  afterAll(async () => {
    await c?.close();
    await h?.close();
  });

  it('ERR_CONTEXT_MISMATCH, in the dead-letter stream, bytes unchanged', async () => {
    const dest = h.adapter.destination;
    const copies = {
      'cross-subject': await sealTo(h, 'P:for-another-subject', {
        context: bindingContext('nats', h.adapter.otherDestination),
      }),
      'cross-transport amqp': await sealTo(h, 'P:for-amqp', {
        context: bindingContext('amqp', amqpDestination('bwc', dest)),
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
    const mismatches = c.events.filter((e) => e.code === 'ERR_CONTEXT_MISMATCH');
    expect(mismatches.map((e) => [e.outcome, e.action])).toEqual(
      Array(3).fill(['permanent', 'dead-letter']),
    );
    expect(c.run.stats).toMatchObject({ acked: 1, deadLettered: 3, termed: 3 });
  });
});
