/**
 * Sealed jobs on a RabbitMQ quorum queue (SPEC.md §7b, §11b): an agent
 * publishes through `amq.direct`, a worker consumes with @blindwire/amqp,
 * one job fails once and is retried through the delay queue, and a tampered
 * copy lands in the dead-letter queue unchanged with its reason.
 * Needs RabbitMQ on 127.0.0.1:5672 (guest/guest) and `pnpm build`.
 */
import { randomBytes } from 'node:crypto';
import { generateIdentity, publicIdentity, seal } from '@blindwire/core';
import { createAmqpBinding, retryQueueArguments } from '@blindwire/amqp';
import { connect } from 'amqplib';

const url = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const jobs = `example.${randomBytes(4).toString('hex')}.jobs`;
const retry = `${jobs}.retry`;
const dead = `${jobs}.dead`;

const conn = await connect(url);
const ch = await conn.createConfirmChannel();
await ch.assertQueue(jobs, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
await ch.bindQueue(jobs, 'amq.direct', jobs);
await ch.assertQueue(retry, { durable: true, arguments: retryQueueArguments(jobs) });
await ch.assertQueue(dead, { durable: true });

const agent = await generateIdentity('spiffe://example.org/agent');
const worker = await generateIdentity('spiffe://example.org/worker');

// The agent seals as itself, for the worker, bound to amq.direct/<jobs>.
const sending = createAmqpBinding(ch, { sender: agent });
// The worker opens as itself, trusting the agent; retries after 200 ms.
const receiving = createAmqpBinding(ch, {
  recipient: worker.encryption,
  trustedSenders: [publicIdentity(agent)],
  retry: { maxAttempts: 3, backoffMs: 200 },
});

const done = [];
let failOnce = true;
const run = await receiving.consume(
  jobs,
  (m) => {
    const job = new TextDecoder().decode(m.payload);
    if (job === 'resize photo 2' && failOnce) {
      failOnce = false;
      throw new Error('transient failure');
    }
    done.push(`${job} (from ${m.sender}, attempt ${m.attempt})`);
  },
  { deadLetter: { queue: dead }, retryQueue: retry },
);

for (const job of ['resize photo 1', 'resize photo 2', 'resize photo 3'])
  await sending.publish('amq.direct', jobs, job, { to: worker.encryption, confirm: true });
// An attacker flips a bit of a sealed job in transit.
const copy = await seal('resize photo 4', {
  sender: agent,
  recipients: worker.encryption,
  context: `blindwire/amqp/v1 amq.direct/${jobs}`,
});
copy.envelope[copy.envelope.length - 3] ^= 1;
ch.publish('amq.direct', jobs, Buffer.from(copy.envelope));
await ch.waitForConfirms();

const deadline = Date.now() + 15_000;
while ((done.length < 3 || run.stats.deadLettered < 1) && Date.now() < deadline)
  await new Promise((r) => setTimeout(r, 50));
await run.stop();
for (const line of done.sort()) console.log(`done: ${line}`);
const dl = await ch.get(dead, { noAck: true });
if (dl)
  console.log(
    `dead-lettered: ${dl.properties.headers['bw-reason']} (${dl.content.length} bytes, unchanged)`,
  );
for (const q of [jobs, retry, dead]) await ch.deleteQueue(q);
await conn.close();
