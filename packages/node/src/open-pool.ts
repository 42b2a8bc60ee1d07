/**
 * `createOpenPool` (`@blindwire/node`): core `open` (SPEC.md §7) run in
 * worker threads, for `createConsumer({ opener: pool })` (SPEC.md §7b).
 * Same checks, same order, same error codes and messages as `open`; the
 * caller's replay store or guard and sender resolver run in the calling
 * thread, asked over the worker's port (pool-call.ts). A worker that stops
 * fails its calls with ERR_TRANSPORT (transient: a consumer retries them),
 * releases any reservation they held, and is replaced on the next call.
 * Measured (benchmarks/consumer-pool.mjs): an option, not the default.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import {
  BlindwireError,
  ErrorCode,
  getDefaultBackend,
  pureBackend,
  type CryptoBackend,
  type OpenOptions,
  type OpenResult,
  type ReplayStore,
} from '@blindwire/core';
import { nodeBackend } from '@blindwire/core/backend/node';
import { invalidArgument, openFailed, readOptions, shown } from '@blindwire/core/internal';
import { answer, errorOf, prepareCall, resultOf, type PoolCall } from './pool-call.js';
import type { FromWorker, PoolBackendName } from './pool-wire.js';

/** Options of `createOpenPool`. */
export interface OpenPoolOptions {
  /** Worker threads (default: available cores less one, at least 1; at most 64). */
  size?: number;
  /**
   * The backend the workers run: `pool.backend` is that backend's object.
   * Default: the calling thread's default backend when the pool is created
   * (`getDefaultBackend()`, as `setDefaultBackend` left it), which must then
   * be the node or the pure backend.
   */
  backend?: PoolBackendName;
}

/**
 * Worker threads that run core `open` (`createOpenPool`): a consumer's `opener`, so opening does
 * not hold up the event loop.
 */
export interface OpenPool {
  /** `open`, run in a worker: same semantics, same errors. */
  open(envelope: Uint8Array, options: OpenOptions): Promise<OpenResult>;
  /** Waits for the calls under way, then ends the workers; later calls are ERR_INVALID_ARGUMENT. */
  close(): Promise<void>;
  readonly size: number;
  /** The backend the workers run; a `backend` option must be this one or absent. */
  readonly backend: CryptoBackend;
}

interface Slot {
  worker: Worker;
  calls: Map<number, PoolCall>;
}

const MAX_SIZE = 64;
const workersOf = new WeakMap<OpenPool, () => Worker[]>();

/** The pool's live workers (for tests of a worker that stops; not exported by the package). */
export function poolWorkers(pool: OpenPool): Worker[] {
  return workersOf.get(pool)?.() ?? [];
}

/**
 * The worker script, dist/open-worker.js (tsup.config.ts), beside the built
 * module this code is in; from the package's source (its tests), the built one.
 */
function workerUrl(): URL {
  const here = import.meta.url;
  return new URL(here.endsWith('.ts') ? '../dist/open-worker.js' : './open-worker.js', here);
}

/**
 * The backend the workers run when none is named: the calling thread's
 * default, so `setDefaultBackend` reaches them; one they cannot run (the web
 * backend, a backend of the caller's) is refused rather than replaced.
 */
function defaultBackendName(): PoolBackendName {
  const d = getDefaultBackend();
  if (d === nodeBackend) return 'node';
  if (d === pureBackend) return 'pure';
  throw invalidArgument(
    'backend',
    '"node" or "pure" (the default backend, from setDefaultBackend, is one no worker runs)',
  );
}

function checkPoolOptions(options: unknown): { size: number; name: PoolBackendName } {
  const o = readOptions<OpenPoolOptions>(options, ['size', 'backend'], true);
  const size = o.size ?? Math.min(MAX_SIZE, Math.max(1, availableParallelism() - 1));
  if (!Number.isSafeInteger(size) || size < 1 || size > MAX_SIZE)
    throw invalidArgument('size', `an integer from 1 to ${MAX_SIZE}`, shown(size));
  const name = o.backend ?? defaultBackendName();
  if (name !== 'node' && name !== 'pure')
    throw invalidArgument('backend', '"node" or "pure"', shown(name));
  return { size, name };
}

/** Frees the id a failed call's worker reserved (the lease would otherwise wait out its length). */
function releaseLeft(call: PoolCall): void {
  const r = call.reserved;
  if (!r) return;
  call.reserved = undefined;
  (call.replay as ReplayStore).release(r.entry, r.token).catch(() => {});
}

