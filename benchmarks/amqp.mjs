#!/usr/bin/env node
/**
 * `pnpm bench:amqp`: publish + consume throughput and publish-to-handler
 * latency over RabbitMQ (classic queue, one connection, a confirm channel
 * for consuming), at 1 KiB and 64 KiB, rounds interleaved: plaintext
 * (`sendToQueue` + ack), a minimal hand-wired sealed loop (`seal`, then
 * `open` with a memory replay reservation, handler, `commit`, ack) and the
 * @blindwire/amqp binding (memory replay store, events on). Prints medians,
 * p50/p99 latency and the ratios binding ÷ hand-wired and sealed ÷
 * plaintext. Imports the BUILT packages: run `pnpm build` first (the root
 * script does). Not a test: nothing is asserted (issue 11's benchmark).
 *
 *   node benchmarks/amqp.mjs [--rounds 5] [--quick] [--url amqp://...]
 */
import { randomBytes } from 'node:crypto';
import { createAmqpBinding } from '@blindwire/amqp';
import {
  bindingContext,
  createMemoryReplayStore,
  generateIdentity,
  open,
  publicIdentity,
  seal,
} from '@blindwire/core';
import { nodeBackend } from '@blindwire/core/backend/node';
import { connect } from 'amqplib';
import { payloadOf } from './lib/bytes.mjs';
import { describeMachine, machineLine } from './lib/machine.mjs';
import { quantile, summarise } from './lib/stats.mjs';

const argv = process.argv.slice(2);
const arg = (k, d) => (argv.includes(k) ? argv[argv.indexOf(k) + 1] : d);
const quick = argv.includes('--quick');
const ROUNDS = Number(arg('--rounds', quick ? 2 : 5));
const URL = arg('--url', 'amqp://guest:guest@127.0.0.1:5672');
const SIZES = [
  { label: '1 KiB', bytes: 1024, n: quick ? 300 : 3000 },
  { label: '64 KiB', bytes: 65536, n: quick ? 100 : 600 },
];
const WINDOW = 128; // messages published ahead of the handlers
const log = (s) => process.stderr.write(`${s}\n`);
const run = randomBytes(4).toString('hex');
let cellNo = 0;

const conn = await connect(URL);
const pub = await conn.createChannel();
const admin = await conn.createChannel();
const [agent, worker] = await Promise.all(
  ['agent', 'worker'].map((n) =>
    generateIdentity(`spiffe://bench.test/${n}`, { backend: nodeBackend }),
  ),
);
const trusted = [publicIdentity(agent)];

/** One cell: n messages through `row`, the queue fresh; rate and latencies. */
async function cell(row, size) {
  const queue = `bench.${run}.${++cellNo}`;
  await admin.assertQueue(queue, { durable: false, autoDelete: false });
  await admin.assertQueue(`${queue}.retry`, { durable: false });
  await admin.assertQueue(`${queue}.dead`, { durable: false });
  const ch = await conn.createConfirmChannel();
  const payloads = Array.from({ length: size.n }, (_, i) => {
    const p = payloadOf(size.bytes);
    new DataView(p.buffer).setUint32(0, i);
    return p;
  });
  const sentAt = new Float64Array(size.n);
  const lat = [];
  let handled = 0;
  let wake = () => {};
  const onHandled = (payload) => {
    const i = new DataView(payload.buffer, payload.byteOffset, 4).getUint32(0);
    lat.push(performance.now() - sentAt[i]);
    handled++;
    wake();
  };
  const ctx = await row.start(ch, queue, onHandled);
  const t0 = performance.now();
  for (let i = 0; i < size.n; i++) {
    while (i - handled >= WINDOW) await new Promise((r) => (wake = r));
    sentAt[i] = performance.now();
    await ctx.send(payloads[i]);
  }
  while (handled < size.n) await new Promise((r) => (wake = r));
  const secs = (performance.now() - t0) / 1000;
  await ctx.stop();
  await ch.close();
  for (const q of [queue, `${queue}.retry`, `${queue}.dead`]) await admin.deleteQueue(q);
  return { rate: size.n / secs, p50: quantile(lat, 0.5), p99: quantile(lat, 0.99) };
}

