/**
 * In-process consumers of the Redis Streams conformance suite (SPEC.md §7b):
 * each on a node-redis client of its own over the run's Redis replay store
 * keys, one consumer of the group `workers`, recording its handler calls and
 * consume events for the kit's cases.
 */
import { publicIdentity, type Identity } from '@blindwire/core';
import { nodeBackend } from '@blindwire/core/backend/node';
import { createRedisBinding, type RedisConsumeEvent } from '@blindwire/redis';
import { createRedisReplayStore } from '@blindwire/replay';
import type { ConsumerOptions, InProcessConsumer } from '@blindwire/testkit';
import { createClient } from 'redis';

export interface RedisConsumerOptions extends ConsumerOptions {
  /** The consumer name in the group (default `in-process-<n>`). */
  name?: string;
  /** XAUTOCLAIM's min idle time in ms (default 2000): short to reclaim while a handler runs. */
  claimIdleMs?: number;
}

export interface RedisRun {
  redisUrl: string;
  stream: string;
  replayPrefix: string;
  consumerId: Identity;
  sender: Identity;
  disallowed: Identity;
}

let started = 0;

export async function startRedisConsumer(
  r: RedisRun,
  o: RedisConsumerOptions = {},
): Promise<InProcessConsumer> {
  const redis = createClient({ url: r.redisUrl });
  await redis.connect();
  const calls: string[] = [];
  const events: RedisConsumeEvent[] = [];
  const bw = createRedisBinding(redis, {
    recipient: r.consumerId,
    trustedSenders: [publicIdentity(r.sender), publicIdentity(r.disallowed)],
    replay: createRedisReplayStore({ client: redis, prefix: r.replayPrefix }),
    replayLeaseMs: 5000,
    policy: [{ match: r.stream, allowedSenders: [r.sender.name] }],
    retry: { maxAttempts: 5, backoffMs: 100, maxBackoffMs: 200 },
    onEvent: (e) => {
      if (e.verb === 'consume') events.push(e);
    },
    backend: nodeBackend,
  });
  const run = bw.consume(
    { stream: r.stream, group: 'workers', consumer: o.name ?? `in-process-${++started}` },
    async (m) => {
      calls.push(m.messageId);
      await o.work?.(m.messageId);
    },
    { blockMs: 100, claimIdleMs: o.claimIdleMs ?? 2000, claimIntervalMs: 50 },
  );
  return {
    calls,
    events,
    stats: () => ({ ...run.stats }),
    close: async () => {
      await run.stop();
      await redis.quit();
    },
  };
}
