/**
 * One timed cell of the NATS benchmark (nats.mjs): a row publishes
 * back-to-back for `ms`, never more than `window` messages between the
 * publish call and their completion (so core NATS never overruns a slow
 * subscriber and the latency is that of a loaded, not an unbounded, queue),
 * then drains. Every message's plaintext carries its sequence number in its
 * first 4 bytes; the handler reads it back to time publish-to-handler.
 *
 * A row is `start(ctx) -> { publish(payload, seq), stop() }`; it calls
 * `ctx.handled(payload)` from its handler (returns the sequence number) and
 * `ctx.complete(seq)` once the message is done (processed, committed, acked),
 * `ctx.fail(error)` on anything else: a failed cell fails the run.
 */
import { performance } from 'node:perf_hooks';
import { clearInterval, setImmediate, setInterval } from 'node:timers';
import { quantile } from './stats.mjs';

const RING = 1 << 16;
const isThenable = (x) => x !== null && typeof x === 'object' && typeof x.then === 'function';

/** A fresh copy of `base` with `seq` in its first 4 bytes (big-endian). */
export function stamped(base, seq) {
  const p = new Uint8Array(base.length);
  p.set(base);
  p[0] = seq >>> 24;
  p[1] = (seq >>> 16) & 0xff;
  p[2] = (seq >>> 8) & 0xff;
  p[3] = seq & 0xff;
  return p;
}

const seqOf = (p) => ((p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3]) >>> 0;

/**
 * Runs one cell. `row.start(ctx)` is not timed, nor is `stop()`. Returns
 * `{ msgs, ms, rate, cpuRate, p50, p99, errors }`; latencies in ms.
 */
export async function runCell({ row, base, ms, window, drainMs = 15_000, extra = {} }) {
  const starts = new Float64Array(RING);
  const latencies = [];
  const errors = [];
  let inflight = 0;
  let completed = 0;
  let wake = null;
  const last = base[base.length - 1];
  const wakeUp = () => {
    if (wake) {
      const w = wake;
      wake = null;
      w();
    }
  };
  // The window is refilled once per event-loop turn, not per completion: what
  // completes in one turn is published together (one socket write), as by a
  // producer that is not paced by its own consumer. Refilling per completion
  // made every message its own write whenever the consumer's work never waits
  // on I/O (a memory replay store), so those rows measured the write syscall.
  let wakeScheduled = false;
  const wakeSoon = () => {
    if (wakeScheduled) return;
    wakeScheduled = true;
    setImmediate(() => {
      wakeScheduled = false;
      wakeUp();
    });
  };
  // One watchdog per cell (no timer per message): no completion for drainMs fails the cell.
  let lastProgress = 0;
  let stalled = false;
  const completion = () => new Promise((r) => (wake = r));
  const ctx = {
    ...extra,
    handled(payload) {
      const s = seqOf(payload);
      latencies.push(performance.now() - starts[s % RING]);
      if (payload.length !== base.length || payload[payload.length - 1] !== last || s >= next)
        errors.push(`payload ${s}: ${payload.length} bytes, not one of the ${next} published`);
      return s;
    },
    complete() {
      completed++;
      lastProgress = performance.now();
      inflight--;
      if (inflight < window) wakeSoon();
    },
    fail(e) {
      errors.push(e?.code ? `${e.code}: ${e.message}` : String(e?.message ?? e));
      wakeUp();
    },
  };
  const inst = await row.start(ctx);
  let next = 0;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  lastProgress = t0;
  const watchdog = setInterval(() => {
    if (inflight > 0 && performance.now() - lastProgress > drainMs) {
      stalled = true;
      wakeUp();
    }
  }, 200);
  let t1;
  let c;
  try {
    while (performance.now() - t0 < ms && errors.length === 0) {
      if (inflight >= window) {
        await completion();
        if (stalled)
          errors.push(`no message completed within ${drainMs} ms (${inflight} in flight)`);
        continue;
      }
      const s = next++;
      const payload = stamped(base, s);
      inflight++;
      starts[s % RING] = performance.now();
      const r = inst.publish(payload, s);
      if (isThenable(r)) r.catch(ctx.fail);
    }
    while (inflight > 0 && errors.length === 0) {
      await completion();
      if (stalled) errors.push(`${inflight} messages not completed within ${drainMs} ms`);
    }
  } finally {
    clearInterval(watchdog);
    t1 = performance.now();
    c = process.cpuUsage(c0);
    await inst.stop().catch((e) => errors.push(`stop: ${e.message}`));
  }
  const elapsed = t1 - t0;
  const cpuMs = (c.user + c.system) / 1000;
  return {
    msgs: completed,
    ms: elapsed,
    rate: (completed * 1000) / elapsed,
    cpuRate: (completed * 1000) / Math.max(cpuMs, 0.001),
    p50: quantile(latencies, 0.5),
    p99: quantile(latencies, 0.99),
    errors,
  };
}

/** At most `n` promises at once: `await acquire()` before, `release()` after. */
export function limiter(n) {
  let free = n;
  const waiting = [];
  return {
    acquire() {
      if (free > 0) {
        free--;
        return undefined;
      }
      return new Promise((r) => waiting.push(r));
    },
    release() {
      const next = waiting.shift();
      if (next) next();
      else free++;
    },
  };
}