const plaintext = {
  id: 'plaintext',
  async start(ch, queue, onHandled) {
    const { consumerTag } = await ch.consume(queue, (m) => {
      onHandled(new Uint8Array(m.content));
      ch.ack(m);
    });
    return {
      send: async (p) => void pub.sendToQueue(queue, Buffer.from(p)),
      stop: () => ch.cancel(consumerTag),
    };
  },
};

const hand = {
  id: 'hand-wired',
  async start(ch, queue, onHandled) {
    const replay = createMemoryReplayStore();
    const context = bindingContext('amqp', `/${queue}`);
    await ch.prefetch(32);
    const { consumerTag } = await ch.consume(queue, (m) => {
      void (async () => {
        const r = await open(new Uint8Array(m.content), {
          recipient: worker.encryption,
          trustedSenders: trusted,
          context,
          replay,
          backend: nodeBackend,
        });
        onHandled(r.payload);
        await r.reservation.commit();
        ch.ack(m);
      })();
    });
    return {
      async send(p) {
        const s = await seal(p, {
          sender: agent,
          recipients: worker.encryption,
          context,
          backend: nodeBackend,
        });
        pub.sendToQueue(
          queue,
          Buffer.from(s.envelope.buffer, s.envelope.byteOffset, s.envelope.length),
          {
            contentType: 'application/vnd.blindwire.envelope',
            messageId: s.messageId,
          },
        );
      },
      stop: () => ch.cancel(consumerTag),
    };
  },
};

const binding = {
  id: 'binding',
  async start(ch, queue, onHandled) {
    const events = { n: 0 };
    const opts = { backend: nodeBackend, onEvent: () => void events.n++ };
    const sending = createAmqpBinding(pub, { ...opts, sender: agent });
    const receiving = createAmqpBinding(ch, {
      ...opts,
      recipient: worker.encryption,
      trustedSenders: trusted,
      replay: createMemoryReplayStore(),
    });
    const r = await receiving.consume(queue, (m) => onHandled(m.payload), {
      deadLetter: { queue: `${queue}.dead` },
      retryQueue: `${queue}.retry`,
      prefetch: 32,
    });
    return {
      send: (p) => sending.sendToQueue(queue, p, { to: worker.encryption, expiration: false }),
      stop: () => r.stop(),
    };
  },
};

const ROWS = [plaintext, hand, binding];
log(machineLine(describeMachine()));
log(`amqp bench: ${ROUNDS} rounds, rows interleaved, window ${WINDOW}, prefetch 32`);
const results = {};
for (const size of SIZES) {
  for (const row of ROWS) results[`${size.label} ${row.id}`] = [];
  await cell(plaintext, { ...size, n: Math.min(size.n, 200) }); // warm-up
  for (let r = 0; r < ROUNDS; r++)
    for (const row of ROWS) results[`${size.label} ${row.id}`].push(await cell(row, size));
}
const fmt = (x) => (x >= 100 ? x.toFixed(0) : x.toFixed(1));
console.log('| size | row | msgs/s (median) | p50 ms | p99 ms |');
console.log('| --- | --- | --- | --- | --- |');
const med = {};
for (const [k, cells] of Object.entries(results)) {
  const s = summarise(cells.map((c) => c.rate));
  med[k] = s.median;
  const [size, ...row] = k.split(' ');
  console.log(
    `| ${size} ${row[0]} | ${row.slice(1).join(' ')} | ${fmt(s.median)} | ${fmt(
      quantile(
        cells.map((c) => c.p50),
        0.5,
      ),
    )} | ${fmt(
      quantile(
        cells.map((c) => c.p99),
        0.5,
      ),
    )} |`,
  );
}
for (const size of SIZES) {
  const m = (id) => med[`${size.label} ${id}`];
  console.log(
    `${size.label}: binding / hand-wired = ${(m('binding') / m('hand-wired')).toFixed(2)}x, ` +
      `hand-wired / plaintext = ${(m('hand-wired') / m('plaintext')).toFixed(2)}x, ` +
      `binding / plaintext = ${(m('binding') / m('plaintext')).toFixed(2)}x`,
  );
}
await conn.close();
