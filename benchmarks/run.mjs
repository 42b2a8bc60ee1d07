#!/usr/bin/env node
/**
 * `pnpm bench`: Blindwire seal/open on every available backend against HPKE,
 * JOSE, libsodium and a bare node:crypto floor, interleaved in this one
 * process (lib/harness.mjs), medians of per-round rates; then the browser
 * bundle size of seal + open. Imports the BUILT @blindwire/core (dist), so
 * run `pnpm build` first (the root `bench` script does).
 * Writes benchmarks/results/latest.json. See README.md for the method.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { USAGE, parseArgs, selectIds } from './lib/args.mjs';
import { payloadOf } from './lib/bytes.mjs';
import { guard, runRounds } from './lib/harness.mjs';
import { describeMachine, machineLine, packageVersions } from './lib/machine.mjs';
import { cpuTable, resultsTable, sizeLabel } from './lib/report.mjs';
import { FLOOR_ID, IMPLEMENTATIONS, REFERENCE_PREFERENCE } from './impls/index.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const RESULTS = new URL('./results/latest.json', import.meta.url);
/** Timed work a full run aims at, so that it ends in about three minutes. */
const TARGET_TIMED_MS = 110_000;
const log = (s) => process.stderr.write(`${s}\n`);
const clamp = (x, lo, hi) => Math.min(hi, Math.max(lo, x));

async function instantiate(impls) {
  const entries = [];
  const missing = [];
  for (const impl of impls) {
    try {
      entries.push({ ...impl, inst: await impl.create() });
    } catch (e) {
      missing.push({ id: impl.id, label: impl.label, reason: e.message });
      log(`! ${impl.label}: not measured: ${e.message}`);
    }
  }
  return { entries, missing };
}

/** The correctness guard for every (size, implementation); a failing one is dropped and the run fails. */
async function guardAll(entries, sizes, failed) {
  const cases = sizes.map((size) => ({ size, payload: payloadOf(size), sealed: new Map() }));
  for (const c of cases) {
    for (const e of entries) {
      try {
        c.sealed.set(e.id, await guard(e.label, e.inst, c.payload));
      } catch (err) {
        failed.push({ id: e.id, label: e.label, size: c.size, reason: err.message });
        log(`! ${e.label} at ${sizeLabel(c.size)}: correctness guard failed: ${err.message}`);
      }
    }
  }
  const bad = new Set(failed.map((f) => f.id));
  return { cases, entries: entries.filter((e) => !bad.has(e.id)) };
}

function buildRows(entries, sizes, results, referenceId) {
  const rows = [];
  for (const size of sizes) {
    const ref = referenceId ? results[size][referenceId] : null;
    for (const e of entries) {
      const r = results[size][e.id];
      const side = (s) => ({
        opsPerSec: s.median,
        mbPerSec: (s.median * size) / 1e6,
        min: s.min,
        max: s.max,
        relIqr: s.relIqr,
        rounds: s.rounds,
      });
      rows.push({
        size,
        id: e.id,
        label: e.label,
        signed: e.signed,
        isReference: e.id === referenceId,
        seal: side(r.seal),
        open: side(r.open),
        ratio: ref
          ? { seal: ref.seal.median / r.seal.median, open: ref.open.median / r.open.median }
          : { seal: null, open: null },
        // Per second of this process's CPU time: the contention cross-check.
        cpu: {
          seal: side(r.sealCpu),
          open: side(r.openCpu),
          ratio: ref
            ? {
                seal: ref.sealCpu.median / r.sealCpu.median,
                open: ref.openCpu.median / r.openCpu.median,
              }
            : { seal: null, open: null },
        },
      });
    }
  }
  return rows;
}

