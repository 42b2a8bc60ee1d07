/**
 * In-process consumers for the smaller conformance cases (SPEC.md §7b): each
 * on a connection of its own, through @blindwire/nats with the run's shared
 * Redis replay store (or its own client on the same keys), recording its
 * handler calls and consume events; and sealing helpers for hand-made copies.
 */
import {
  bindingContext,
  publicIdentity,
  seal,
  type Identity,
  type ReplayStore,
} from '@blindwire/core';
import { nodeBackend } from '@blindwire/core/backend/node';
import { createNatsBinding, type ConsumeRun, type NatsConsumeEvent } from '@blindwire/nats';
import { createRedisReplayStore } from '@blindwire/replay';
import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { createClient } from 'redis';
import { REDIS_URL, SERVERS, type NatsHarness } from './nats-harness.js';

export interface InProcessConsumer {
  run: ConsumeRun;
  /** Message ids the handler was called with, in order. */
  calls: string[];
  /** Consume events (metadata only). */
  events: NatsConsumeEvent[];
  close(): Promise<void>;
}

export interface InProcessOptions {
  /** The subject its policy matches (default the work subject). */
  subject?: string;
  stream?: string;
  consumer?: string;
  /** Runs inside the handler after it recorded the call. */
  work?: (messageId: string) => Promise<void>;
  workingIntervalMs?: number;
  /** A Redis client of its own on the run's keys (as another process would have). */
  ownRedisClient?: boolean;
}

/** Starts a consumer of `h`'s work stream (or `o.stream`/`o.consumer`) in this process. */
export async function startInProcessConsumer(
  h: NatsHarness,
  o: InProcessOptions = {},
): Promise<InProcessConsumer> {
  const nc = await connect({ servers: SERVERS });
  let redis: ReturnType<typeof createClient> | undefined;
  let replay: ReplayStore = h.replay;
  if (o.ownRedisClient === true) {
    redis = createClient({ url: REDIS_URL });
    await redis.connect();
    replay = createRedisReplayStore({ client: redis, prefix: h.replayPrefix });
  }
  const calls: string[] = [];
  const events: InProcessConsumer['events'] = [];
  const bw = createNatsBinding(nc, {
    recipient: h.consumerId,
    trustedSenders: [publicIdentity(h.sender), publicIdentity(h.disallowed)],
    replay,
    replayLeaseMs: 6000,
    policy: [{ match: o.subject ?? h.adapter.destination, allowedSenders: [h.sender.name] }],
    retry: { maxAttempts: 5, backoffMs: 200, maxBackoffMs: 1000 },
    backend: nodeBackend,
    onEvent: (e) => {
      if (e.verb === 'consume') events.push(e as NatsConsumeEvent);
    },
  });
  const js = jetstream(nc);
  const consumer = await js.consumers.get(o.stream ?? h.streams.work, o.consumer ?? 'worker');
  const run = await bw.jetstream(js).consume(
    consumer,
    async (m) => {
      calls.push(m.messageId);
      await o.work?.(m.messageId);
    },
    {
      deadLetterSubject: h.adapter.deadLetterDestination,
      ...(o.workingIntervalMs === undefined ? {} : { workingIntervalMs: o.workingIntervalMs }),
    },
  );
  return {
    run,
    calls,
    events,
    async close() {
      await run.stop();
      await nc.close();
      await redis?.quit();
    },
  };
}

/** Seals `payload` to the run's consumer, bound to `context` (default: the work subject's). */
export async function sealTo(
  h: NatsHarness,
  payload: string,
  o: { context?: string; sender?: Identity } = {},
): Promise<{ envelope: Uint8Array; messageId: string }> {
  return seal(payload, {
    sender: o.sender ?? h.sender,
    recipients: h.consumerId,
    context: o.context ?? bindingContext('nats', h.adapter.destination),
    backend: nodeBackend,
  });
}

/** Resolves once `cond()` holds, polling every 20 ms; fails after `ms`. */
export async function until(cond: () => boolean, ms = 20_000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Resolves once the work stream holds nothing unsettled. */
export async function settled(h: NatsHarness, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while ((await h.adapter.pending()) !== 0) {
    if (Date.now() > end) throw new Error('the work stream did not drain');
    await new Promise((r) => setTimeout(r, 50));
  }
}
