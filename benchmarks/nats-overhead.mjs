#!/usr/bin/env node
/**
 * The @blindwire/nats binding's own CPU cost per message, without a broker:
 * the binding runs on a fake connection (its subscription yields envelopes
 * sealed beforehand, its `publish` drops the bytes), beside the same work
 * hand-wired (`seal`; `open` + `commit` with at most 16 at once) and core's
 * `createConsumer` alone. CPU time of this process per message, medians over
 * interleaved rounds. The NATS runs (nats.mjs) measure the whole loop; this
 * says which part of the difference is the binding's code. See README.md.
 *
 *   node benchmarks/nats-overhead.mjs [--quick] [--size 1k]
 */
import {
  bindingContext,
  createConsumer,
  createMemoryReplayStore,
  generateIdentity,
  open,
  publicIdentity,
  seal,
  sealedSize,
} from '@blindwire/core';
import { nodeBackend as backend } from '@blindwire/core/backend/node';
import { createNatsBinding } from '@blindwire/nats';
import { payloadOf } from './lib/bytes.mjs';
import { limiter } from './lib/nats-cell.mjs';
import { median } from './lib/stats.mjs';

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const sizeArg = argv[argv.indexOf('--size') + 1];
const SIZE = argv.includes('--size')
  ? Number(sizeArg.replace(/k$/i, '')) * (/k$/i.test(sizeArg) ? 1024 : 1)
  : 1024;
const N = quick ? 300 : 2000;
const ROUNDS = quick ? 3 : 7;
const SUBJECT = 'bench.overhead';
const CONCURRENCY = 16;

const sender = await generateIdentity('spiffe://bench.example/publisher', { backend });
const recipient = await generateIdentity('spiffe://bench.example/worker', { backend });
const senderPublic = publicIdentity(sender);
const to = publicIdentity(recipient);
const payload = payloadOf(SIZE);
const sealOptions = () => ({
  sender,
  recipients: to,
  context: bindingContext('nats', SUBJECT),
  ttl: 300,
  backend,
});

async function sealedBatch() {
  const out = [];
  for (let i = 0; i < N; i++) out.push((await seal(payload, sealOptions())).envelope);
  return out;
}

/** A subscription of nats.js's shape over `envelopes`, and a connection that hands it out. */
const fakeSubscription = (envelopes) => ({
  async *[Symbol.asyncIterator]() {
    for (const data of envelopes) yield { data, subject: SUBJECT };
  },
  unsubscribe() {},
  drain: async () => {},
  closed: new Promise(() => {}),
});
const fakeNc = (envelopes = []) => ({
  info: { max_payload: 1048576, version: '2.9.10' },
  subscribe: () => fakeSubscription(envelopes),
  publish() {},
});

/** Anything but a processed message ends the run: these figures are of the success path. */
function fail(e) {
  console.error(`FAILED: ${e.message}`);
  process.exit(1);
}

/** Resolves after `n` calls of the returned function. */
function countdown(n) {
  let left = n;
  let done;
  const all = new Promise((r) => (done = r));
  return { all, tick: () => --left === 0 && done() };
}

const bindingOptions = (events, replay) => ({
  sender,
  recipient,
  trustedSenders: [senderPublic],
  replay,
  backend,
  ttl: 300,
  concurrency: CONCURRENCY,
  ...(events ? { onEvent: () => {} } : {}),
});

