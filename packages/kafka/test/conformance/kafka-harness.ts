/**
 * The Kafka adapter of the conformance harness (SPEC.md §7b, §11b, §11c):
 * per run, Kafka brokers (`KAFKA_BROKERS`, else a test broker of its own in
 * a process of its own, ../brokers.ts), a work topic `bwc.<run>.jobs`
 * consumed by the group `workers`, its dead-letter topic
 * `bwc.<run>.jobs.dlq`, a key prefix for the shared Redis replay store, and
 * the spy: a plain KafkaJS consumer of a group of its own reading both
 * topics from offset 0, so it reads every record the broker stores, and
 * delivers, as bytes (value, key, headers). The run is a
 * `ConformanceTarget` of the kit's suite.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import {
  amqpDestination,
  bindingContext,
  exportIdentity,
  exportPublicIdentity,
  generateIdentity,
  type Identity,
  type ReplayStore,
} from '@blindwire/core';
import { nodeBackend } from '@blindwire/core/backend/node';
import { createKafkaBinding, setRecordHints, type KafkaBinding } from '@blindwire/kafka';
import { createRedisReplayStore } from '@blindwire/replay';
import {
  knobs,
  spawnNodeChild,
  type ConformanceTarget,
  type DeadLetter,
  type StoredMessage,
} from '@blindwire/testkit';
import { Kafka, logLevel, type Admin, type Producer } from 'kafkajs';
import { createClient } from 'redis';
import { startKafka, type TestKafka } from '../brokers.js';
import { startKafkaConsumer, type KafkaRunInfo } from './in-process.js';
import { GROUP_TIMINGS, REDIS_URL, core } from './shared.js';

const CHILD = fileURLToPath(new URL('./consumer-child.mjs', import.meta.url));

export interface KafkaHarness extends ConformanceTarget, KafkaRunInfo {
  run: string;
  kafka: Kafka;
  producer: Producer;
  admin: Admin;
  sender: Identity;
  consumerId: Identity;
  replay: ReplayStore;
  bw: KafkaBinding;
  /** Unsettled records of `group` on the work topic: end offsets minus committed offsets. */
  pendingOf(group: string): Promise<number>;
}

interface Record_ {
  where: string;
  topic: string;
  key: Uint8Array | null;
  value: Uint8Array | null;
  headers: { key: string; value: Uint8Array | null }[];
}

const asStored = (r: Record_): StoredMessage => ({
  where: r.where,
  body: r.value ?? new Uint8Array(0),
  headers: Buffer.concat([
    Buffer.from(r.key ?? new Uint8Array(0)),
    ...r.headers.map((h) =>
      Buffer.concat([Buffer.from(`\n${h.key}: `), Buffer.from(h.value ?? new Uint8Array(0))]),
    ),
  ]),
});

const headerText = (r: Record_, name: string): string | undefined => {
  const h = r.headers.find((x) => x.key.toLowerCase() === name);
  return h?.value ? Buffer.from(h.value).toString() : undefined;
};

/** The spy: a consumer of its own group reading both topics from offset 0. */
async function startSpy(kafka: Kafka, run: string, topics: string[]) {
  const spy = kafka.consumer({ groupId: `spy-${run}`, ...GROUP_TIMINGS });
  await spy.connect();
  await spy.subscribe({ topics, fromBeginning: true });
  let captured: Record_[] = [];
  const all: Record_[] = [];
  await spy.run({
    eachMessage: async ({ topic, partition, message }) => {
      const headers = Object.entries(message.headers ?? {}).flatMap(([key, v]) =>
        (Array.isArray(v) ? v : [v]).map((x) => ({
          key,
          value: x === undefined ? null : Buffer.from(x),
        })),
      );
      const r = {
        where: `spy ${topic}/${partition}@${message.offset}`,
        topic,
        key: message.key,
        value: message.value,
        headers,
      };
      captured.push(r);
      all.push(r);
    },
  });
  return {
    consumer: spy,
    all,
    drain: () => {
      const now = captured;
      captured = [];
      return now;
    },
  };
}

