/**
 * Conformance (SPEC.md §7b, §7 step 18) on NATS JetStream, replay: a copy
 * of a processed message published again (bytes unchanged, no dedup hint,
 * as an attacker would) is counted as a duplicate and acknowledged, the
 * handler not called; a redelivery by the server before the first delivery
 * was acknowledged (ack_wait passed, no `working()`) meets the held
 * reservation and is processed once.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createNatsHarness, type NatsHarness } from './nats-harness.js';
import {
  sealTo,
  settled,
  startInProcessConsumer,
  until,
  type InProcessConsumer,
} from './in-process.js';
import { assertReady, skip } from './shared.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

describe.skipIf(skip)('NATS conformance: replay', () => {
  let h: NatsHarness | undefined;
  let c: InProcessConsumer | undefined;
  afterEach(async () => {
    await c?.close();
    await h?.close();
    c = h = undefined;
  });

  it('a replay after the ack is refused: counted as a duplicate, handler not called', async () => {
    assertReady();
    h = await createNatsHarness();
    c = await startInProcessConsumer(h);
    const { envelope, messageId } = await sealTo(h, 'P:replayed-after-ack');
    await h.adapter.publishRaw(h.adapter.destination, envelope, { messageId });
    await until(() => c!.events.some((e) => e.messageId === messageId && e.outcome === 'deliver'));
    await settled(h);
    expect(await h.replay.has(messageId, h.sender.name)).toBe(true);

    await h.adapter.publishRaw(h.adapter.destination, envelope); // the same bytes, no hint
    await h.adapter.publishRaw(h.adapter.destination, envelope);
    await until(() => c!.events.filter((e) => e.outcome === 'duplicate').length === 2);
    await settled(h);
    expect(c.calls).toEqual([messageId]);
    expect(c.events.map((e) => [e.outcome, e.action, e.code, e.messageId])).toEqual([
      ['deliver', 'ack', undefined, messageId],
      ['duplicate', 'ack', 'ERR_REPLAY', messageId],
      ['duplicate', 'ack', 'ERR_REPLAY', messageId],
    ]);
    expect(c.run.stats).toMatchObject({ acked: 3, deadLettered: 0, termed: 0 });
    expect(await h.adapter.readDeadLetters()).toEqual([]);
  });

  it('a redelivery before the ack meets the held reservation: processed once', async () => {
    assertReady();
    h = await createNatsHarness({ ackWaitMs: 1000 });
    // No working() while the handler runs: the server redelivers after ack_wait.
    c = await startInProcessConsumer(h, {
      workingIntervalMs: 60_000,
      work: () => sleep(2500),
    });
    const { envelope, messageId } = await sealTo(h, 'P:redelivered-before-ack');
    await h.adapter.publishRaw(h.adapter.destination, envelope, { messageId });
    await until(() => c!.events.some((e) => e.outcome === 'deliver'), 20_000, 'the commit');
    await settled(h);
    expect(c.calls).toEqual([messageId]);
    const early = c.events.filter((e) => e.outcome === 'in-flight');
    expect(early.length).toBeGreaterThan(0);
    for (const e of early) {
      expect(e).toMatchObject({ action: 'in-flight', code: 'ERR_REPLAY_IN_FLIGHT', messageId });
      expect(e.attempt).toBeGreaterThan(1); // a redelivery by the server
    }
    expect(await h.replay.has(messageId, h.sender.name)).toBe(true);
    expect(await h.adapter.readDeadLetters()).toEqual([]);
  });
});
