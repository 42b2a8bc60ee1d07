#!/usr/bin/env node
/**
 * `pnpm bench:mqtt`: throughput and publish-to-handler latency of sealed
 * messaging over MQTT 5 on Mosquitto (issue 11's benchmark), at 1 KiB and
 * 64 KiB, rows interleaved over rounds: plaintext, a minimal hand-wired
 * sealed loop doing the same work, and @blindwire/mqtt (`publish` +
 * `subscribe`); see lib/mqtt-rows.mjs. One mqtt.js client publishes (QoS 1,
 * PUBACK awaited), another consumes (QoS 1, PUBACK after the handler and the
 * commit), a third takes the binding's dead-letter copies (none expected).
 * Every cell uses a fresh topic. Prints medians, p50/p99 and the ratios
 * binding ÷ hand-wired and sealed ÷ plaintext. Imports the BUILT packages:
 * run `pnpm build` first (the root script does). Not a test: nothing is
 * asserted, but a cell that loses or corrupts a message fails the run.
 *
 *   node benchmarks/mqtt.mjs [--quick] [--rounds 5] [--cell-ms 1500]
 *     [--latency-ms 400] [--window 64] [--url mqtt://127.0.0.1:1883]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { generateIdentity, publicIdentity } from '@blindwire/core';
import { nodeBackend } from '@blindwire/core/backend/node';
import mqtt from 'mqtt';
import { payloadOf } from './lib/bytes.mjs';
import { describeMachine, machineLine } from './lib/machine.mjs';
import { binding, hand, plaintext } from './lib/mqtt-rows.mjs';
import { runCell } from './lib/nats-cell.mjs';
import { redisTable as table, summarise } from './lib/redis-report.mjs';

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
  url: argv.includes('--url') ? argv[argv.indexOf('--url') + 1] : 'mqtt://127.0.0.1:1883',
};
const SIZES = [1024, 65536];
const ROWS = [plaintext, hand, binding];
const RESULTS = new URL('./results/mqtt-latest.json', import.meta.url);
const log = (s) => process.stderr.write(`${s}\n`);
const run = `${Date.now().toString(36)}${process.pid.toString(36)}`;

const connect = () => mqtt.connectAsync(args.url, { protocolVersion: 5, reconnectPeriod: 0 });
const [pub, sub, copies] = await Promise.all([connect(), connect(), connect()]);
const [agent, worker] = await Promise.all(
  ['agent', 'worker'].map((n) =>
    generateIdentity(`spiffe://bench.test/${n}`, { backend: nodeBackend }),
  ),
);
const env = {
  pub,
  sub,
  copies,
  agent,
  worker,
  trusted: [publicIdentity(agent)],
  backend: nodeBackend,
};
let cellNo = 0;

const tearDown = () => Promise.all([pub, sub, copies].map((c) => c.endAsync(true).catch(() => {})));
process.once('SIGINT', () => void tearDown().finally(() => process.exit(130)));

/** One timed run of `row` on a fresh topic. */
async function timeCell(row, size, ms, window) {
  const cell = { topic: `bwbench/mqtt/${run}/${++cellNo}` };
  const wrapped = { start: (ctx) => row.start(env, cell, ctx) };
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
log(
  `mqtt bench: ${args.rounds} rounds of ${args.cellMs} + ${args.latencyMs} ms per cell, window ${args.window}`,
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
  args,
  timedSeconds,
  failures,
  results: summary,
};
writeFileSync(RESULTS, `${JSON.stringify(report, null, 2)}\n`);
log(`wrote ${fileURLToPath(RESULTS)}`);
