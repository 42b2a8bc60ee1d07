#!/usr/bin/env node
/**
 * `pnpm bench:nats`: publish + consume throughput and publish-to-handler
 * latency over NATS core and JetStream, at 1 KiB and 64 KiB, in one process
 * with rounds interleaved: plaintext, the minimal hand-wired sealed loop,
 * the @blindwire/nats binding (memory replay store, events on) and the
 * binding with the Redis replay store. Prints medians and the ratios
 * binding ÷ hand-wired and sealed ÷ plaintext; writes
 * benchmarks/results/nats-latest.json. Imports the BUILT packages: run
 * `pnpm build` first (the root script does). See README.md, "NATS".
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { generateIdentity, publicIdentity } from '@blindwire/core';
import { nodeBackend } from '@blindwire/core/backend/node';
import { createRedisReplayStore } from '@blindwire/replay';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { createClient } from 'redis';
import { payloadOf } from './lib/bytes.mjs';
import { describeMachine, machineLine } from './lib/machine.mjs';
import { NATS_USAGE, parseNatsArgs } from './lib/nats-args.mjs';
import { runCell } from './lib/nats-cell.mjs';
import { natsTable, ratioLines, summarise } from './lib/nats-report.mjs';
import {
  handCore,
  handJs,
  handRedisCore,
  handRedisJs,
  plainCore,
  plainJs,
} from './lib/nats-rows.mjs';
import {
  bindingCore,
  bindingJs,
  bindingRedisCore,
  bindingRedisJs,
  loadBinding,
} from './lib/nats-binding-rows.mjs';

const RESULTS = new URL('./results/nats-latest.json', import.meta.url);
const log = (s) => process.stderr.write(`${s}\n`);
const ROWS = {
  core: [plainCore, handCore, bindingCore, handRedisCore, bindingRedisCore],
  js: [plainJs, handJs, bindingJs, handRedisJs, bindingRedisJs],
};

/** Extra binding rows (memory store) at other concurrencies: `--concurrency-rows`. */
function concurrencyRow(base, c) {
  return {
    id: `binding-c${c}`,
    label: `binding, concurrency ${c}`,
    needsBinding: true,
    start: (env, cell, ctx) => base.start({ ...env, concurrency: c }, cell, ctx),
  };
}

/** Extra JetStream binding rows (memory store) with another pull-ahead: `--pull-ahead-rows`. */
function pullAheadRow(base, n) {
  return {
    ...base,
    id: `binding-ahead-${n}`,
    label: `binding, maxMessages ${n}`,
    start: (env, cell, ctx) => base.start({ ...env, maxMessages: n }, cell, ctx),
  };
}

/**
 * `--binding-b FILE`: another build of @blindwire/nats (its dist/index.js, e.g.
 * built from main) measured beside this one, memory store, same rounds: an
 * A/B of two binding versions in one process. Taken out of argv before the
 * shared parser sees it.
 */
function takeBindingB(argv) {
  const i = argv.indexOf('--binding-b');
  if (i === -1) return { argv, file: undefined };
  const file = argv[i + 1];
  if (file === undefined) throw new Error('--binding-b needs a file');
  return { argv: [...argv.slice(0, i), ...argv.slice(i + 2)], file };
}

function bindingBRow(base, createNatsBinding) {
  return {
    ...base,
    id: 'binding-b',
    label: 'binding B (--binding-b)',
    start: (env, cell, ctx) => base.start({ ...env, createNatsBinding }, cell, ctx),
  };
}

