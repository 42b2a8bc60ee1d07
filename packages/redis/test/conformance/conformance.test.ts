/**
 * The binding conformance suite (SPEC.md §7b, §11b, §11c; the cases are the
 * test kit's, harness/README.md) on Redis Streams: the adapter and runs of
 * redis-harness.ts, consumers of one group (the child reclaims a killed
 * incarnation's entries with XAUTOCLAIM), the spy over both streams (XRANGE)
 * and every data-carrying command Redis received (MONITOR).
 */
import { nodeBackend } from '@blindwire/core/backend/node';
import { createRedisBinding } from '@blindwire/redis';
import { defineConformanceSuite, type ConformanceSuite } from '@blindwire/testkit';
import * as vitest from 'vitest';
import { startRedisConsumer } from './in-process.js';
import { createRedisHarness, type RedisHarness } from './redis-harness.js';
import { assertReady, skip } from './shared.js';

const MAX_ENTRY_BYTES = 64 * 1024;

export const redisSuite: ConformanceSuite<RedisHarness> = {
  name: 'redis',
  skip,
  assertReady,
  setup: () => createRedisHarness(),
  // The spy saw the stored streams and the commands that carried each entry.
  nothingLost: { minScanned: (count) => 2 * count + 1 },
  blindness: {
    publishInClear: async (h, plaintext, name) => {
      await h.client.xadd(h.keys.work, '*', 'data', Buffer.from(plaintext), 'x-note', name);
    },
  },
  // A second consumer of the group reclaims the entry while the first handler runs.
  redeliver: async (h) => [await startRedisConsumer(h, { name: 'b', claimIdleMs: 200 })],
  limits: (h) => ({
    maxBytes: MAX_ENTRY_BYTES,
    backend: nodeBackend,
    publishers: (backend) => {
      const bw = createRedisBinding(h.client, {
        sender: h.sender,
        backend: backend as typeof nodeBackend,
        maxEntryBytes: MAX_ENTRY_BYTES,
      });
      return { add: (payload) => bw.add(h.keys.work, payload, { to: h.consumerId }) };
    },
  }),
  // One group, each envelope added twice, and a short claimIdleMs: the second consumer may
  // take the other copy, or reclaim an entry while its first handler still runs.
  concurrency: {
    count: 10,
    workMs: 600,
    start: async (h, work) => ({
      consumers: [
        await startRedisConsumer(h, { name: 'a', work, claimIdleMs: 200 }),
        await startRedisConsumer(h, { name: 'b', work, claimIdleMs: 200 }),
      ],
      destination: h.keys.work,
      copies: 2,
      expectInFlight: true,
      pending: () => h.adapter.pending(),
    }),
  },
};

defineConformanceSuite(vitest, redisSuite);
