/**
 * In-process consumers for the smaller RabbitMQ conformance cases (SPEC.md
 * §7b): each on a connection and confirm channel of its own, through
 * @blindwire/amqp with the run's Redis replay store (or its own client on
 * the same keys), recording handler calls and consume events; and sealing
 * helpers for hand-made copies.
 */
import {
  bindingContext,
  publicIdentity,
  seal,
  type Identity,
  type ReplayStore,
} from '@blindwire/core';
import { nodeBackend } from '@blindwire/core/backend/node';
import { createAmqpBinding, type AmqpConsumeEvent, type ConsumeRun } from '@blindwire/amqp';
import { createRedisReplayStore } from '@blindwire/replay';
import { connect } from 'amqplib';
import { createClient } from 'redis';
import { AMQP_URL, EXCHANGE, REDIS_URL, type AmqpHarness } from './amqp-harness.js';

export interface InProcessConsumer {
  run: ConsumeRun;
  calls: string[];
  events: AmqpConsumeEvent[];
  /** Drops the connection without stopping (the broker requeues what was not acknowledged). */
  drop(): Promise<void>;
  close(): Promise<void>;
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
  h: AmqpHarness,
  o: InProcessOptions = {},
): Promise<InProcessConsumer> {
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
  return {
    run,
    calls,
    events,
    drop: () => conn.close().catch(() => undefined),
    async close() {
      await run.stop();
      await conn.close().catch(() => undefined);
      await redis?.quit();
    },
  };
}

/** Seals `payload` to the run's consumer, bound to `context` (default: the work destination's). */
export function sealTo(
  h: AmqpHarness,
  payload: string,
  o: { context?: string; sender?: Identity } = {},
): Promise<{ envelope: Uint8Array; messageId: string }> {
  return seal(payload, {
    sender: o.sender ?? h.sender,
    recipients: h.consumerId,
    context: o.context ?? bindingContext('amqp', h.adapter.destination),
    backend: nodeBackend,
  });
}

export async function until(cond: () => boolean, ms = 20_000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Resolves once the work and delay queues hold nothing unsettled. */
export async function settled(h: AmqpHarness, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while ((await h.adapter.pending()) !== 0) {
    if (Date.now() > end) throw new Error('the work queue did not drain');
    await new Promise((r) => setTimeout(r, 100));
  }
}
