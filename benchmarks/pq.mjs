#!/usr/bin/env node
/**
 * Post-quantum hybrid (X-Wing) benchmarks of @blindwire/core, on their own
 * (`pnpm bench:pq`); `pnpm bench` runs the same section (lib/pq-section.mjs)
 * unless given --no-pq.
 *
 *   node benchmarks/pq.mjs [--rounds N] [--cell-ms MS] [--json FILE]
 *
 * Runs against the BUILT core (`pnpm bench:pq` builds first).
 */
import { writeFile } from 'node:fs/promises';
import { describeMachine, machineLine } from './lib/machine.mjs';
import { measurePq, pqTable } from './lib/pq-section.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i < 0 ? dflt : args[i + 1];
};
const machine = describeMachine();
console.log(machineLine(machine));
const m = await measurePq({
  rounds: Number(opt('--rounds', 5)),
  cellMs: Number(opt('--cell-ms', 400)),
  log: (s) => process.stderr.write(`${s}\n`),
});
console.log(pqTable(m));
const json = opt('--json', undefined);
if (json) await writeFile(json, JSON.stringify({ machine, ...m }, null, 2));