/** The worker's answer to `call`: its result as `open` returns it, or its error as `open` throws it. */
function settle(slot: Slot, call: PoolCall, m: Exclude<FromWorker, { t: 'ask' }>): void {
  slot.calls.delete(call.message.id);
  if (slot.calls.size === 0) slot.worker.unref();
  call.settled = true;
  if (m.t === 'fail') {
    releaseLeft(call);
    call.reject(errorOf(call, m.e));
    return;
  }
  try {
    call.resolve(resultOf(call, m.r));
  } catch (e) {
    releaseLeft(call);
    call.reject(e);
  }
}

/** A worker stopped without being asked to: each of its calls fails with ERR_TRANSPORT. */
function stopped(slot: Slot, cause: unknown): void {
  const e = new BlindwireError(ErrorCode.Transport, 'an open pool worker stopped', { cause });
  for (const call of slot.calls.values()) {
    call.settled = true;
    releaseLeft(call);
    call.reject(e);
  }
  slot.calls.clear();
}

/** Hands a call to `slot`'s worker; settles when the worker answers or stops. */
function dispatch(
  slot: Slot,
  prepared: ReturnType<typeof prepareCall>,
  failed: BlindwireError,
): Promise<OpenResult> {
  return new Promise<OpenResult>((resolve, reject) => {
    const call: PoolCall = { ...prepared, failed, refs: [], settled: false, resolve, reject };
    slot.calls.set(call.message.id, call);
    slot.worker.ref();
    slot.worker.postMessage(call.message, call.transfer);
  });
}

/** Creates the pool and starts its workers (they do not keep the process alive while idle). */
export function createOpenPool(options?: OpenPoolOptions): OpenPool {
  const { size, name } = checkPoolOptions(options);
  const backend = name === 'pure' ? pureBackend : nodeBackend;
  const slots: (Slot | undefined)[] = [];
  const inflight = new Set<Promise<unknown>>();
  let nextId = 0;
  let closing: Promise<void> | undefined;

  const onMessage = (slot: Slot, m: FromWorker): void => {
    const call = slot.calls.get(m.id);
    if (!call) return;
    if (m.t !== 'ask') return settle(slot, call, m);
    void answer(call, m, backend, releaseLeft).then((a) => {
      if (!call.settled) slot.worker.postMessage(a);
    });
  };

  const spawn = (i: number): Slot => {
    const worker = new Worker(workerUrl(), { workerData: { backend: name } });
    const slot: Slot = { worker, calls: new Map() };
    let error: unknown;
    worker.unref();
    worker.on('message', (m: FromWorker) => onMessage(slot, m));
    worker.on('error', (e) => {
      error = e;
    });
    worker.on('exit', (code) => {
      if (slots[i] === slot) slots[i] = undefined; // replaced on the next call
      stopped(slot, error ?? new Error(`the worker exited with code ${code}`));
    });
    slots[i] = slot;
    return slot;
  };

  /** The worker with the fewest calls under way (a stopped one replaced). */
  const pick = (): Slot => {
    let best = 0;
    for (let i = 0; i < size; i++) {
      const s = slots[i];
      if (!s) return spawn(i);
      if (s.calls.size < slots[best]!.calls.size) best = i;
    }
    return slots[best]!;
  };

  const open = (envelope: Uint8Array, o: OpenOptions): Promise<OpenResult> => {
    const failed = openFailed(); // as `open`: built before any check
    if (closing) return Promise.reject(invalidArgument('pool', 'an open pool not closed'));
    const id = nextId++;
    let prepared: ReturnType<typeof prepareCall>;
    try {
      prepared = prepareCall(id, envelope, o, backend);
    } catch (e) {
      return Promise.reject(e as Error);
    }
    const slot = pick();
    const p = dispatch(slot, prepared, failed);
    inflight.add(p);
    const done = () => inflight.delete(p);
    p.then(done, done);
    return p;
  };

  for (let i = 0; i < size; i++) spawn(i);
  const pool: OpenPool = {
    open,
    close() {
      closing ??= (async () => {
        await Promise.allSettled([...inflight]);
        await Promise.all(slots.flatMap((s) => (s ? [s.worker.terminate()] : [])));
      })();
      return closing;
    },
    size,
    backend,
  };
  workersOf.set(pool, () => slots.flatMap((s) => (s ? [s.worker] : [])));
  return pool;
}
