#!/usr/bin/env node
/**
 * `pnpm bench:kafka`: throughput and publish-to-handler latency of sealed
 * messaging over Kafka (issue 11's benchmark), at 1 KiB and 64 KiB, rows
 * interleaved over rounds: plaintext (`producer.send` + `eachMessage` with
 * offset commits), a minimal hand-wired sealed loop doing the same work
 * (seal -> send; eachMessage -> open with a replay store reservation ->
 * handler -> commit -> offset commit) and @blindwire/kafka (`send` + `run`,
 * the same replay store, events on); see lib/kafka-rows.mjs. KafkaJS 2.2.4.
 *
 * THE BROKER IS THE REPOSITORY'S KAFKA WIRE-PROTOCOL TEST BROKER (one node,
 * in memory, one partition per topic), started in a child process of its
 * own, unless `KAFKA_BROKERS` names a real cluster: the figures are the
 * binding's cost against that broker, not Apache Kafka's throughput.
 *
 * The replay store is the Redis one of @blindwire/replay (node-redis on
 * 127.0.0.1:6379), or a memory store with `--memory`. Every cell uses a
 * fresh topic and consumer group. Prints medians, p50/p99 and the ratios
 * binding ÷ hand-wired and sealed ÷ plaintext. Imports the BUILT packages:
 * run `pnpm build` first (the root script does). Not a test: nothing is
 * asserted, but a cell that loses, corrupts or dead-letters a message, or
 * leaves an offset uncommitted, fails the run.
 *
 *   node benchmarks/kafka.mjs [--quick] [--rounds 5] [--cell-ms 1500]
 *     [--latency-ms 400] [--window 64] [--memory] [--redis redis://127.0.0.1:6379]
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { createMemoryReplayStore, generateIdentity, publicIdentity } from '@blindwire/core';
import { nodeBackend } from '@blindwire/core/backend/node';
import { createRedisReplayStore } from '@blindwire/replay';
import { createClient } from 'redis';
import { payloadOf } from './lib/bytes.mjs';
import { binding, hand, plaintext } from './lib/kafka-rows.mjs';
import { describeMachine, machineLine } from './lib/machine.mjs';
import { runCell } from './lib/nats-cell.mjs';
import { redisTable as table, summarise } from './lib/redis-report.mjs';

// kafkajs and @blindwire/kafka as the package resolves them (its devDependency and itself).
const kafkaPackage = new URL('../packages/kafka/package.json', import.meta.url);
const fromKafka = createRequire(kafkaPackage);
const { Kafka, logLevel } = fromKafka('kafkajs');
const { createKafkaBinding } = await import(
  new URL('../packages/kafka/dist/index.js', import.meta.url).href
);
const BROKER_MAIN = new URL('../packages/testkit/dist/kafka-broker/main.js', import.meta.url);

const argv = process.argv.slice(2);
const arg = (k, d) => (argv.includes(k) ? Number(argv[argv.indexOf(k) + 1]) : d);
const quick = argv.includes('--quick');
const args = {
  quick,
  rounds: arg('--rounds', quick ? 2 : 5),
  cellMs: arg('--cell-ms', quick ? 800 : 1500),
  latencyMs: arg('--latency-ms', quick ? 300 : 400),
  warmupMs: quick ? 300 : 400,
  window: arg('--window', 64),
  store: argv.includes('--memory') ? 'memory' : 'redis',
  redis: argv.includes('--redis') ? argv[argv.indexOf('--redis') + 1] : 'redis://127.0.0.1:6379',
};
const SIZES = [1024, 65536];
const ROWS = [plaintext, hand, binding];
const RESULTS = new URL('./results/kafka-latest.json', import.meta.url);
const log = (s) => process.stderr.write(`${s}\n`);
const run = `${Date.now().toString(36)}${process.pid.toString(36)}`;

/** `KAFKA_BROKERS`, else the test broker in a child process (so it does not share this event loop). */
async function brokers() {
  const listed = (process.env.KAFKA_BROKERS ?? '').split(',').filter((s) => s.trim() !== '');
  if (listed.length > 0) return { brokers: listed, kind: 'KAFKA_BROKERS', stop: () => {} };
  const child = spawn(process.execPath, [fileURLToPath(BROKER_MAIN), '--port', '0'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /KAFKA_BROKERS=(\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`the test broker exited (${code})`)));
  });
  return {
    brokers: line.split(','),
    kind: 'test broker (child process)',
    stop: () => child.kill('SIGTERM'),
  };
}

const b = await brokers();
const kafka = new Kafka({
  brokers: b.brokers,
  clientId: `bench-${run}`,
  logLevel: logLevel.NOTHING,
});
const producer = kafka.producer();
const admin = kafka.admin();
await Promise.all([producer.connect(), admin.connect()]);
let redis;
if (args.store === 'redis') {
  redis = createClient({ url: args.redis });
  redis.on('error', () => {}); // a lost connection fails the cell through its command
  await redis.connect();
}
const [agent, worker] = await Promise.all(
  ['agent', 'worker'].map((n) =>
    generateIdentity(`spiffe://bench.test/${n}`, { backend: nodeBackend }),
  ),
);
let cellNo = 0;
const env = {
  kafka,
  producer,
  agent,
  worker,
  trusted: [publicIdentity(agent)],
  backend: nodeBackend,
  createKafkaBinding,
  timings: {
    sessionTimeout: 6000,
    heartbeatInterval: 1000,
    rebalanceTimeout: 10_000,
    maxWaitTimeInMs: 50,
  },
  replayStore: (cell) =>
    redis
      ? createRedisReplayStore({ client: redis, prefix: `bwbench:kafka:${run}:${cell.topic}:` })
      : createMemoryReplayStore(),
};

