/**
 * The timing loop. Every implementation runs in this one process, interleaved:
 * each round visits every (size, implementation, operation) cell once, for a
 * fixed time budget, with the implementation order rotated and the
 * seal/open order alternated from round to round, so slow drifts of a shared
 * machine (other tenants, thermal, GC pressure) hit every implementation alike.
 * A cell's figure is the median of its per-round rates.
 */
import { performance } from 'node:perf_hooks';
import { equalBytes, tamper } from './bytes.mjs';
import { summarise } from './stats.mjs';

const isThenable = (x) => x !== null && typeof x === 'object' && typeof x.then === 'function';

/**
 * Runs `fn(input)` back to back, one at a time, until `budgetMs` has passed
 * (and at least `minOps` calls finished). Synchronous results are not awaited,
 * so a synchronous API pays no microtask per call. Returns calls per second of
 * wall time (`rate`, the reported figure) and per second of this process's CPU
 * time (`cpuRate`: all its threads, so WebCrypto's thread pool and V8's GC
 * helpers count; a cross-check that other tenants' load barely moves).
 */
export async function timeOp(fn, input, budgetMs, minOps = 1) {
  let ops = 0;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < budgetMs || ops < minOps) {
    const r = fn(input);
    if (isThenable(r)) await r;
    ops++;
    t = performance.now();
  }
  const c = process.cpuUsage(c0);
  const cpuMs = (c.user + c.system) / 1000;
  return {
    ops,
    ms: t - t0,
    rate: (ops * 1000) / (t - t0),
    cpuRate: (ops * 1000) / Math.max(cpuMs, 0.001),
  };
}

/**
 * The correctness guard, run before any timing: open(seal(p)) must give back
 * exactly p, and open must reject the sealed value with one ciphertext bit
 * flipped. Returns the sealed value that the open cells then time.
 */
export async function guard(name, inst, payload) {
  const sealed = await inst.seal(payload);
  const opened = await inst.open(sealed);
  if (!equalBytes(opened, payload)) {
    throw new Error(`${name}: open(seal(p)) != p for ${payload.length} bytes`);
  }
  let rejected = false;
  try {
    await inst.open(tamper(sealed));
  } catch {
    rejected = true;
  }
  if (!rejected)
    throw new Error(`${name}: open accepted a tampered ciphertext (${payload.length} bytes)`);
  return sealed;
}

/**
 * Times every cell. `entries` are `{ id, inst }`; `cases` are
 * `{ size, payload, sealed: Map<id, sealed> }`. Returns
 * `results[size][id] = { seal, open, sealCpu, openCpu }` summaries.
 */
export async function runRounds({ entries, cases, rounds, cellMs, warmupMs, log }) {
  const rates = new Map();
  const cell = (size, id) => {
    const key = `${size}/${id}`;
    if (!rates.has(key)) rates.set(key, { seal: [], open: [], sealCpu: [], openCpu: [] });
    return rates.get(key);
  };
  const ops = (c, e) => ({
    seal: () => timeOp(e.inst.seal, c.payload, cellMs),
    open: () => timeOp(e.inst.open, c.sealed.get(e.id), cellMs),
  });

  // Warm-up: let the JIT and the native key caches settle; not recorded.
  for (const c of cases) {
    for (const e of entries) {
      await timeOp(e.inst.seal, c.payload, warmupMs);
      await timeOp(e.inst.open, c.sealed.get(e.id), warmupMs);
    }
  }

  const t0 = performance.now();
  for (let r = 0; r < rounds; r++) {
    for (const c of cases) {
      for (let k = 0; k < entries.length; k++) {
        const e = entries[(k + r) % entries.length];
        const order = r % 2 === 0 ? ['seal', 'open'] : ['open', 'seal'];
        const run = ops(c, e);
        for (const op of order) {
          const t = await run[op]();
          cell(c.size, e.id)[op].push(t.rate);
          cell(c.size, e.id)[`${op}Cpu`].push(t.cpuRate);
        }
      }
    }
    log(`round ${r + 1}/${rounds} done (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  }

  const results = {};
  for (const c of cases) {
    results[c.size] = {};
    for (const e of entries) {
      const x = cell(c.size, e.id);
      results[c.size][e.id] = {
        seal: summarise(x.seal),
        open: summarise(x.open),
        sealCpu: summarise(x.sealCpu),
        openCpu: summarise(x.openCpu),
      };
    }
  }
  return results;
}
