#!/usr/bin/env node
/**
 * `pnpm bench:redis`: throughput and publish-to-handler latency of sealed
 * messaging over Redis Streams (issue 11's benchmark), at 1 KiB and 64 KiB,
 * rows interleaved over rounds: plaintext (XADD + XREADGROUP/XACK), a minimal
 * hand-wired sealed loop doing the same work (seal -> XADD; XREADGROUP ->
 * open with a Redis replay store reservation -> handler -> commit -> XACK)
 * and @blindwire/redis (`add` + `consume`, the same Redis replay store,
 * events on); see lib/redis-rows.mjs. One node-redis client each for XADD,
 * the consumer group and the replay store. Every cell uses a fresh stream,
 * group and store prefix; all keys are removed at the end (and on SIGINT).
 * Prints medians, p50/p99 and the ratios binding ÷ hand-wired and
 * sealed ÷ plaintext. Imports the BUILT packages: run `pnpm build` first
 * (the root script does). Not a test: nothing is asserted, but a cell that
 * loses, corrupts or leaves pending a message fails the run.
 *
 *   node benchmarks/redis.mjs [--quick] [--rounds 5] [--cell-ms 1500]
 *     [--latency-ms 400] [--window 64] [--concurrency 16] [--url redis://127.0.0.1:6379]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { generateIdentity, publicIdentity } from '@blindwire/core';
import { nodeBackend } from '@blindwire/core/backend/node';
import { createRedisReplayStore } from '@blindwire/replay';
import { createClient } from 'redis';
import { payloadOf } from './lib/bytes.mjs';
import { describeMachine, machineLine } from './lib/machine.mjs';
import { runCell } from './lib/nats-cell.mjs';
import { redisTable, summarise } from './lib/redis-report.mjs';
import { binding, hand, plaintext } from './lib/redis-rows.mjs';

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
  concurrency: arg('--concurrency', 16),
  url: argv.includes('--url') ? argv[argv.indexOf('--url') + 1] : 'redis://127.0.0.1:6379',
};
const SIZES = [1024, 65536];
const ROWS = [plaintext, hand, binding];
const RESULTS = new URL('./results/redis-latest.json', import.meta.url);
const log = (s) => process.stderr.write(`${s}\n`);
const run = `${Date.now().toString(36)}${process.pid.toString(36)}`;
const prefix = `bwbench:redis:${run}:`;

async function client() {
  const c = createClient({ url: args.url });
  c.on('error', () => {}); // a lost connection fails the cell through its command
  await c.connect();
  return c;
}

const [pub, sub, store] = await Promise.all([client(), client(), client()]);
const [agent, worker] = await Promise.all(
  ['agent', 'worker'].map((n) =>
    generateIdentity(`spiffe://bench.test/${n}`, { backend: nodeBackend }),
  ),
);
let cellNo = 0;
const env = {
  pub,
  sub,
  agent,
  worker,
  trusted: [publicIdentity(agent)],
  backend: nodeBackend,
  concurrency: args.concurrency,
  blockMs: 100,
  replayStore: (cell) => createRedisReplayStore({ client: store, prefix: `${cell.key}:replay:` }),
};

/** Removes every key of this run: streams, dead-letter streams, replay entries. */
let tornDown = false;
async function tearDown() {
  if (tornDown) return;
  tornDown = true;
  for await (const keys of pub.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 })) {
    const batch = Array.isArray(keys) ? keys : [keys];
    if (batch.length) await pub.unlink(batch);
  }
  await Promise.all([pub, sub, store].map((c) => c.quit().catch(() => {})));
}
const interrupted = (signal) => {
  log(`${signal}: removing this run's keys`);
  void tearDown().finally(() => process.exit(130));
};
process.once('SIGINT', interrupted);
process.once('SIGTERM', interrupted);

/** One timed run of `row` on a fresh stream and group; fails if anything is left pending. */
async function timeCell(row, size, ms, window) {
  const cell = { key: `${prefix}${++cellNo}`, group: 'g' };
  await pub.sendCommand(['XGROUP', 'CREATE', cell.key, cell.group, '$', 'MKSTREAM']);
  const wrapped = {
    start(ctx) {
      const inst = row.start(env, cell, ctx);
      return {
        publish: inst.publish,
        async stop() {
          await inst.stop();
          const [pending] = await pub.sendCommand(['XPENDING', cell.key, cell.group]);
          const dead = await pub.sendCommand(['XLEN', `${cell.key}:dlq`]);
          if (Number(pending) !== 0 || Number(dead) !== 0)
            throw new Error(`${pending} entries left pending, ${dead} dead-lettered`);
        },
      };
    },
  };
  try {
    return await runCell({ row: wrapped, base: payloadOf(size), ms, window });
  } finally {
    await pub.unlink([cell.key, `${cell.key}:dlq`]);
  }
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
log(
  `redis bench: ${args.rounds} rounds of ${args.cellMs} + ${args.latencyMs} ms per cell, ` +
    `window ${args.window}, concurrency ${args.concurrency}`,
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
    `window ${args.window} + ${args.latencyMs} ms latency, window 1) per cell, concurrency ` +
    `${args.concurrency}; load average at end ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' / ')}\n`,
);
console.log(redisTable(summary));
for (const f of failures) console.log(`FAILED: ${f}`);
if (failures.length > 0) process.exitCode = 1;
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
const report = {
  schema: 1,
  generatedAt: new Date().toISOString(),
  argv,
  machine,
  args,
  timedSeconds,
  failures,
  results: summary,
};
writeFileSync(RESULTS, `${JSON.stringify(report, null, 2)}\n`);
log(`wrote ${fileURLToPath(RESULTS)}`);
