/**
 * The NATS work-queue example (SPEC.md §7b, §11b): an agent publishes sealed
 * jobs to a JetStream work queue; two workers of one service consume them
 * through @blindwire/nats, sharing one replay store; a tampered copy and a
 * job from a sender the policy does not allow land, unchanged, in a
 * dead-letter stream. Returns the accounting; every stream it creates is
 * deleted at the end.
 */
import { randomBytes } from 'node:crypto';
import { createMemoryReplayStore, generateIdentity, publicIdentity } from '@blindwire/core';
import { createNatsBinding, readHint } from '@blindwire/nats';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';

export async function runWorkQueue({ servers = '127.0.0.1:4222', jobs = 20 } = {}) {
  const run = randomBytes(3).toString('hex');
  const [WORK, DL] = [`WORK_${run}`, `WORK_DL_${run}`];
  const [subject, dlSubject] = [`work.${run}.jobs`, `work-dl.${run}`];
  const nc = await connect({ servers });
  const jsm = await jetstreamManager(nc);
  const js = jetstream(nc);
  try {
    await jsm.streams.add({ name: WORK, subjects: [`work.${run}.>`], retention: 'workqueue' });
    await jsm.streams.add({ name: DL, subjects: [dlSubject] });
    await jsm.consumers.add(WORK, {
      durable_name: 'workers',
      ack_policy: 'explicit',
      max_deliver: 5,
    });

    const agent = await generateIdentity('spiffe://acme.example/agents/planner');
    const intruder = await generateIdentity('spiffe://acme.example/agents/unknown');
    const worker = await generateIdentity('spiffe://acme.example/services/thumbnailer');

    // The agent's side: seal to the worker service, publish with dedup by message id.
    const agentJs = createNatsBinding(nc, { sender: agent }).jetstream(js);
    const intruderJs = createNatsBinding(nc, { sender: intruder }).jetstream(js);
    const to = publicIdentity(worker);
    const sent = [];
    for (let i = 0; i < jobs; i++)
      sent.push(
        (await agentJs.publish(subject, `resize image ${i} for customer 4711`, { to })).messageId,
      );
    // An intermediary flips one bit of a stored job and republishes it.
    const first = await jsm.streams.getMessage(WORK, { seq: 1 });
    const tampered = Uint8Array.from(first.data);
    tampered[tampered.length - 1] ^= 1;
    await js.publish(subject, tampered);
    // A trusted identity the policy does not allow on this subject.
    await intruderJs.publish(subject, 'delete everything', { to });

    // Two workers of one service: one key, one shared replay store (Redis or PostgreSQL across processes).
    const replay = createMemoryReplayStore();
    const handled = [];
    const workerOptions = {
      recipient: worker,
      trustedSenders: [publicIdentity(agent), publicIdentity(intruder)],
      policy: [
        { match: `work.${run}.*`, allowedSenders: ['spiffe://acme.example/agents/planner'] },
      ],
      replay,
    };
    const runs = [];
    for (const name of ['w1', 'w2']) {
      const bw = createNatsBinding(nc, workerOptions).jetstream(js);
      const consumer = await js.consumers.get(WORK, 'workers');
      runs.push(
        await bw.consume(
          consumer,
          async (m) => {
            handled.push({ worker: name, id: m.messageId });
            await new Promise((r) => setTimeout(r, 10)); // the work
          },
          { deadLetterSubject: dlSubject, maxMessages: 2 },
        ),
      );
    }
    const total = jobs + 2;
    const disposed = () => runs.reduce((n, r) => n + r.stats.acked + r.stats.termed, 0);
    for (let t = 0; disposed() < total && t < 300; t++) await new Promise((r) => setTimeout(r, 50));
    await Promise.all(runs.map((r) => r.stop()));

    const deadLetters = [];
    const info = await jsm.streams.info(DL);
    for (let seq = 1; seq <= info.state.last_seq; seq++) {
      const m = await jsm.streams.getMessage(DL, { seq });
      deadLetters.push({
        reason: readHint(m.header, 'bw-reason'),
        messageId: readHint(m.header, 'bw-message-id'),
        envelope: m.data,
      });
    }
    return { sent, handled, deadLetters, tampered };
  } finally {
    await jsm.streams.delete(WORK).catch(() => undefined);
    await jsm.streams.delete(DL).catch(() => undefined);
    await nc.drain();
  }
}
