#!/usr/bin/env node
/**
 * One worker process of the billing service. Started twice by index.mjs:
 * both pull from the same durable JetStream consumer and share one replay
 * store (a NATS KV bucket), so a job is handled once even when the server
 * hands it to both. Every job that cannot be opened goes, unchanged and with
 * its reason, to the dead-letter stream.
 *
 *   node worker.mjs <worker-name> <setup.json>
 */
import { readFile } from 'node:fs/promises';
import { importIdentity, importPublicIdentity } from '@blindwire/core';
import { createNatsBinding } from '@blindwire/nats';
import { createNatsKvReplayStore } from '@blindwire/replay';
import { jetstream } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';

const [name, setupFile] = process.argv.slice(2);
const setup = JSON.parse(await readFile(setupFile, 'utf8'));
const worker = await importIdentity(setup.worker); // this service's private keys
const agent = await importPublicIdentity(setup.agent); // the only sender it trusts

const nc = await connect({ servers: setup.servers, name });
const kv = await new Kvm(nc).open(setup.replayBucket);
const bw = createNatsBinding(nc, {
  recipient: worker,
  trustedSenders: [agent],
  replay: createNatsKvReplayStore({ kv }),
  policy: [{ match: 'jobs.>', allowedSenders: ['spiffe://acme.example/agents/*'], maxAge: 600 }],
  retry: { maxAttempts: 3, backoffMs: 200 },
  onEvent: (e) => {
    // Metadata only: no payload, no sender name.
    if (e.verb === 'consume' && e.action !== 'ack')
      process.stdout.write(`${JSON.stringify({ worker: name, event: e })}\n`);
  },
});
const consumer = await jetstream(nc).consumers.get(setup.stream, setup.consumer);
const run = await bw.jetstream(jetstream(nc)).consume(
  consumer,
  async (m) => {
    const job = JSON.parse(new TextDecoder().decode(m.payload));
    await new Promise((r) => setTimeout(r, 5 + Math.random() * 20)); // the work
    process.stdout.write(
      `${JSON.stringify({ worker: name, handled: job.job, amount: job.amount, messageId: m.messageId, sender: m.sender })}\n`,
    );
  },
  { deadLetterSubject: setup.deadLetterSubject },
);
process.stdout.write(`${JSON.stringify({ worker: name, ready: true })}\n`);
const stop = async () => {
  await run.stop();
  await nc.drain();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
await run.done;
