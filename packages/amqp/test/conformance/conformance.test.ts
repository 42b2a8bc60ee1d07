/**
 * The binding conformance suite (SPEC.md §7b, §8, §11b, §11c; the cases are
 * the test kit's, harness/README.md) on RabbitMQ: the adapter and runs of
 * amqp-harness.ts (a work queue with its delay queue, a dead-letter queue,
 * a spy queue bound to the work and dead-letter keys), the consumer child of
 * consumer-child.mjs (with its `ack-on-receipt` fault). Nothing lost runs
 * 20,000 messages on a quorum queue; the other cases use classic queues.
 */
import { amqpDestination } from '@blindwire/core';
import { nodeBackend } from '@blindwire/core/backend/node';
import { createAmqpBinding, retryQueueArguments } from '@blindwire/amqp';
import { defineConformanceSuite, type ConformanceSuite } from '@blindwire/testkit';
import * as vitest from 'vitest';
import { EXCHANGE, createAmqpHarness, type AmqpHarness } from './amqp-harness.js';
import { startInProcessConsumer, type AmqpConsumer } from './in-process.js';
import { assertReady, skip } from './shared.js';

const { expect } = vitest;
const MAX_MESSAGE_BYTES = 64 * 1024;

/** Two queues bound to `<work>.fanout`, each with its delay queue: each gets every message. */
async function fanout(h: AmqpHarness) {
  const key = `${h.queues.work}.fanout`;
  const names = [`${key}.a`, `${key}.b`];
  for (const q of names) {
    await h.admin.assertQueue(q, { durable: true });
    await h.admin.bindQueue(q, EXCHANGE, key);
    await h.admin.assertQueue(`${q}.retry`, { durable: true, arguments: retryQueueArguments(q) });
  }
  const remove = async () => {
    for (const q of names.flatMap((n) => [n, `${n}.retry`]))
      await h.admin.deleteQueue(q).catch(() => undefined);
  };
  return { destination: amqpDestination(EXCHANGE, key), names, remove };
}

export const amqpSuite: ConformanceSuite<AmqpHarness> = {
  name: 'amqp',
  skip,
  assertReady,
  setup: (kind) => createAmqpHarness({ queueType: kind === 'nothing-lost' ? 'quorum' : 'classic' }),
  nothingLost: { count: 20_000 },
  faultyConsumer: true,
  blindness: {
    publishInClear: (h, plaintext, name) =>
      new Promise<void>((resolve, reject) =>
        h.ch.publish(
          EXCHANGE,
          h.queues.work,
          Buffer.from(plaintext),
          { headers: { 'x-note': name } },
          (e) => (e ? reject(e as Error) : resolve()),
        ),
      ),
    // The spy queue got every publish (replays included) and every dead-letter copy.
    checkSeen(seen, c, count) {
      const where = (re: RegExp) => seen.filter((m) => re.test(m.where)).length;
      expect(where(/\.jobs$/)).toBe(count + c.replayCopies);
      expect(where(/\.jobs\.dead$/)).toBe(c.deadLetterCopies);
      expect(seen.every((m) => m.headers !== undefined && m.headers.length > 0)).toBe(true);
    },
    checkClear(findings) {
      const kinds = new Set(findings.map((f) => `${f.part} ${f.what}`));
      expect([...kinds].sort()).toEqual(['body plaintext window', 'headers sender name']);
    },
  },
  // A second consumer, then the first one's connection drops: the broker requeues to it.
  async redeliver(h, first) {
    const c = await h.startConsumer();
    await (first as AmqpConsumer).drop();
    return [c];
  },
  limits: (h) => ({
    maxBytes: MAX_MESSAGE_BYTES,
    backend: nodeBackend,
    publishers(backend) {
      const bw = createAmqpBinding(h.ch, {
        sender: h.sender,
        backend: backend as never,
        maxMessageBytes: MAX_MESSAGE_BYTES,
      });
      const o = { to: h.consumerId, confirm: true };
      return {
        publish: (p) => bw.publish(EXCHANGE, h.queues.work, p, o),
        sendToQueue: (p) => bw.sendToQueue(h.queues.work, p, o),
      };
    },
  }),
  // Two queues on one key, each consumer on its own connection and Redis client.
  concurrency: {
    async start(h, work) {
      const f = await fanout(h);
      const start = (queue: string) =>
        startInProcessConsumer(h, {
          queue,
          retryQueue: `${queue}.retry`,
          destination: f.destination,
          work,
          ownRedisClient: true,
        });
      return {
        consumers: [await start(f.names[0]!), await start(f.names[1]!)],
        destination: f.destination,
        copies: 1,
        close: f.remove,
      };
    },
  },
  stats: { replay: { retried: 0 }, context: { acked: 4 } },
};

defineConformanceSuite(vitest, amqpSuite);
