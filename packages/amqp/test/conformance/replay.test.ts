/**
 * Conformance (SPEC.md §7b, §7 step 18) on RabbitMQ, replay: a copy of a
 * processed message published again (bytes unchanged, no hint, as an
 * attacker would) is counted as a duplicate and acknowledged, the handler
 * not called; a redelivery before the first delivery was acknowledged (the
 * consumer's connection dropped while its handler ran; the broker requeues)
 * meets the held reservation and is processed once.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createAmqpHarness, type AmqpHarness } from './amqp-harness.js';
import {
  sealTo,
  settled,
  startInProcessConsumer,
  until,
  type InProcessConsumer,
} from './in-process.js';
import { assertReady, skip } from './shared.js';

describe.skipIf(skip)('RabbitMQ conformance: replay', () => {
  let h: AmqpHarness | undefined;
  let c: InProcessConsumer | undefined;
  afterEach(async () => {
    await c?.close();
    await h?.close();
    c = h = undefined;
  });

  it('a replay after the ack is refused: counted as a duplicate, handler not called', async () => {
    assertReady();
    h = await createAmqpHarness();
    c = await startInProcessConsumer(h);
    const { envelope, messageId } = await sealTo(h, 'P:replayed-after-ack');
    await h.adapter.publishRaw(h.adapter.destination, envelope, { messageId });
    await until(() => c!.events.some((e) => e.messageId === messageId && e.outcome === 'deliver'));
    await h.adapter.publishRaw(h.adapter.destination, envelope);
    await h.adapter.publishRaw(h.adapter.destination, envelope);
    await until(() => c!.events.filter((e) => e.outcome === 'duplicate').length === 2);
    await settled(h);
    expect(c.calls).toEqual([messageId]);
    expect(c.events.map((e) => [e.outcome, e.action, e.code, e.messageId])).toEqual([
      ['deliver', 'ack', undefined, messageId],
      ['duplicate', 'ack', 'ERR_REPLAY', messageId],
      ['duplicate', 'ack', 'ERR_REPLAY', messageId],
    ]);
    expect(c.run.stats).toMatchObject({ acked: 3, deadLettered: 0, retried: 0 });
    expect(await h.adapter.readDeadLetters()).toEqual([]);
  });

  it('a redelivery before the ack meets the held reservation: processed once', async () => {
    assertReady();
    h = await createAmqpHarness();
    const { envelope, messageId } = await sealTo(h, 'P:redelivered-before-ack');
    // The first consumer's handler runs 3 s; its connection drops after it started.
    let entered = false;
    const first = await startInProcessConsumer(h, {
      work: async () => {
        entered = true;
        await new Promise((r) => setTimeout(r, 3000));
      },
    });
    await h.adapter.publishRaw(h.adapter.destination, envelope, { messageId });
    await until(() => entered, 20_000, 'the first handler');
    c = await startInProcessConsumer(h);
    await first.drop(); // the broker requeues the unacknowledged delivery to c
    await until(() => c!.events.some((e) => e.outcome === 'duplicate'), 30_000, 'the duplicate');
    await settled(h);
    expect(first.calls).toEqual([messageId]);
    expect(c.calls).toEqual([]);
    const early = c.events.filter((e) => e.outcome === 'in-flight');
    expect(early.length).toBeGreaterThan(0);
    for (const e of early)
      expect(e).toMatchObject({ action: 'in-flight', code: 'ERR_REPLAY_IN_FLIGHT', messageId });
    expect(early[0]!.attempt).toBe(2); // a redelivery by the broker
    expect(await h.replay.has(messageId, h.sender.name)).toBe(true);
    expect(await h.adapter.readDeadLetters()).toEqual([]);
  });
});