async function setUp(args, run, binding) {
  const nc = await connect({ servers: args.nats, name: `bw-bench-${run}` });
  const jsm = await jetstreamManager(nc);
  const stream = `BWBENCH_${run}`;
  const env = {
    nc,
    jsm,
    js: jetstream(nc),
    stream,
    deadLetterSubject: `bench.${run}.dl.all`,
    backend: nodeBackend,
    ttl: 300,
    concurrency: args.concurrency,
    createNatsBinding: binding.createNatsBinding,
    streams: [],
  };
  const sender = await generateIdentity('spiffe://bench.example/publisher', {
    backend: nodeBackend,
  });
  const recipient = await generateIdentity('spiffe://bench.example/worker', {
    backend: nodeBackend,
  });
  Object.assign(env, {
    sender,
    senderPublic: publicIdentity(sender),
    recipient,
    recipientPublic: publicIdentity(recipient),
  });
  if (args.transports.includes('js')) {
    // Work queue, memory storage (the disk is shared with other tenants), dedup by msgID.
    await jsm.streams.add({
      name: stream,
      subjects: [`bench.${run}.js.>`],
      retention: 'workqueue',
      storage: 'memory',
    });
    env.streams.push(stream);
    await jsm.streams.add({
      name: `${stream}_DL`,
      subjects: [`bench.${run}.dl.>`],
      storage: 'memory',
    });
    env.streams.push(`${stream}_DL`);
  }
  return env;
}

async function setUpRedis(args, env, run) {
  const client = createClient({ url: args.redis });
  client.on('error', () => {}); // a lost connection fails the cell through the store
  await client.connect();
  env.redis = client;
  env.redisPrefix = `bwbench:${run}:`;
  env.redisStore = (prefix) =>
    createRedisReplayStore({ client, prefix: `${env.redisPrefix}${prefix}` });
}

/** Removes the streams and keys this run made (once: also called on SIGINT / SIGTERM). */
async function tearDown(env) {
  if (env.tornDown) return;
  env.tornDown = true;
  for (const s of env.streams) await env.jsm.streams.delete(s).catch(() => {});
  if (env.redis) {
    for await (const keys of env.redis.scanIterator({
      MATCH: `${env.redisPrefix}*`,
      COUNT: 1000,
    })) {
      const batch = Array.isArray(keys) ? keys : [keys];
      if (batch.length) await env.redis.unlink(batch);
    }
    await env.redis.quit().catch(() => {});
  }
  await env.nc.close();
}

/** Every (transport, size, row) cell with its subject and durable consumer. */
async function cellsOf(args, env, run, rows) {
  const cells = [];
  for (const transport of args.transports) {
    for (const size of args.sizes) {
      for (const row of rows[transport]) {
        const tag = `${row.id}.${size}`;
        const cell = { transport, size, row, id: row.id, label: row.label, base: payloadOf(size) };
        cell.subject = `bench.${run}.${transport}.${tag}`;
        cell.durable = `${row.id}_${size}`.replace(/[^A-Za-z0-9_-]/g, '_');
        if (transport === 'js') {
          await env.jsm.consumers.add(env.stream, {
            durable_name: cell.durable,
            filter_subject: cell.subject,
            ack_policy: 'explicit',
          });
        }
        Object.assign(cell, {
          rates: [],
          cpuRates: [],
          p50s: [],
          p99s: [],
          lat50s: [],
          lat99s: [],
        });
        cells.push(cell);
      }
    }
  }
  return cells;
}

async function timeCell(env, cell, ms, window) {
  const row = { start: (ctx) => cell.row.start(env, cell, ctx) };
  return runCell({ row, base: cell.base, ms, window });
}

/** One round of one cell: throughput (window), then latency (one message at a time). */
async function measure(args, env, c, failures) {
  const fail = (x, what) => {
    if (x.errors.length)
      failures.push(`${c.transport} ${c.size} ${c.label} (${what}): ${x.errors[0]}`);
  };
  const x = await timeCell(env, c, args.cellMs, args.window);
  fail(x, 'throughput');
  c.rates.push(x.rate);
  c.cpuRates.push(x.cpuRate);
  c.p50s.push(x.p50);
  c.p99s.push(x.p99);
  if (args.latencyMs > 0) {
    const l = await timeCell(env, c, args.latencyMs, 1);
    fail(l, 'latency');
    c.lat50s.push(l.p50);
    c.lat99s.push(l.p99);
  }
}

