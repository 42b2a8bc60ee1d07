/**
 * Conformance (SPEC.md §7b, §7 step 18: atomic reservations) on RabbitMQ:
 * two consumers, each on its own connection with its own Redis client on
 * the one shared replay store, each consuming a queue of its own bound to
 * the same routing key, so both receive every message at the same moment.
 * Per message id exactly one handler call in all; the other side sees the
 * reservation in flight (retried through the delay queue) or done (a
 * duplicate), never runs the handler, and dead-letters nothing.
 */
import { bindingContext, amqpDestination } from '@blindwire/core';
import { retryQueueArguments } from '@blindwire/amqp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXCHANGE, createAmqpHarness, type AmqpHarness } from './amqp-harness.js';
import { sealTo, startInProcessConsumer, until, type InProcessConsumer } from './in-process.js';
import { assertReady, skip } from './shared.js';

const N = 20;

describe.skipIf(skip)('RabbitMQ conformance: two consumers, one id at once', () => {
  let h: AmqpHarness;
  let a: InProcessConsumer | undefined;
  let b: InProcessConsumer | undefined;
  const key = () => `${h.queues.work}.fanout`;
  const names = () => [`${key()}.a`, `${key()}.b`];
  beforeAll(async () => {
    assertReady();
    h = await createAmqpHarness();
    for (const q of names()) {
      await h.admin.assertQueue(q, { durable: true });
      await h.admin.bindQueue(q, EXCHANGE, key());
      await h.admin.assertQueue(`${q}.retry`, { durable: true, arguments: retryQueueArguments(q) });
    }
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    for (const q of names().flatMap((q) => [q, `${q}.retry`]))
      await h.admin.deleteQueue(q).catch(() => undefined);
    await h?.close();
  });

  it('exactly one handler call per id across both consumers', async () => {
    const destination = amqpDestination(EXCHANGE, key());
    const work = () => new Promise<void>((r) => setTimeout(r, 150));
    [a, b] = await Promise.all(
      names().map((queue) =>
        startInProcessConsumer(h, {
          queue,
          retryQueue: `${queue}.retry`,
          destination,
          work,
          ownRedisClient: true,
        }),
      ),
    );
    const ids: string[] = [];
    for (let i = 0; i < N; i++) {
      const s = await sealTo(h, `P:fanout-${i}`, { context: bindingContext('amqp', destination) });
      await h.adapter.publishRaw(destination, s.envelope, { messageId: s.messageId });
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
    await until(() => settledIds() === N, 40_000, 'both consumers to settle every id');
    const calls = [...a!.calls, ...b!.calls].sort();
    expect(calls).toEqual([...ids].sort());
    for (const id of ids) {
      const outcomes = [a!, b!].flatMap((c) =>
        c.events.filter((e) => e.messageId === id).map((e) => e.outcome),
      );
      expect(outcomes.filter((o) => o === 'deliver')).toEqual(['deliver']);
      expect(outcomes.every((o) => ['deliver', 'duplicate', 'in-flight'].includes(o))).toBe(true);
      expect(await h.replay.has(id, h.sender.name)).toBe(true);
    }
    const all = [a!, b!].flatMap((c) => c.events);
    console.log(
      `[conformance amqp concurrency] ids=${N} handler-calls=${calls.length} a=${a!.calls.length} ` +
        `b=${b!.calls.length} in-flight=${all.filter((e) => e.outcome === 'in-flight').length} ` +
        `duplicates=${all.filter((e) => e.outcome === 'duplicate').length}`,
    );
    expect(a!.run.stats.deadLettered + b!.run.stats.deadLettered).toBe(0);
  });
});
