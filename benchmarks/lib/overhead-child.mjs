/**
 * The library-overhead measurement, run by overhead.mjs in a child process
 * started with --expose-gc: Blindwire seal/open through the no-crypto
 * backend (impls/no-crypto-backend.mjs), so what is left is the library's
 * own JavaScript, allocation and GC. Prints one JSON line.
 *
 * - CPU µs/op: process.cpuUsage over a batch of sequential calls, one batch
 *   per round, the median of the rounds. CPU time, not wall time, so other
 *   tenants of a shared machine barely move it.
 * - Bytes allocated/op: gc(), then a small batch of calls, then the growth
 *   of the V8 heap (`heapUsed`) and of ArrayBuffer backing stores
 *   (`arrayBuffers`, which holds typed arrays too large to live on the heap),
 *   divided by the batch. A batch during which any GC ran (seen by a
 *   PerformanceObserver) is dropped, since GC would hide what it freed.
 */
import { PerformanceObserver } from 'node:perf_hooks';
import * as core from '@blindwire/core';
import { noCryptoBackend, noCryptoSyncBackend } from '../impls/no-crypto-backend.mjs';
import { median } from './stats.mjs';

const { sizes, rounds, batch } = JSON.parse(process.argv[2]);
if (typeof globalThis.gc !== 'function') throw new Error('run with --expose-gc');

let gcs = 0;
new PerformanceObserver((list) => (gcs += list.getEntries().length)).observe({
  entryTypes: ['gc'],
});
const settle = () => new Promise((r) => setTimeout(r, 0));

/** The path each backend takes: `sync` with a synchronous twin (node), `async` without (pure, web). */
const BACKENDS = { sync: noCryptoSyncBackend, async: noCryptoBackend };

async function opsFor(backend) {
  const sender = await core.generateIdentity('spiffe://bench.example/sender', { backend });
  const recipient = await core.generateIdentity('spiffe://bench.example/recipient', { backend });
  const recipients = core.publicIdentity(recipient);
  const trustedSenders = [core.publicIdentity(sender)];
  return {
    seal: async (p) => (await core.seal(p, { sender, recipients, backend })).envelope,
    open: async (e) => (await core.open(e, { recipient, trustedSenders, backend })).payload,
  };
}

async function cpuPerOp(fn, input, n) {
  const c0 = process.cpuUsage();
  for (let i = 0; i < n; i++) await fn(input);
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / n;
}

async function allocPerOp(fn, input, n) {
  const heap = [];
  const buffers = [];
  for (let tries = 0; heap.length < rounds && tries < rounds * 10; tries++) {
    globalThis.gc();
    await settle();
    const g0 = gcs;
    const m0 = process.memoryUsage();
    for (let i = 0; i < n; i++) await fn(input);
    const m1 = process.memoryUsage();
    await settle();
    if (gcs !== g0) continue;
    heap.push((m1.heapUsed - m0.heapUsed) / n);
    buffers.push((m1.arrayBuffers - m0.arrayBuffers) / n);
  }
  if (heap.length === 0) return { heap: null, buffers: null, samples: 0 };
  return { heap: median(heap), buffers: median(buffers), samples: heap.length };
}

const out = [];
for (const [path, backend] of Object.entries(BACKENDS)) {
  const ops = await opsFor(backend);
  for (const size of sizes) {
    const payload = new Uint8Array(size).fill(0x61);
    const envelope = await ops.seal(payload);
    const input = { seal: payload, open: envelope };
    for (const op of ['seal', 'open']) {
      const fn = ops[op];
      await cpuPerOp(fn, input[op], 2000); // warm-up
      const n = Math.max(200, Math.round(200_000 / Math.max(size, 1024)));
      const cpu = [];
      for (let r = 0; r < rounds; r++) cpu.push(await cpuPerOp(fn, input[op], n));
      const alloc = await allocPerOp(fn, input[op], batch);
      out.push({
        path,
        size,
        op,
        cpuUs: median(cpu),
        cpuUsMin: Math.min(...cpu),
        cpuUsMax: Math.max(...cpu),
        heapBytes: alloc.heap,
        bufferBytes: alloc.buffers,
        allocSamples: alloc.samples,
      });
    }
  }
}
process.stdout.write(`${JSON.stringify(out)}\n`);
