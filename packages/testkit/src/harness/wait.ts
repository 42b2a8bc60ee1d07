/**
 * Waiting in the conformance cases (SPEC.md §7b): polling a condition or the
 * broker's unsettled count, with a deadline that names what was awaited.
 * These are waits for an outcome, never timings that a test asserts.
 */
import type { HarnessAdapter } from './types.js';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Resolves once `cond()` holds, polling every 20 ms; rejects after `ms` naming `what`. */
export async function until(
  cond: () => boolean | Promise<boolean>,
  ms = 20_000,
  what = 'condition',
): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(20);
  }
}

/** Resolves once `pending()` reports 0 (default: the adapter's work destination). */
export async function settled(
  source: Pick<HarnessAdapter, 'pending'> | (() => Promise<number>),
  ms = 30_000,
): Promise<void> {
  const pending = typeof source === 'function' ? source : () => source.pending();
  const end = Date.now() + ms;
  while ((await pending()) !== 0) {
    if (Date.now() > end) throw new Error(`the destination did not drain within ${ms} ms`);
    await sleep(50);
  }
}

/**
 * A copy of `target` (a crypto backend) that counts every method call: a
 * refusal before the crypto leaves it at 0.
 */
export function countingProxy<T extends object>(target: T): { proxy: T; calls: () => number } {
  let n = 0;
  const proxy = new Proxy(target, {
    get(t, key, receiver) {
      const v = Reflect.get(t, key, receiver) as unknown;
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => {
        n++;
        return (v as (...a: unknown[]) => unknown).apply(t, args);
      };
    },
  });
  return { proxy, calls: () => n };
}

/** The knobs of a run: BW_CONFORMANCE_SEED, BW_CONFORMANCE_COUNT, BW_KEEP. */
export const knobs = {
  /** The seed to replay a printed run (default: time based). */
  seed(env: NodeJS.ProcessEnv = process.env): number {
    return Number(env['BW_CONFORMANCE_SEED'] ?? Date.now() % 2 ** 31);
  },
  /** The nothing-lost message count (the rule is at least 10,000). */
  count(fallback: number, env: NodeJS.ProcessEnv = process.env): number {
    return Number(env['BW_CONFORMANCE_COUNT'] ?? fallback);
  },
  /** Whether a run keeps its temp dir (run log, child config). */
  keep(env: NodeJS.ProcessEnv = process.env): boolean {
    return env['BW_KEEP'] !== undefined;
  },
};
