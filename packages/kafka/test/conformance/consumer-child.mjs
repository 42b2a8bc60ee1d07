/**
 * The consumer child of the Kafka conformance suite (SPEC.md §7b), run with
 * plain `node` on the built packages (dist/):
 * `node consumer-child.mjs <config.json> <run.log> <incarnation>`.
 *
 * It consumes the work topic as a member of the group `workers` through
 * @blindwire/kafka on a KafkaJS 2.2.4 consumer (autoCommit off, offsets
 * committed after settlement), writes dead-letter copies through its own
 * producer, and shares the Redis replay store with every incarnation. It
 * appends to the run log (`R` once consuming, `H` from the handler before it
 * returns, `E` per consume event); the handler checks it got an opened
 * plaintext (the workload's `P:` prefix), never ciphertext. SIGTERM stops it
 * cleanly; the harness SIGKILLs it to simulate a crash: the group gives the
 * partition to the next incarnation once the dead member's session ends, and
 * it resumes from the last committed offset.
 *
 * BW_CHILD_FAULT=ack-on-receipt: a broken consumer for the suite's negative
 * case, committing each record's offset when it arrives, before the handler
 * (at-most-once); the binding's own commits are then no-ops.
 */
import { readFileSync } from 'node:fs';
import { importIdentity, importPublicIdentity } from '@blindwire/core';
import { nodeBackend } from '@blindwire/core/backend/node';
import { createKafkaBinding } from '@blindwire/kafka';
import { createRedisReplayStore } from '@blindwire/replay';
import { PLAINTEXT_PREFIX, openRunLog } from '@blindwire/testkit';
import { Kafka, logLevel } from 'kafkajs';
import { createClient } from 'redis';

const [configPath, logPath, incarnation] = process.argv.slice(2);
const c = JSON.parse(readFileSync(configPath, 'utf8'));
const log = openRunLog(logPath, Number(incarnation));
const MARKER = new TextEncoder().encode(PLAINTEXT_PREFIX);

const redis = createClient({ url: c.redisUrl });
await redis.connect();
const kafka = new Kafka({
  brokers: c.brokers,
  clientId: `child-${incarnation}`,
  logLevel: logLevel.NOTHING,
});
const producer = kafka.producer();
const consumer = kafka.consumer({ groupId: c.group, ...c.timings });
await Promise.all([producer.connect(), consumer.connect()]);
await consumer.subscribe({ topics: [c.topic], fromBeginning: true });
const me = await importIdentity(c.identity, { backend: nodeBackend });
const trusted = await Promise.all(
  c.trusted.map((j) => importPublicIdentity(j, { backend: nodeBackend })),
);

/** The fault: the offset committed on receipt, before the handler; the binding's commits ignored. */
const commitOnReceipt = {
  run: (config) =>
    consumer.run({
      ...config,
      eachMessage: async (p) => {
        const next = String(BigInt(p.message.offset) + 1n);
        await consumer.commitOffsets([{ topic: p.topic, partition: p.partition, offset: next }]);
        return config.eachMessage(p);
      },
    }),
  commitOffsets: async () => {},
  stop: () => consumer.stop(),
};
const FAULT = process.env.BW_CHILD_FAULT === 'ack-on-receipt';

const bw = createKafkaBinding(
  { consumer: FAULT ? commitOnReceipt : consumer, producer },
  {
    recipient: me.encryption,
    trustedSenders: trusted,
    replay: createRedisReplayStore({ client: redis, prefix: c.replayPrefix }),
    replayLeaseMs: c.leaseMs,
    policy: [{ match: c.topic, allowedSenders: c.allowedSenders }],
    onEvent: (e) => {
      if (e.verb === 'consume') log.event(e);
    },
    retry: c.retry,
    backend: nodeBackend,
  },
);

// The faulty consumer's handlers work 5-9 ms instead, so that a kill lands in a handler
// after its early offset commit rather than in the commit's round trip (records of a
// partition run one at a time here, so a longer wait would only slow the run).
const WORK_MS = FAULT ? 5 : 0;
// The handler's own work after it logged: 0-4 ms, so that a kill finds
// handlers between their start and the commit.
const handler = async (m) => {
  const opened = MARKER.every((b, i) => m.payload[i] === b);
  if (!opened) {
    log.stray(`NOT-PLAINTEXT ${incarnation} ${m.messageId}`);
    throw new Error('not an opened plaintext');
  }
  log.handled(m.messageId);
  await new Promise((r) => setTimeout(r, WORK_MS + Math.floor(Math.random() * 5)));
};

const run = await bw.run({ eachMessage: handler }, { deadLetterTopic: c.deadLetterTopic });
log.ready();

process.once('SIGTERM', () => {
  void (async () => {
    await run.stop();
    await Promise.all([consumer.disconnect(), producer.disconnect()]);
    await redis.quit();
    log.close();
    process.exit(0);
  })();
});