const CONSUME = {
  'hand-wired open + commit': async (envelopes) => {
    const c = countdown(N);
    const replay = createMemoryReplayStore();
    const lim = limiter(CONCURRENCY);
    for await (const m of fakeSubscription(envelopes)) {
      const w = lim.acquire();
      if (w) await w;
      open(m.data, {
        recipient,
        trustedSenders: [senderPublic],
        context: bindingContext('nats', m.subject),
        replay,
        backend,
      })
        .then((o) => o.reservation.commit())
        .then(() => {
          lim.release();
          c.tick();
        }, fail);
    }
    await c.all;
  },
  "core's createConsumer": async (envelopes) => {
    const c = countdown(N);
    const consumer = createConsumer({
      recipient,
      trustedSenders: [senderPublic],
      policy: [{ match: '**' }],
      context: (d) => bindingContext('nats', d),
      replay: createMemoryReplayStore(),
      backend,
      concurrency: CONCURRENCY,
      handler: () => {},
    });
    for await (const m of fakeSubscription(envelopes)) {
      const { disposition } = await consumer.submit({
        bytes: m.data,
        destination: m.subject,
        attempt: 1,
      });
      disposition.then((d) => (d.action === 'ack' ? c.tick() : fail(new Error(d.reason))));
    }
    await c.all;
  },
  'bw.subscribe, events on': async (envelopes) => {
    const c = countdown(N);
    const bw = createNatsBinding(fakeNc(envelopes), {
      ...bindingOptions(false, createMemoryReplayStore()),
      onEvent: (e) => (e.action === 'ack' ? c.tick() : fail(new Error(`${e.action} ${e.code}`))),
    });
    bw.subscribe(SUBJECT, () => {});
    await c.all;
  },
  'bw.subscribe, no events': async (envelopes) => {
    const c = countdown(N);
    const bw = createNatsBinding(
      fakeNc(envelopes),
      bindingOptions(false, createMemoryReplayStore()),
    );
    const sub = bw.subscribe(SUBJECT, () => c.tick());
    await c.all;
    await sub.processed;
  },
};

const PUBLISH = {
  seal: async () => {
    for (let i = 0; i < N; i++) await seal(payload, sealOptions());
  },
  'sealedSize + seal': async () => {
    for (let i = 0; i < N; i++) {
      const o = sealOptions();
      sealedSize(payload, o);
      await seal(payload, o);
    }
  },
  'bw.publish, events on': async () => {
    const bw = createNatsBinding(fakeNc(), bindingOptions(true));
    for (let i = 0; i < N; i++) await bw.publish(SUBJECT, payload, { to });
  },
  'bw.publish, no events': async () => {
    const bw = createNatsBinding(fakeNc(), bindingOptions(false));
    for (let i = 0; i < N; i++) await bw.publish(SUBJECT, payload, { to });
  },
};

const cases = [
  ...Object.entries(PUBLISH).map(([k, f]) => ({ side: 'publish', name: k, f })),
  ...Object.entries(CONSUME).map(([k, f]) => ({ side: 'consume', name: k, f, sealed: true })),
];
for (const c of cases) c.us = [];
process.stderr.write(`${cases.length} cases × ${ROUNDS} rounds × ${N} messages of ${SIZE} B\n`);
for (let r = 0; r < ROUNDS; r++) {
  for (let k = 0; k < cases.length; k++) {
    const c = cases[(k + r) % cases.length];
    const input = c.sealed ? await sealedBatch() : null;
    const c0 = process.cpuUsage();
    const stuck = setTimeout(() => fail(new Error(`${c.name}: not done after 120 s`)), 120_000);
    await c.f(input);
    clearTimeout(stuck);
    const t = process.cpuUsage(c0);
    c.us.push((t.user + t.system) / N);
  }
  process.stderr.write(`round ${r + 1}/${ROUNDS}\n`);
}
console.log(
  `\nCPU µs per ${SIZE} B message (median of ${ROUNDS} rounds; + = over the first row of its side)\n`,
);
for (const side of ['publish', 'consume']) {
  const rows = cases.filter((c) => c.side === side);
  const ref = median(rows[0].us);
  for (const c of rows) {
    const m = median(c.us);
    const d =
      c === rows[0]
        ? 'ref'
        : `${m >= ref ? '+' : ''}${(m - ref).toFixed(0)} µs (${((100 * (m - ref)) / ref).toFixed(0)}%)`;
    console.log(`${side.padEnd(8)} ${c.name.padEnd(28)} ${m.toFixed(0).padStart(6)} µs   ${d}`);
  }
}