let tornDown = false;
async function tearDown() {
  if (tornDown) return;
  tornDown = true;
  if (redis) {
    for await (const keys of redis.scanIterator({ MATCH: `bwbench:kafka:${run}:*`, COUNT: 1000 })) {
      const batch = Array.isArray(keys) ? keys : [keys];
      if (batch.length) await redis.unlink(batch);
    }
    await redis.quit().catch(() => {});
  }
  await Promise.all([producer.disconnect(), admin.disconnect()]).catch(() => {});
  b.stop();
}
const interrupted = (signal) => {
  log(`${signal}: cleaning up`);
  void tearDown().finally(() => process.exit(130));
};
process.once('SIGINT', interrupted);
process.once('SIGTERM', interrupted);

/** One timed run of `row` on a fresh topic and group; fails unless every offset is committed. */
async function timeCell(row, size, ms, window) {
  const cell = { topic: `bwbench.${run}.${++cellNo}`, group: `bwbench-${run}-${cellNo}` };
  await admin.createTopics({ topics: [{ topic: cell.topic, numPartitions: 1 }] });
  let published = 0;
  const wrapped = {
    async start(ctx) {
      const inst = await row.start(env, cell, ctx);
      return {
        publish: (p) => {
          published++;
          return inst.publish(p);
        },
        async stop() {
          await inst.stop();
          const [t] = await admin.fetchOffsets({ groupId: cell.group, topics: [cell.topic] });
          const done = Number(t?.partitions[0]?.offset ?? -1);
          if (done !== published) throw new Error(`${published} sent, offset ${done} committed`);
        },
      };
    },
  };
  return runCell({ row: wrapped, base: payloadOf(size), ms, window });
}

const cells = SIZES.flatMap((size) =>
  ROWS.map((row) => ({
    size,
    row,
    rates: [],
    cpuRates: [],
    p50s: [],
    p99s: [],
    lat50s: [],
    lat99s: [],
  })),
);
const failures = [];
const failed = (c, what, x) => {
  if (x.errors.length) failures.push(`${c.size} ${c.row.id} (${what}): ${x.errors[0]}`);
};
const machine = describeMachine();
console.log(`Machine: ${machineLine(machine)}`);
console.log(`Brokers: ${b.kind} ${b.brokers.join(',')}; replay store: ${args.store}`);
log(
  `kafka bench: ${args.rounds} rounds of ${args.cellMs} + ${args.latencyMs} ms per cell, ` +
    `window ${args.window}`,
);
let timedSeconds = 0;
try {
  for (const c of cells)
    failed(c, 'warm-up', await timeCell(c.row, c.size, args.warmupMs, args.window));
  const t0 = Date.now();
  for (let r = 0; r < args.rounds && failures.length === 0; r++) {
    for (const size of SIZES) {
      const at = cells.filter((c) => c.size === size);
      for (let k = 0; k < at.length; k++) {
        const c = at[(k + r) % at.length]; // rows rotated by one per round
        const x = await timeCell(c.row, size, args.cellMs, args.window);
        failed(c, 'throughput', x);
        c.rates.push(x.rate);
        c.cpuRates.push(x.cpuRate);
        c.p50s.push(x.p50);
        c.p99s.push(x.p99);
        const l = await timeCell(c.row, size, args.latencyMs, 1);
        failed(c, 'latency', l);
        c.lat50s.push(l.p50);
        c.lat99s.push(l.p99);
      }
    }
    log(`round ${r + 1}/${args.rounds} done (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  }
  timedSeconds = (Date.now() - t0) / 1000;
} finally {
  await tearDown();
}

const summary = summarise(cells);
console.log(
  `\n${quick ? 'QUICK RUN (smoke test, not a measurement)\n' : ''}` +
    `Timed part: ${timedSeconds.toFixed(0)} s, ${args.rounds} rounds × (${args.cellMs} ms throughput, ` +
    `window ${args.window} + ${args.latencyMs} ms latency, window 1) per cell; load average at end ` +
    `${loadavg()
      .map((x) => x.toFixed(2))
      .join(' / ')}\n`,
);
console.log(table(summary));
for (const f of failures) console.log(`FAILED: ${f}`);
if (failures.length > 0) process.exitCode = 1;
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
const report = {
  schema: 1,
  generatedAt: new Date().toISOString(),
  argv,
  machine,
  brokers: b.kind,
  args,
  timedSeconds,
  failures,
  results: summary,
};
writeFileSync(RESULTS, `${JSON.stringify(report, null, 2)}\n`);
log(`wrote ${fileURLToPath(RESULTS)}`);
