/**
 * Conformance (SPEC.md §7b, §7 step 18: atomic reservations) on NATS
 * JetStream: two consumers, each on its own connection with its own Redis
 * client on the one shared replay store, each with its own durable consumer
 * of a limits stream, so both receive every message at the same moment. Per
 * message id exactly one handler call in all; the other side sees the
 * reservation in flight (redelivered later) or done (a duplicate), never
 * runs the handler, and dead-letters nothing.
 */
import { bindingContext } from '@blindwire/core';
import { jetstreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNatsHarness, type NatsHarness } from './nats-harness.js';
import { sealTo, startInProcessConsumer, until, type InProcessConsumer } from './in-process.js';
import { assertReady, skip } from './shared.js';

const N = 20;

describe.skipIf(skip)('NATS conformance: two consumers, one id at once', () => {
  let h: NatsHarness;
  let a: InProcessConsumer | undefined;
  let b: InProcessConsumer | undefined;
  const stream = () => `${h.streams.work}_FANOUT`;
  beforeAll(async () => {
    assertReady();
    h = await createNatsHarness();
    const jsm = await jetstreamManager(h.nc);
    // A limits stream on the run's subject `...fanout`: every durable consumer gets every message.
    await jsm.streams.add({
      name: stream(),
      subjects: [`${h.adapter.destination}.fanout`],
      storage: 'memory',
    } as never);
    for (const name of ['a', 'b'])
      await jsm.consumers.add(stream(), {
        durable_name: name,
        ack_policy: 'explicit',
        ack_wait: 5000 * 1e6,
        max_deliver: -1,
      } as never);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    const jsm = await jetstreamManager(h.nc);
    await jsm.streams.delete(stream()).catch(() => false);
    await h?.close();
  });

  it('exactly one handler call per id across both consumers', async () => {
    const subject = `${h.adapter.destination}.fanout`;
    const work = () => new Promise<void>((r) => setTimeout(r, 150));
    [a, b] = await Promise.all(
      ['a', 'b'].map((consumer) =>
        startInProcessConsumer(h, {
          subject,
          stream: stream(),
          consumer,
          work,
          ownRedisClient: true,
        }),
      ),
    );
    const ids: string[] = [];
    for (let i = 0; i < N; i++) {
      const s = await sealTo(h, `P:fanout-${i}`, { context: bindingContext('nats', subject) });
      await h.js.publish(subject, s.envelope, { msgID: s.messageId });
      ids.push(s.messageId);
    }
    const settledIds = () =>
      ids.filter((id) =>
        [a!, b!].every((c) =>
          c.events.some(
            (e) => e.messageId === id && (e.outcome === 'deliver' || e.outcome === 'duplicate'),
          ),
        ),
      ).length;
    await until(() => settledIds() === N, 30_000, 'both consumers to settle every id');
    const calls = [...a!.calls, ...b!.calls].sort();
    expect(calls).toEqual([...ids].sort());
    for (const id of ids) {
      const outcomes = [a!, b!].map((c) =>
        c.events.filter((e) => e.messageId === id).map((e) => e.outcome),
      );
      // One side delivered once; the other was turned away (in flight, then duplicate).
      expect(outcomes.flat().filter((o) => o === 'deliver')).toEqual(['deliver']);
      expect(outcomes.flat().every((o) => ['deliver', 'duplicate', 'in-flight'].includes(o))).toBe(
        true,
      );
      expect(await h.replay.has(id, h.sender.name)).toBe(true);
    }
    const inFlight = [a!, b!].flatMap((c) => c.events).filter((e) => e.outcome === 'in-flight');
    console.log(
      `[conformance nats concurrency] ids=${N} handler-calls=${calls.length} ` +
        `a=${a!.calls.length} b=${b!.calls.length} in-flight=${inFlight.length} ` +
        `duplicates=${[a!, b!].flatMap((c) => c.events).filter((e) => e.outcome === 'duplicate').length}`,
    );
    expect(a!.run.stats.deadLettered + b!.run.stats.deadLettered).toBe(0);
  });
});
