/**
 * The JetStream work-queue demo, as a function (index.mjs prints it; the
 * test asserts it): an agent publishes sealed jobs to a work-queue stream;
 * two worker processes of the billing service pull them through one durable
 * consumer, sharing a replay store in a NATS KV bucket; a tampered job and a
 * job from an intruder the workers do not trust land, unchanged, in a
 * dead-letter stream with their reasons.
 */
import { spawn } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import {
  exportIdentity,
  exportPublicIdentity,
  generateIdentity,
  publicIdentity,
} from '@blindwire/core';
import { createNatsBinding } from '@blindwire/nats';
import { AckPolicy, jetstream, jetstreamManager, RetentionPolicy } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';

const WORKER = fileURLToPath(new URL('./worker.mjs', import.meta.url));

/**
 * Runs the demo against the NATS server at `servers` and resolves with what
 * each party saw. `jobs` genuine jobs are published, plus one tampered and
 * one from an intruder. Streams and the bucket are removed at the end unless
 * `keep` is set (then `blindwire inspect` can read the dead letters later).
 */
export async function runWorkQueue({ servers = '127.0.0.1:4222', jobs = 12, keep = false } = {}) {
  const run = randomBytes(3).toString('hex');
  const names = {
    stream: `JOBS_${run}`,
    consumer: 'billing-workers',
    deadLetterStream: `JOBS_DLQ_${run}`,
    deadLetterSubject: `dlq.jobs.${run}`,
    replayBucket: `bw-replay-${run}`,
    subject: `jobs.${run}.invoice`,
  };
  const [agent, worker, intruder] = await Promise.all([
    generateIdentity('spiffe://acme.example/agents/planner'),
    generateIdentity('spiffe://acme.example/services/billing'),
    generateIdentity('spiffe://evil.example/agents/intruder'),
  ]);

  const nc = await connect({ servers });
  const jsm = await jetstreamManager(nc);
  const dir = await mkdtemp(join(tmpdir(), 'bw-work-queue-'));
  const children = [];
  try {
    // The work queue, its dead-letter stream, the shared replay bucket.
    await jsm.streams.add({
      name: names.stream,
      subjects: [`jobs.${run}.>`],
      retention: RetentionPolicy.Workqueue,
    });
    await jsm.streams.add({ name: names.deadLetterStream, subjects: [names.deadLetterSubject] });
    await jsm.consumers.add(names.stream, {
      durable_name: names.consumer,
      ack_policy: AckPolicy.Explicit,
      ack_wait: 10_000_000_000, // 10 s in ns
      max_deliver: 5,
    });
    await new Kvm(nc).create(names.replayBucket, { history: 1, max_age: 3_600_000 });

    // The workers' keys reach them through a file only they read (a real
    // deployment loads them from its key store or a directory).
    const setupFile = join(dir, 'setup.json');
    await writeFile(
      setupFile,
      JSON.stringify({
        servers,
        ...names,
        worker: exportIdentity(worker),
        agent: exportPublicIdentity(agent),
      }),
      { mode: 0o600 },
    );
    await chmod(setupFile, 0o600);
    const handled = [];
    const events = [];
    const ready = [];
    for (const w of ['worker-1', 'worker-2']) {
      const child = spawn(process.execPath, [WORKER, w, setupFile], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      children.push(child);
      ready.push(
        new Promise((resolve, reject) => {
          child.once('exit', (code) => reject(new Error(`${w} exited with ${code}`)));
          createInterface({ input: child.stdout }).on('line', (line) => {
            const m = JSON.parse(line);
            if (m.ready) resolve();
            else if (m.handled !== undefined) handled.push(m);
            else if (m.event) events.push(m);
          });
        }),
      );
    }
    await Promise.all(ready);

    // A plain subscriber on the work subjects: what any NATS client with read
    // access (or a server log) sees.
    const wire = [];
    const spy = nc.subscribe(`jobs.${run}.>`, { callback: (_e, m) => wire.push(m.data) });

    // The agent: seal each job for the billing service and publish it.
    const js = jetstream(nc);
    const bwAgent = createNatsBinding(nc, { sender: agent }).jetstream(js);
    const bwIntruder = createNatsBinding(nc, { sender: intruder }).jetstream(js);
    const to = publicIdentity(worker);
    const published = [];
    for (let i = 1; i <= jobs; i++) {
      const job = {
        job: `INV-${1000 + i}`,
        amount: `${(i * 17.5).toFixed(2)} EUR`,
        card: '4111 1111 1111 1111',
      };
      const r = await bwAgent.publish(names.subject, JSON.stringify(job), {
        to,
        contentType: 'application/json',
      });
      published.push({ ...r, job: job.job });
    }
    // The same job published twice (a retry after a lost PubAck): JetStream deduplicates it.
    const again = await bwAgent.publish(names.subject, JSON.stringify({ job: 'INV-1001' }), {
      to,
      messageId: published[0].messageId,
    });
    // A job whose ciphertext a broker-side attacker flipped one bit of.
    const tampered = await tamperedCopy(nc, names, agent, to);
    // A job from a sender the workers do not trust.
    const intruderJob = await bwIntruder.publish(
      names.subject,
      JSON.stringify({ job: 'INV-6666', amount: '9999.00 EUR' }),
      { to },
    );

    // Wait until every job is handled and both rejects are dead-lettered.
    const deadLetters = await waitForDeadLetters(jsm, js, names, 2, () => handled.length >= jobs);
    const raw = await readStream(jsm, names.deadLetterStream);
    spy.unsubscribe();
    if (keep) {
      for (const [i, d] of deadLetters.entries())
        await writeFile(`dead-letter-${i + 1}.bin`, d.data);
    }
    return {
      names,
      published,
      duplicatePublish: again,
      tamperedId: tampered,
      intruderId: intruderJob.messageId,
      handled,
      events,
      deadLetters,
      rawDeadLetterBytes: raw,
      wire,
      card: '4111 1111 1111 1111',
    };
  } finally {
    for (const c of children) c.kill('SIGTERM');
    await Promise.all(
      children.map((c) => new Promise((r) => (c.exitCode !== null ? r() : c.once('exit', r)))),
    );
    if (!keep) {
      await jsm.streams.delete(names.stream).catch(() => {});
      await jsm.streams.delete(names.deadLetterStream).catch(() => {});
      await new Kvm(nc)
        .open(names.replayBucket)
        .then((kv) => kv.destroy())
        .catch(() => {});
    }
    await nc.drain();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Seals a job, flips one bit near the end of the ciphertext, publishes the copy raw. */
async function tamperedCopy(nc, names, agent, to) {
  const { seal, bindingContext } = await import('@blindwire/core');
  const r = await seal(JSON.stringify({ job: 'INV-0000', amount: '1.00 EUR' }), {
    sender: agent,
    recipients: to,
    context: bindingContext('nats', names.subject),
  });
  const bytes = r.envelope.slice();
  bytes[bytes.length - 5] ^= 0x01;
  await jetstream(nc).publish(names.subject, bytes, { msgID: r.messageId });
  return r.messageId;
}

/** Reads the dead-letter stream until it holds `n` entries and `done()` holds. */
async function waitForDeadLetters(jsm, js, names, n, done, ms = 60_000) {
  const end = Date.now() + ms;
  for (;;) {
    const entries = await readStream(jsm, names.deadLetterStream);
    if (entries.length >= n && done()) return entries;
    if (Date.now() > end) throw new Error(`timed out: ${entries.length} dead letters`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Every message of a stream as stored: data and the hint headers. */
async function readStream(jsm, stream) {
  const info = await jsm.streams.info(stream);
  const out = [];
  for (
    let seq = info.state.first_seq;
    seq <= info.state.last_seq && info.state.messages > 0;
    seq++
  ) {
    const m = await jsm.streams.getMessage(stream, { seq }).catch(() => null);
    if (!m) continue;
    out.push({
      seq,
      data: m.data,
      reason: m.header?.get('bw-reason'),
      messageId: m.header?.get('bw-message-id'),
    });
  }
  return out;
}