function printBundle(b) {
  console.log(`\nBrowser bundle of seal + open (esbuild, platform browser, minified, gzip -9):`);
  console.log(
    `  ${(b.minBytes / 1024).toFixed(1)} KiB minified, ${b.minGzipKiB.toFixed(1)} KiB min+gzip (target ≤ 40 KiB: ${b.minGzipKiB <= 40 ? 'met' : 'NOT met'})`,
  );
  const top = Object.entries(b.minBytesByPackage)
    .slice(0, 6)
    .map(([k, v]) => `${k} ${(v / 1024).toFixed(1)} KiB`);
  console.log(`  minified bytes by package: ${top.join(', ')}`);
  if (b.withoutNobleMinGzipKiB !== null)
    console.log(
      `  without @noble code (pure fallback + small-input hashes), approximate: ≈${b.withoutNobleMinGzipKiB.toFixed(1)} KiB min+gzip`,
    );
  const clean = b.nodeImports.length === 0 && b.nodeSpecifiersInOutput.length === 0;
  console.log(
    `  node: imports: ${clean ? 'none' : [...b.nodeImports, ...b.nodeSpecifiersInOutput].join('; ')}`,
  );
}

async function main() {
  // --no-pq skips the X-Wing section (lib/pq-section.mjs, then not even loaded).
  const argv = process.argv.slice(2);
  const pqArgs = { argv: argv.filter((a) => a !== '--no-pq'), pq: !argv.includes('--no-pq') };
  const args = parseArgs(pqArgs.argv);
  if (args.help)
    return console.log(
      `${USAGE}\n  --no-pq              skip the post-quantum (X-Wing) section (it runs with --only too)`,
    );
  const ids = selectIds(
    args.only,
    IMPLEMENTATIONS.map((i) => i.id),
  );
  if (args.list)
    return console.log(IMPLEMENTATIONS.map((i) => `${i.id.padEnd(16)} ${i.label}`).join('\n'));

  const machine = describeMachine();
  const versions = packageVersions();
  console.log(`Node ${process.version} (${process.platform} ${process.arch})`);
  console.log(`Machine: ${machineLine(machine)}`);
  console.log(
    `Versions: ${Object.entries(versions)
      .map(([k, v]) => `${k} ${v ?? 'missing'}`)
      .join(', ')}`,
  );

  const { entries: created, missing } = await instantiate(
    IMPLEMENTATIONS.filter((i) => ids.includes(i.id)),
  );
  const failed = [];
  const { cases, entries } = await guardAll(created, args.sizes, failed);
  log(`correctness guard passed: ${entries.map((e) => e.id).join(', ')}`);

  const rounds = args.rounds ?? (args.quick ? 3 : 7);
  const cellCount = Math.max(1, entries.length * args.sizes.length * 2);
  const cellMs =
    args.cellMs ??
    (args.quick ? 25 : Math.round(clamp(TARGET_TIMED_MS / (rounds * cellCount), 50, 200)));
  const warmupMs = args.quick ? 10 : 40;
  log(
    `${entries.length} implementations × ${args.sizes.length} sizes × 2 ops, ${rounds} rounds of ${cellMs} ms per cell`,
  );
  const started = Date.now();
  const cpu0 = process.cpuUsage();
  const results = await runRounds({ entries, cases, rounds, cellMs, warmupMs, log });
  const timedSeconds = (Date.now() - started) / 1000;
  const cpu = process.cpuUsage(cpu0);
  // Above 100% means WebCrypto's thread pool ran beside the main thread.
  const contention = {
    cpuSharePercent: Math.round((cpu.user + cpu.system) / 1e4 / timedSeconds),
    loadavgAtEnd: loadavg().map((x) => Math.round(x * 100) / 100),
  };

  const referenceId = REFERENCE_PREFERENCE.find((id) => entries.some((e) => e.id === id)) ?? null;
  const reference = entries.find((e) => e.id === referenceId);
  const rows = buildRows(entries, args.sizes, results, referenceId);
  console.log(
    `\n${args.quick ? 'QUICK RUN (smoke test, not a measurement)\n' : ''}` +
      `Timed part: ${timedSeconds.toFixed(0)} s, ${rounds} rounds × ${cellMs} ms per cell; this process got ` +
      `${contention.cpuSharePercent}% of one core (load average at end ${contention.loadavgAtEnd.join(' / ')}).\n`,
  );
  console.log(resultsTable(rows, reference?.label));
  console.log(
    `\nCross-check, rates per second of this process's CPU time (other tenants' load mostly cancels):\n`,
  );
  console.log(cpuTable(rows));

  let overhead = null;
  if (args.overhead) {
    const { measureOverhead, overheadTable } = await import('./lib/overhead.mjs');
    try {
      overhead = measureOverhead({ rounds: args.quick ? 3 : 9 });
      console.log(overheadTable(overhead));
    } catch (e) {
      overhead = { error: e.message };
      console.log(`\nLibrary overhead: FAILED: ${e.message}`);
      process.exitCode = 1;
    }
  }

  let bundle = null;
  if (args.bundle) {
    try {
      bundle = await measureBundleSafely();
      printBundle(bundle);
    } catch (e) {
      bundle = { error: e.message };
      console.log(`\nBrowser bundle: FAILED: ${e.message}`);
      process.exitCode = 1;
    }
  }
  let streams = null;
  if (args.streams) {
    const { measureStreams, streamTable } = await import('./impls/blindwire-stream.mjs');
    const o = { bytes: args.streamBytes, backend: 'node', chunkSize: 65536 };
    try {
      streams = { ...o, rows: await measureStreams({ ...o, log }) };
      console.log(streamTable(streams.rows, o));
    } catch (e) {
      streams = { error: e.message };
      console.log(`\nStreams: FAILED: ${e.message}`);
      process.exitCode = 1;
    }
  }
  const pq = pqArgs.pq ? await runPqSection(args.quick, log) : null;
  for (const m of missing) console.log(`Not measured: ${m.label} (${m.reason})`);
  for (const f of failed)
    console.log(`FAILED correctness guard: ${f.label} at ${sizeLabel(f.size)}: ${f.reason}`);
  if (failed.length > 0) process.exitCode = 1;

  const report = {
    schema: 1,
    generatedAt: new Date().toISOString(),
    argv: process.argv.slice(2),
    quick: args.quick,
    machine,
    versions,
    config: { sizes: args.sizes, rounds, cellMs, warmupMs, timedSeconds },
    contention,
    reference: referenceId,
    floor: entries.some((e) => e.id === FLOOR_ID) ? FLOOR_ID : null,
    implementations: entries.map(({ id, label, signed, notes }) => ({ id, label, signed, notes })),
    missing,
    failed,
    overhead,
    bundle,
    streams,
    pq,
    results: rows,
  };
  mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
  writeFileSync(RESULTS, `${JSON.stringify(report, null, 2)}\n`);
  log(`wrote ${fileURLToPath(RESULTS)} (timed part ${timedSeconds.toFixed(0)} s)`);
}

/** The post-quantum section (lib/pq-section.mjs, loaded here); a failure is reported, not thrown. */
async function runPqSection(quick, log) {
  try {
    const { measurePq, pqTable } = await import('./lib/pq-section.mjs');
    const m = await measurePq({ rounds: quick ? 2 : 5, cellMs: quick ? 50 : 300, log });
    console.log(pqTable(m));
    return m;
  } catch (e) {
    console.log(`\nPost-quantum section: FAILED: ${e.message}`);
    process.exitCode = 1;
    return { error: e.message };
  }
}

async function measureBundleSafely() {
  const { measureBundle } = await import('./lib/bundle.mjs');
  const b = await measureBundle(HERE);
  if (b.nodeImports.length > 0 || b.nodeSpecifiersInOutput.length > 0) process.exitCode = 1;
  return b;
}

main().catch((e) => {
  console.error(e.stack ?? e);
  process.exit(1);
});
