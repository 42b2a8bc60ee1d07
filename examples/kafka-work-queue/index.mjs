/**
 * Sealed jobs on a Kafka topic (SPEC.md §7b, §11b): an agent sends sealed
 * jobs with `@blindwire/kafka`; a member of the consumer group `workers`
 * opens them (offsets committed only once each record is settled); a
 * tampered copy lands, unchanged and with its reason, in `<topic>.dlq`.
 * Talks to `KAFKA_BROKERS` when set; otherwise starts the repository's
 * Kafka wire-protocol TEST broker (tests only, in memory; `pnpm build`
 * first) as a child process, stopped at the end. Prints one line per job
 * and the dead-letter reasons.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { createMemoryReplayStore, generateIdentity, publicIdentity } from '@blindwire/core';
import { createKafkaBinding } from '@blindwire/kafka';
import { Kafka, logLevel } from 'kafkajs';

/** `KAFKA_BROKERS`, else the test broker of the repository's test kit, in a child process. */
async function brokers() {
  if (process.env.KAFKA_BROKERS) return { list: process.env.KAFKA_BROKERS.split(','), stop() {} };
  const main = new URL('../../packages/testkit/dist/kafka-broker/main.js', import.meta.url);
  const child = spawn(process.execPath, [fileURLToPath(main), '--port', '0'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [line] = await once(child.stdout, 'data'); // KAFKA_BROKERS=127.0.0.1:PORT
  return { list: [String(line).trim().split('=')[1]], stop: () => child.kill('SIGTERM') };
}

const k = await brokers();
const kafka = new Kafka({ brokers: k.list, clientId: 'example', logLevel: logLevel.NOTHING });
const topic = `example.${randomBytes(4).toString('hex')}.jobs`;
const agent = await generateIdentity('spiffe://example.org/agent');
const worker = await generateIdentity('spiffe://example.org/worker');

const producer = kafka.producer();
// Short fetch long-polls (KafkaJS waits 5 s by default), so that the example stops at once.
const consumer = kafka.consumer({ groupId: `workers-${topic}`, maxWaitTimeInMs: 200 });
await Promise.all([producer.connect(), consumer.connect()]);
await consumer.subscribe({ topics: [topic], fromBeginning: true });

// The consuming side. One process here, so a memory replay store; a group of
// several processes shares one (createRedisReplayStore from @blindwire/replay).
const handled = [];
const workerBw = createKafkaBinding(
  { consumer, producer }, // the producer writes the dead-letter copies
  {
    recipient: worker,
    trustedSenders: [publicIdentity(agent)],
    replay: createMemoryReplayStore(),
    policy: [{ match: topic, allowedSenders: [agent.name] }],
  },
);
const run = await workerBw.run({
  eachMessage: (m) => {
    handled.push(new TextDecoder().decode(m.payload));
    console.log(`worker got "${handled.at(-1)}" from ${m.sender} (key ${m.kafka.key})`);
  },
});

// The publishing side: the keys stay the agent's (they choose the partition).
const agentBw = createKafkaBinding({ producer }, { sender: agent });
await agentBw.send(
  {
    topic,
    messages: [
      { key: 'image-42', value: 'resize image 42' },
      { key: 'video-7', value: 'transcode video 7' },
    ],
  },
  { to: publicIdentity(worker) },
);

// An attacker flips one bit of a stored record and sends it again.
const reader = kafka.consumer({ groupId: `reader-${topic}`, maxWaitTimeInMs: 200 });
await reader.connect();
await reader.subscribe({ topics: [topic, `${topic}.dlq`], fromBeginning: true });
const reasons = [];
let tampered = false;
await reader.run({
  eachMessage: async ({ topic: t, message }) => {
    if (t === topic && !tampered) {
      tampered = true;
      const value = Buffer.from(message.value);
      value[value.length - 1] ^= 1;
      await producer.send({ topic, messages: [{ key: 'forged', value }] });
    } else if (t !== topic) reasons.push(message.headers['bw-reason'].toString());
  },
});

while (reasons.length < 1 || handled.length < 2) await new Promise((r) => setTimeout(r, 50));
console.log(`dead-lettered: ${reasons.join(', ')}`);
await run.stop(); // settles, commits, then stops the consumer
await reader.stop();
await Promise.all([producer.disconnect(), consumer.disconnect(), reader.disconnect()]);
k.stop();