async function main() {
  const b = takeBindingB(process.argv.slice(2));
  const args = parseNatsArgs(b.argv);
  if (args.help) return console.log(NATS_USAGE);
  const bindingB = b.file
    ? (await import(pathToFileURL(b.file).href)).createNatsBinding
    : undefined;
  const run = `${Date.now().toString(36)}${process.pid.toString(36)}`;
  const machine = describeMachine();
  console.log(`Machine: ${machineLine(machine)}`);
  const binding = await loadBinding();
  const missing = [];
  const rows = {};
  for (const t of args.transports) {
    rows[t] = ROWS[t].filter((r) => args.only.includes(r.id));
    if (!binding.createNatsBinding) {
      for (const r of rows[t].filter((x) => x.needsBinding))
        missing.push(`${t} ${r.label}: ${binding.reason}`);
      rows[t] = rows[t].filter((r) => !r.needsBinding);
    } else {
      const base = t === 'core' ? bindingCore : bindingJs;
      if (bindingB) rows[t].push(bindingBRow(base, bindingB));
      rows[t].push(...args.concurrencyRows.map((c) => concurrencyRow(base, c)));
      if (t === 'js') rows[t].push(...args.pullAheadRows.map((n) => pullAheadRow(base, n)));
    }
  }
  for (const m of missing) log(`! not measured: ${m}`);
  const env = await setUp(args, run, binding);
  const interrupted = (signal) => {
    log(`${signal}: removing this run's streams and keys`);
    void tearDown(env).finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  const failures = [];
  let cells = [];
  let timedSeconds = 0;
  try {
    if (Object.values(rows).some((rs) => rs.some((r) => r.id.endsWith('redis'))))
      await setUpRedis(args, env, run);
    cells = await cellsOf(args, env, run, rows);
    log(
      `${cells.length} cells, ${args.rounds} rounds of ${args.cellMs} + ${args.latencyMs} ms per cell, window ${args.window}, concurrency ${args.concurrency}`,
    );
    for (const c of cells) {
      const w = await timeCell(env, c, args.warmupMs, args.window);
      if (w.errors.length)
        failures.push(`${c.transport} ${c.size} ${c.label} (warm-up): ${w.errors[0]}`);
    }
    const t0 = Date.now();
    const groups = [...new Set(cells.map((c) => `${c.transport}/${c.size}`))];
    for (let r = 0; r < args.rounds && failures.length === 0; r++) {
      for (const g of groups) {
        const at = cells.filter((c) => `${c.transport}/${c.size}` === g);
        for (let k = 0; k < at.length; k++) {
          await measure(args, env, at[(k + r) % at.length], failures);
        }
      }
      log(`round ${r + 1}/${args.rounds} done (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    }
    timedSeconds = (Date.now() - t0) / 1000;
  } finally {
    await tearDown(env);
  }

  const summary = summarise(cells);
  console.log(
    `\n${args.quick ? 'QUICK RUN (smoke test, not a measurement)\n' : ''}` +
      `Timed part: ${timedSeconds.toFixed(0)} s, ${args.rounds} rounds × (${args.cellMs} ms throughput, ` +
      `window ${args.window} + ${args.latencyMs} ms latency, window 1) per cell, concurrency ${args.concurrency}; load average at end ${loadavg()
        .map((x) => x.toFixed(2))
        .join(' / ')}\n`,
  );
  console.log(natsTable(summary));
  console.log(`\nRatios (medians over rounds):\n${ratioLines(summary)}`);
  for (const m of missing) console.log(`Not measured: ${m}`);
  for (const f of failures) console.log(`FAILED: ${f}`);
  if (failures.length > 0) process.exitCode = 1;

  mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
  const report = {
    schema: 1,
    generatedAt: new Date().toISOString(),
    argv: process.argv.slice(2),
    quick: args.quick,
    machine,
    config: { ...args, timedSeconds },
    missing,
    failures,
    results: summary,
  };
  writeFileSync(RESULTS, `${JSON.stringify(report, null, 2)}\n`);
  log(`wrote ${fileURLToPath(RESULTS)}`);
}

main().catch((e) => {
  console.error(e.stack ?? e);
  process.exit(1);
});
