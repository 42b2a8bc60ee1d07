/**
 * In-process consumers of the Kafka conformance suite (SPEC.md §7b): each
 * with a KafkaJS client, producer (its dead-letter copies) and consumer of
 * its own, in the run's group `workers` or a group of its own (a fan-out),
 * over the run's Redis replay store keys on a node-redis client of its own,
 * recording its handler calls and consume events for the kit's cases.
 */
import { publicIdentity, type Identity } from '@blindwire/core';
import { nodeBackend } from '@blindwire/core/backend/node';
import { createKafkaBinding, type KafkaConsumeEvent } from '@blindwire/kafka';
import { createRedisReplayStore } from '@blindwire/replay';
import type { ConsumerOptions, InProcessConsumer } from '@blindwire/testkit';
import { Kafka, logLevel } from 'kafkajs';
import { createClient } from 'redis';
import { GROUP_TIMINGS, REDIS_URL } from './shared.js';

export interface KafkaConsumerOptions extends ConsumerOptions {
  /** The consumer group (default the run's `workers`). */
  group?: string;
}

/** What a consumer needs of the run (kafka-harness.ts `KafkaHarness` has it). */
export interface KafkaRunInfo {
  brokers: string[];
  topics: { work: string; dead: string };
  group: string;
  replayPrefix: string;
  sender: Identity;
  disallowed: Identity;
  consumerId: Identity;
}

let started = 0;

export async function startKafkaConsumer(
  h: KafkaRunInfo,
  o: KafkaConsumerOptions = {},
): Promise<InProcessConsumer> {
  const kafka = new Kafka({
    brokers: h.brokers,
    clientId: `in-process-${++started}`,
    logLevel: logLevel.NOTHING,
  });
  const producer = kafka.producer();
  const consumer = kafka.consumer({ groupId: o.group ?? h.group, ...GROUP_TIMINGS });
  const redis = createClient({ url: REDIS_URL });
  await Promise.all([producer.connect(), consumer.connect(), redis.connect()]);
  await consumer.subscribe({ topics: [h.topics.work], fromBeginning: true });
  const calls: string[] = [];
  const events: KafkaConsumeEvent[] = [];
  const bw = createKafkaBinding(
    { consumer, producer },
    {
      recipient: h.consumerId.encryption,
      trustedSenders: [publicIdentity(h.sender), publicIdentity(h.disallowed)],
      replay: createRedisReplayStore({ client: redis, prefix: h.replayPrefix }),
      replayLeaseMs: 5000,
      policy: [{ match: h.topics.work, allowedSenders: [h.sender.name] }],
      retry: { maxAttempts: 5, backoffMs: 100, maxBackoffMs: 200 },
      onEvent: (e) => {
        if (e.verb === 'consume') events.push(e);
      },
      backend: nodeBackend,
    },
  );
  const run = await bw.run(
    {
      eachMessage: async (m) => {
        calls.push(m.messageId);
        await o.work?.(m.messageId);
      },
    },
    { deadLetterTopic: h.topics.dead },
  );
  return {
    calls,
    events,
    // `acked`: settled records, whose offsets are committed.
    stats: () => ({ ...run.stats, acked: run.stats.settled }),
    close: async () => {
      await run.stop();
      await Promise.all([consumer.disconnect(), producer.disconnect()]);
      await redis.quit();
    },
  };
}