export async function createKafkaHarness(): Promise<KafkaHarness> {
  const run = randomBytes(6).toString('hex');
  const topics = { work: `bwc.${run}.jobs`, dead: `bwc.${run}.jobs.dlq` };
  const other = `bwc.${run}.other`;
  const k: TestKafka = await startKafka();
  const kafka = new Kafka({
    brokers: k.brokers,
    clientId: `bwc-${run}`,
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: [topics.work, topics.dead].map((topic) => ({ topic, numPartitions: 1 })),
  });
  const producer = kafka.producer();
  await producer.connect();
  const [sender, disallowed, consumerId] = (await Promise.all(
    ['agent.sender', 'agent.stranger', 'worker.consumer'].map((n) =>
      generateIdentity(`spiffe://conformance.test/${n}-${run}`, { backend: nodeBackend }),
    ),
  )) as [Identity, Identity, Identity];
  const redis = createClient({ url: REDIS_URL });
  await redis.connect();
  const replayPrefix = `bwc:${run}:replay:`;
  const replay = createRedisReplayStore({ client: redis, prefix: replayPrefix });
  const bw = createKafkaBinding({ producer }, { sender, backend: nodeBackend });
  const spy = await startSpy(kafka, run, [topics.work, topics.dead]);

  /** The records of `topic` the spy read, once it has read up to the topic's end offset. */
  const recordsOf = async (topic: string): Promise<Record_[]> => {
    const [p] = await admin.fetchTopicOffsets(topic);
    const end = Number(p?.high ?? 0);
    const mine = () => spy.all.filter((r) => r.topic === topic);
    while (mine().length < end) await new Promise((r) => setTimeout(r, 50));
    return mine();
  };

  const pendingOf = async (group: string): Promise<number> => {
    const ends = await admin.fetchTopicOffsets(topics.work);
    const [done] = await admin.fetchOffsets({ groupId: group, topics: [topics.work] });
    let n = 0;
    for (const p of ends) {
      const c = Number(done?.partitions.find((x) => x.partition === p.partition)?.offset ?? -1);
      n += Number(p.high) - Math.max(c, Number(p.low));
    }
    return n;
  };

  const dir = mkdtempSync(join(tmpdir(), `bwc-${run}-`));
  const configPath = join(dir, 'config.json');
  writeFileSync(
    configPath,
    JSON.stringify({
      brokers: k.brokers,
      topic: topics.work,
      deadLetterTopic: topics.dead,
      group: 'workers',
      timings: GROUP_TIMINGS,
      redisUrl: REDIS_URL,
      replayPrefix,
      identity: exportIdentity(consumerId),
      trusted: [exportPublicIdentity(sender), exportPublicIdentity(disallowed)],
      allowedSenders: [sender.name],
      // Longer than a restart takes (the 6 s session), so a redelivery after a kill meets the lease.
      leaseMs: 8000,
      retry: { maxAttempts: 5, backoffMs: 200, maxBackoffMs: 1000 },
    }),
    { mode: 0o600 },
  );

  const adapter: ConformanceTarget['adapter'] = {
    binding: 'kafka',
    destination: topics.work,
    otherDestination: other,
    deadLetterDestination: topics.dead,
    context: (d) => bindingContext('kafka', d),
    async publishRaw(destination, bytes, hints) {
      const headers = hints?.messageId === undefined ? {} : setRecordHints({}, hints.messageId);
      await producer.send({
        topic: destination,
        messages: [{ value: Buffer.from(bytes), headers }],
      });
    },
    async publishSealed(destination, payload) {
      const r = await bw.send(
        { topic: destination, messages: [{ value: payload }] },
        { to: consumerId },
      );
      return { messageId: r.messages[0]!.messageId };
    },
    startConsumerChild: async (c) =>
      spawnNodeChild(CHILD, [configPath, c.logPath, String(c.incarnation)], {
        env: typeof c.config.fault === 'string' ? { BW_CHILD_FAULT: c.config.fault } : {},
      }),
    // The spy reads both topics from offset 0: what is stored, as the broker delivers it.
    async readStored() {
      await recordsOf(topics.work);
      await recordsOf(topics.dead);
      return spy.drain().map(asStored);
    },
    async readDeadLetters(): Promise<DeadLetter[]> {
      return (await recordsOf(topics.dead)).map((r) => ({
        bytes: r.value ?? new Uint8Array(0),
        reason: headerText(r, 'bw-reason'),
        messageId: headerText(r, 'bw-message-id'),
      }));
    },
    pending: () => pendingOf('workers'),
  };

  const h: KafkaHarness = {
    adapter,
    core,
    recipients: consumerId,
    disallowedSender: disallowed,
    foreignContexts: {
      nats: bindingContext('nats', 'bwc.jobs'),
      amqp: bindingContext('amqp', amqpDestination('bwc', topics.work)),
      redis: bindingContext('redis', topics.work),
    },
    isCommitted: (id, name) => replay.has(id, name),
    startConsumer: (options) => startKafkaConsumer(h, options),
    run,
    kafka,
    producer,
    admin,
    brokers: k.brokers,
    topics,
    group: 'workers',
    replayPrefix,
    sender,
    disallowed,
    consumerId,
    replay,
    bw,
    pendingOf,
    childConfig: { configPath },
    logPath: join(dir, 'run.log'),
    async close() {
      await spy.consumer.disconnect();
      if (!k.testBroker)
        await admin.deleteTopics({ topics: [topics.work, topics.dead] }).catch(() => {});
      await Promise.all([admin.disconnect(), producer.disconnect()]);
      await k.close();
      for await (const keys of redis.scanIterator({ MATCH: `${replayPrefix}*`, COUNT: 1000 }))
        if (keys.length > 0) await redis.del(keys);
      await redis.quit();
      if (!knobs.keep()) rmSync(dir, { recursive: true, force: true });
    },
  };
  return h;
}
