/**
 * In-process consumers of the NATS conformance suite (SPEC.md §7b): each on
 * a connection of its own, through @blindwire/nats with the run's shared
 * Redis replay store (or its own client on the same keys), recording its
 * handler calls and consume events for the kit's cases.
 */
import { publicIdentity, type Identity, type ReplayStore } from '@blindwire/core';
import { nodeBackend } from '@blindwire/core/backend/node';
import { createNatsBinding, type NatsConsumeEvent } from '@blindwire/nats';
import { createRedisReplayStore } from '@blindwire/replay';
import type { InProcessConsumer } from '@blindwire/testkit';
import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { createClient } from 'redis';
import { REDIS_URL, SERVERS } from './shared.js';

/** What a consumer needs of the run (nats-harness.ts `NatsHarness` has it). */
export interface NatsRun {
  adapter: { destination: string; deadLetterDestination: string };
  streams: { work: string };
  replay: ReplayStore;
  replayPrefix: string;
  sender: Identity;
  disallowed: Identity;
  consumerId: Identity;
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
  h: NatsRun,
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
  const events: NatsConsumeEvent[] = [];
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
    calls,
    events,
    stats: () => ({ ...run.stats }),
    async close() {
      await run.stop();
      await nc.close();
      await redis?.quit();
    },
  };
}
