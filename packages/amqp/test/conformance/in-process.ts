/**
 * In-process consumers of the RabbitMQ conformance suite (SPEC.md §7b):
 * each on a connection and confirm channel of its own, through
 * @blindwire/amqp with the run's Redis replay store (or its own client on
 * the same keys), recording handler calls and consume events for the kit's
 * cases; `drop` closes the connection under a running handler.
 */
import { publicIdentity, type Identity, type ReplayStore } from '@blindwire/core';
import { nodeBackend } from '@blindwire/core/backend/node';
import { createAmqpBinding, type AmqpConsumeEvent } from '@blindwire/amqp';
import { createRedisReplayStore } from '@blindwire/replay';
import type { InProcessConsumer } from '@blindwire/testkit';
import { connect } from 'amqplib';
import { createClient } from 'redis';
import { AMQP_URL, EXCHANGE, REDIS_URL } from './shared.js';

/** What a consumer needs of the run (amqp-harness.ts `AmqpHarness` has it). */
export interface AmqpRun {
  adapter: { destination: string };
  queues: { work: string; retry: string; dead: string };
  replay: ReplayStore;
  replayPrefix: string;
  sender: Identity;
  disallowed: Identity;
  consumerId: Identity;
}

export interface AmqpConsumer extends InProcessConsumer {
  /** Drops the connection without stopping (the broker requeues what was not acknowledged). */
  drop(): Promise<void>;
}

export interface InProcessOptions {
  queue?: string;
  /** Its delay queue (default the run's, which returns to the work queue). */
  retryQueue?: string;
  /** The destination its policy matches and messages were sealed for (default the work one). */
  destination?: string;
  work?: (messageId: string) => Promise<void>;
  ownRedisClient?: boolean;
}

export async function startInProcessConsumer(
  h: AmqpRun,
  o: InProcessOptions = {},
): Promise<AmqpConsumer> {
  const conn = await connect(AMQP_URL);
  const ch = await conn.createConfirmChannel();
  let redis: ReturnType<typeof createClient> | undefined;
  let replay: ReplayStore = h.replay;
  if (o.ownRedisClient === true) {
    redis = createClient({ url: REDIS_URL });
    await redis.connect();
    replay = createRedisReplayStore({ client: redis, prefix: h.replayPrefix });
  }
  const calls: string[] = [];
  const events: AmqpConsumeEvent[] = [];
  const bw = createAmqpBinding(ch, {
    recipient: h.consumerId.encryption,
    trustedSenders: [publicIdentity(h.sender), publicIdentity(h.disallowed)],
    replay,
    replayLeaseMs: 4000,
    policy: [{ match: o.destination ?? h.adapter.destination, allowedSenders: [h.sender.name] }],
    retry: { maxAttempts: 5, backoffMs: 200, maxBackoffMs: 1000 },
    backend: nodeBackend,
    onEvent: (e) => {
      if (e.verb === 'consume') events.push(e);
    },
  });
  const run = await bw.consume(
    o.queue ?? h.queues.work,
    async (m) => {
      calls.push(m.messageId);
      await o.work?.(m.messageId);
    },
    {
      deadLetter: { exchange: EXCHANGE, routingKey: h.queues.dead },
      retryQueue: o.retryQueue ?? h.queues.retry,
    },
  );
  let dropped = false;
  return {
    calls,
    events,
    stats: () => ({ ...run.stats }),
    drop: () => {
      dropped = true;
      return conn.close().catch(() => undefined);
    },
    async close() {
      // After a drop the channel is gone: stop() still waits for the handlers, its cancel fails.
      await (dropped ? run.stop().catch(() => undefined) : run.stop());
      await conn.close().catch(() => undefined);
      await redis?.quit();
    },
  };
}
