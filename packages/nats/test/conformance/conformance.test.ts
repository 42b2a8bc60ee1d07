/**
 * The binding conformance suite (SPEC.md §7b, §8, §11b, §11c; the cases are
 * the test kit's, harness/README.md) on NATS JetStream: the adapter and runs
 * of nats-harness.ts (a work-queue stream, a dead-letter stream, the spy on
 * the run's subjects and the child's inbox plus raw stream reads), the
 * consumer child of consumer-child.mjs (with its `ack-on-receipt` fault).
 */
import { nodeBackend } from '@blindwire/core/backend/node';
import { createNatsBinding } from '@blindwire/nats';
import { defineConformanceSuite, type ConformanceSuite } from '@blindwire/testkit';
import { jetstreamManager } from '@nats-io/jetstream';
import { headers } from '@nats-io/nats-core';
import * as vitest from 'vitest';
import { startInProcessConsumer } from './in-process.js';
import { createNatsHarness, type NatsHarness } from './nats-harness.js';
import { assertReady, skip } from './shared.js';

const { expect } = vitest;

/** A limits stream on `<work>.fanout` with two durable consumers: each gets every message. */
async function fanout(h: NatsHarness) {
  const jsm = await jetstreamManager(h.nc);
  const stream = `${h.streams.work}_FANOUT`;
  const subject = `${h.adapter.destination}.fanout`;
  await jsm.streams.add({ name: stream, subjects: [subject], storage: 'memory' } as never);
  for (const name of ['a', 'b'])
    await jsm.consumers.add(stream, {
      durable_name: name,
      ack_policy: 'explicit',
      ack_wait: 5000 * 1e6,
      max_deliver: -1,
    } as never);
  return { stream, subject, remove: () => jsm.streams.delete(stream).then(() => undefined) };
}

export const natsSuite: ConformanceSuite<NatsHarness> = {
  name: 'nats',
  skip,
  assertReady,
  // A short ack_wait makes the server redeliver while the first handler runs.
  setup: (kind) => createNatsHarness(kind === 'redelivery' ? { ackWaitMs: 1000 } : {}),
  // The spy saw the stored work stream, the dead letters and the deliveries.
  nothingLost: { minScanned: (count) => 2 * count + 1 },
  faultyConsumer: true,
  blindness: {
    async publishInClear(h, plaintext, name) {
      const hdrs = headers();
      hdrs.set('x-note', name);
      h.nc.publish(h.adapter.destination, plaintext, { headers: hdrs });
      await h.nc.flush();
    },
    // Every place was read: the stored work and dead-letter streams, and core
    // messages on the run's subjects and on the child's inbox (deliveries).
    checkSeen(seen, c, count) {
      const where = (re: RegExp) => seen.filter((m) => re.test(m.where)).length;
      expect(where(/_WORK#/)).toBe(count);
      expect(where(/_DEAD#/)).toBe(c.deadLetterCopies);
      // (a JetStream delivery keeps the stream subject; it reaches the inbox subscription)
      expect(where(/^core bwc\.\S+ bwc\.[0-9a-f]+\.jobs$/)).toBe(count + c.replayCopies);
      expect(where(/^core bwc\.\S+ bwc\.[0-9a-f]+\.dead$/)).toBe(c.deadLetterCopies);
      expect(where(/^core _INBOX_BWC_\S+ bwc\.[0-9a-f]+\.jobs$/)).toBeGreaterThanOrEqual(
        count + c.replayCopies,
      );
      expect(seen.filter((m) => m.headers !== undefined).length).toBeGreaterThan(count);
    },
    checkClear(findings) {
      const kinds = new Set(
        findings.map(
          (f) => `${f.where.split('#')[0]!.replace(/[0-9a-f]{12}/g, 'R')} ${f.part} ${f.what}`,
        ),
      );
      expect([...kinds].sort()).toEqual(
        expect.arrayContaining([
          'BWC_R_WORK body plaintext window',
          'BWC_R_WORK headers sender name',
          'core bwc.R.> bwc.R.jobs body plaintext window',
          'core bwc.R.> bwc.R.jobs headers sender name',
        ]),
      );
    },
  },
  // No working() from the first consumer: the server redelivers to it after ack_wait.
  redeliver: async (_h, first) => [first],
  limits: (h) => ({
    maxBytes: h.nc.info!.max_payload,
    backend: nodeBackend,
    publishers(backend) {
      const bw = createNatsBinding(h.nc, { sender: h.sender, backend: backend as never });
      const to = { to: h.consumerId };
      return {
        'jetstream publish': (p) => bw.jetstream(h.js).publish(h.adapter.destination, p, to),
        'core publish': (p) => bw.publish(h.adapter.destination, p, to),
      };
    },
  }),
  // Two durable consumers of one limits stream, each on its own connection and Redis client.
  concurrency: {
    async start(h, work) {
      const f = await fanout(h);
      const start = (consumer: string) =>
        startInProcessConsumer(h, {
          subject: f.subject,
          stream: f.stream,
          consumer,
          work,
          ownRedisClient: true,
        });
      return {
        consumers: [await start('a'), await start('b')],
        destination: f.subject,
        copies: 1,
        close: f.remove,
      };
    },
  },
  stats: { replay: { termed: 0 }, context: { acked: 1, termed: 3 } },
};

defineConformanceSuite(vitest, natsSuite);
