/**
 * Library overhead: seal/open through a backend that does no cryptography,
 * measured in a child process (lib/overhead-child.mjs, which needs
 * --expose-gc) so that its heap and flags do not touch the timed rows.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { num, sizeLabel } from './report.mjs';

const CHILD = fileURLToPath(new URL('./overhead-child.mjs', import.meta.url));

/** Targets of the library overhead per 256 B seal and open. */
export const OVERHEAD_TARGETS = { cpuUs: 15, allocBytes: 10 * 1024 };

export function measureOverhead({ sizes = [256, 4096], rounds = 9, batch = 10 } = {}) {
  const stdout = execFileSync(
    process.execPath,
    ['--expose-gc', CHILD, JSON.stringify({ sizes, rounds, batch })],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
  );
  return JSON.parse(stdout.trim().split('\n').pop());
}

const kib = (b) => (b === null ? 'n/a' : `${(b / 1024).toFixed(1)} KiB`);

export function overheadTable(rows) {
  const lines = [
    `\nLibrary overhead: Blindwire seal/open through a backend that does no cryptography`,
    `(benchmarks/impls/no-crypto-backend.mjs), CPU µs per call (median of rounds, min-max) and bytes`,
    `allocated per call (V8 heap + ArrayBuffer backing stores, batches without GC, median). Path "sync":`,
    `with a synchronous twin, as the node backend runs; "async": without, as the pure and web backends run.`,
    `Targets at 256 B: ≤ ${OVERHEAD_TARGETS.cpuUs} µs CPU, ≤ ${kib(OVERHEAD_TARGETS.allocBytes)} allocated.\n`,
    '| Path | Size | Op | CPU µs/op | min-max | heap/op | buffers/op | total/op |',
    '| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of rows) {
    const total = r.heapBytes === null ? null : r.heapBytes + r.bufferBytes;
    lines.push(
      `| ${r.path} | ${sizeLabel(r.size)} | ${r.op} | ${num(r.cpuUs)} | ${num(r.cpuUsMin)}-${num(r.cpuUsMax)} | ` +
        `${kib(r.heapBytes)} | ${kib(r.bufferBytes)} | ${kib(total)} |`,
    );
  }
  return lines.join('\n');
}
