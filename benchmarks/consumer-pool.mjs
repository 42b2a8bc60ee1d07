#!/usr/bin/env node
/**
 * `pnpm bench:pool`: throughput of `createConsumer(...).process` (SPEC.md
 * §7b) with a memory replay store, concurrency 16, one recipient, a handler
 * that only counts, opening in the calling thread (core `open`, the default)
 * vs through the Node open pool (`createOpenPool` from `@blindwire/node`)
 * of 1 and of 2 worker threads, at 1 KiB and 64 KiB. Rounds interleave the
 * three openers (a fresh replay store per cell), the first round is warm-up;
 * medians of per-round rates. Plain JavaScript on the BUILT packages: run
 * `pnpm build` first (the root script does).
 *
 *   node benchmarks/consumer-pool.mjs [--rounds 7] [--quick]
 */
import os from 'node:os';
import {
  createConsumer,
  createMemoryReplayStore,
  generateIdentity,
  publicIdentity,
  seal,
} from '@blindwire/core';
import { createOpenPool } from '@blindwire/node';
import { payloadOf } from './lib/bytes.mjs';
import { describeMachine, machineLine } from './lib/machine.mjs';
import { num, sizeLabel } from './lib/report.mjs';
import { summarise } from './lib/stats.mjs';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const roundsArg = args.indexOf('--rounds');
const ROUNDS = roundsArg >= 0 ? Number(args[roundsArg + 1]) : quick ? 3 : 7;
/** Deliveries per cell: about a quarter of a second each on the reference machine. */
const CELLS = quick
  ? [
      { size: 1024, count: 300 },
      { size: 65536, count: 60 },
    ]
  : [
      { size: 1024, count: 2000 },
      { size: 65536, count: 400 },
    ];
const CONCURRENCY = 16;
const CONTEXT = (d) => `blindwire/bench/v1 ${d}`;
const log = (s) => process.stderr.write(`${s}\n`);

const alice = await generateIdentity('spiffe://bench.example/producer');
const bob = await generateIdentity('spiffe://bench.example/consumer');
const pools = { 'pool 1': createOpenPool({ size: 1 }), 'pool 2': createOpenPool({ size: 2 }) };
const OPENERS = [['in-thread', undefined], ...Object.entries(pools)];

/** Envelopes with distinct message ids, sealed once and replayed into a fresh store per cell. */
async function envelopes(size, count) {
  const payload = payloadOf(size);
  const out = [];
  for (let i = 0; i < count; i++) {
    const s = await seal(payload, {
      sender: alice,
      recipients: publicIdentity(bob),
      context: CONTEXT('jobs/run'),
      ttl: 3600,
    });
    out.push(s.envelope);
  }
  return out;
}

/**
 * One cell: every envelope through a new consumer; deliveries per second of
 * wall time, and the CPU time of the whole process (every thread) per delivery.
 */
async function cell(opener, list) {
  let handled = 0;
  const k = createConsumer({
    recipient: bob,
    trustedSenders: [publicIdentity(alice)],
    policy: [{ match: 'jobs/*' }],
    context: CONTEXT,
    replay: createMemoryReplayStore(),
    handler: () => {
      handled++;
    },
    concurrency: CONCURRENCY,
    ...(opener ? { opener } : {}),
  });
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const all = [];
  for (const bytes of list) {
    const { disposition } = await k.submit({ bytes, destination: 'jobs/run', attempt: 1 });
    all.push(disposition);
  }
  const ds = await Promise.all(all);
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(c0);
  if (handled !== list.length || ds.some((d) => d.action !== 'ack'))
    throw new Error(`${handled} of ${list.length} handled: the opener is broken`);
  return { rate: (list.length * 1000) / ms, cpuUs: (cpu.user + cpu.system) / list.length };
}

const machine = describeMachine();
log(`consumer pool benchmark: ${ROUNDS} rounds (+1 warm-up), concurrency ${CONCURRENCY}`);
const sets = [];
for (const { size, count } of CELLS) sets.push({ size, list: await envelopes(size, count) });
const rates = new Map();
const cpus = new Map();
for (let round = 0; round <= ROUNDS; round++) {
  for (const { size, list } of sets) {
    // Rotate the order per round so no opener always runs first.
    for (let j = 0; j < OPENERS.length; j++) {
      const [name, opener] = OPENERS[(j + round) % OPENERS.length];
      const r = await cell(opener, list);
      if (round === 0) continue;
      const key = `${size} ${name}`;
      rates.set(key, [...(rates.get(key) ?? []), r.rate]);
      cpus.set(key, [...(cpus.get(key) ?? []), r.cpuUs]);
    }
  }
  log(`  round ${round}${round === 0 ? ' (warm-up)' : ''} done`);
}
await Promise.all(Object.values(pools).map((p) => p.close()));

console.log(
  `\n${machineLine(machine)}; load average at end ${os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' / ')}`,
);
console.log(
  `createConsumer.process, memory replay store, concurrency ${CONCURRENCY}, medians of ${ROUNDS} rounds\n`,
);
console.log('| Payload | Opener    |  msgs/s | ÷ in-thread | Spread | CPU µs/msg |');
console.log('| ------- | --------- | ------: | ----------: | -----: | ---------: |');
for (const { size } of sets) {
  const base = summarise(rates.get(`${size} in-thread`)).median;
  for (const [name] of OPENERS) {
    const s = summarise(rates.get(`${size} ${name}`));
    const label = name === 'in-thread' ? sizeLabel(size) : '';
    const cpu = summarise(cpus.get(`${size} ${name}`)).median;
    const cells = [
      label.padEnd(7),
      name.padEnd(9),
      num(s.median).padStart(7),
      `${(s.median / base).toFixed(2)}×`.padStart(11),
      `±${Math.round(50 * s.relIqr)}%`.padStart(6),
      num(cpu).padStart(10),
    ];
    console.log(`| ${cells.join(' | ')} |`);
  }
}
