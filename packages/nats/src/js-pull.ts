/**
 * The JetStream pull loop of `consume` (SPEC.md §7b): bounded `fetch`
 * requests, every message leased from the moment it arrives. At most
 * `pullAhead` messages are held (arrived and not yet settled) or owed (asked
 * for and not yet arrived), so nothing is pulled without room for it: each
 * fetch asks only for free room (within the consumer's `max_batch`,
 * `max_expires` and `max_waiting`) and is read at once, each message taken
 * into the held set that one `working()` timer keeps leased until it is
 * settled. No message waits unleased in the client, whatever the pull-ahead.
 *
 * A message waiting unstarted for `stallMs` (hung or slow handlers) is no
 * longer sent `working()`: the server redelivers it after its ack_wait,
 * counting the attempt as it always does (the replay reservation guards the
 * stale copy still held here). Nothing is ever nak'd while running. When the
 * run stops or fails, messages not yet started are given back (`nak()`,
 * redelivered at once to any instance), except those on their last allowed
 * delivery (`max_deliver`): a nak would lose them, so `next()` still hands
 * them out, and they run, before it reports the end. A failed fetch is
 * reported (`onFailure`) and retried with a capped backoff after `recheck`
 * asked the server about the consumer; only a consumer or stream gone, or a
 * request that can never succeed (`fatal`), ends the run.
 */
import type { FetchLimits } from './js-limits.js';
import type { JsConsumerLike, JsFetchLike, JsMsgLike } from './types.js';

/** The pull loop as the pump sees it. */
export interface Puller {
  /**
   * The next message held (leased), or undefined once stopped; throws a fatal
   * fetch failure. After a stop, messages on their last delivery are still returned.
   */
  next(): Promise<JsMsgLike | undefined>;
  /** Releases a message's lease (disposed of): its room can be pulled again. */
  settle(m: JsMsgLike): void;
  /** Stops pulling; messages held, not yet returned by next() and not on their last delivery are given back (nak). */
  stop(): void;
  /** After the run: every message still held (never returned by next()) is given back and released. */
  release(): void;
}

export interface PullerOptions {
  /** Held + owed at most. */
  pullAhead: number;
  /** How often `working()` goes to every held message. */
  workingMs: number;
  /** A message waiting unstarted this long is no longer sent `working()` (unless on its last delivery). */
  stallMs: number;
  /** The consumer's max_deliver (undefined: unlimited). */
  maxDeliver: number | undefined;
  /** The consumer's limits at the start. */
  limits: FetchLimits;
  /** The connection is closed or draining: the run ends as if stopped, not failed. */
  closed: () => boolean;
  /** A fetch failure that ends the run without asking the server. */
  fatal: (e: unknown) => boolean;
  /** After a failed fetch: fresh limits, undefined (passing), or throws (gone for good). */
  recheck: () => Promise<FetchLimits | undefined>;
  /** Every failed fetch, fatal or not (the binding reports it). */
  onFailure: (e: unknown) => void;
}

/** Backoff after the n-th failed fetch in a row: 100 ms doubling, at most 5 s. */
const backoffMs = (n: number) => Math.min(5000, 100 * 2 ** Math.min(n - 1, 6));

/** Gives a message back for redelivery at once; the connection may be gone (then ack_wait). */
function giveBack(m: JsMsgLike): void {
  try {
    m.nak();
  } catch {
    // The connection is gone: the server redelivers after ack_wait.
  }
}

/** The held messages, each sent `working()` by one timer that runs only while some are held. */
class Leases {
  readonly held = new Set<JsMsgLike>();
  private timer: ReturnType<typeof setInterval> | undefined;
  constructor(
    private readonly workingMs: number,
    /** A message not to send `working()` now (waiting unstarted too long). */
    private readonly skip: (m: JsMsgLike) => boolean,
  ) {}

  add(m: JsMsgLike): void {
    this.held.add(m);
    this.timer ??= setInterval(() => this.working(), this.workingMs);
  }

  /** Whether `m` was held. */
  delete(m: JsMsgLike): boolean {
    if (!this.held.delete(m)) return false;
    if (this.held.size === 0 && this.timer !== undefined) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
    return true;
  }

  private working(): void {
    for (const m of this.held) {
      if (this.skip(m)) continue;
      try {
        m.working();
      } catch {
        // The connection is gone: the server redelivers after ack_wait.
      }
    }
  }
}

class PullLoop implements Puller {
  private readonly leases: Leases;
  private readonly fetches = new Set<JsFetchLike>();
  /** A new fetch waits for a quarter of the room unless nothing is owed (no stall). */
  private readonly minBatch: number;
  private limits: FetchLimits;
  /** Arrived and not yet taken by next(). */
  private queue: JsMsgLike[] = [];
  /** When each message of the queue arrived. */
  private readonly arrived = new Map<JsMsgLike, number>();
  /** Asked for and not yet arrived. */
  private owed = 0;
  /** Fetches asked for and not yet ended (their reader may still hand over messages). */
  private active = 0;
  /** Failed fetches in a row; a retry is waiting while `retry` is set. */
  private failures = 0;
  private retry: ReturnType<typeof setTimeout> | undefined;
  private rechecking = false;
  private stopped = false;
  /** The run is over: nothing more is kept, not even a last delivery. */
  private released = false;
  private failure: { e: unknown } | undefined;
  private wake: (() => void) | undefined;

  constructor(
    private readonly consumer: JsConsumerLike,
    private readonly o: PullerOptions,
  ) {
    this.leases = new Leases(o.workingMs, (m) => this.stale(m));
    this.minBatch = Math.max(1, Math.ceil(o.pullAhead / 4));
    this.limits = o.limits;
    this.fill();
  }

  async next(): Promise<JsMsgLike | undefined> {
    for (;;) {
      // Once stopped, the queue holds only messages on their last delivery: they run first.
      const m = this.queue.shift();
      if (m !== undefined) {
        this.arrived.delete(m);
        return m;
      }
      if (this.failure) throw this.failure.e;
      if (this.stopped && this.active === 0) return undefined;
      await new Promise<void>((r) => (this.wake = r));
    }
  }

  settle(m: JsMsgLike): void {
    if (!this.leases.delete(m)) return;
    this.fill();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retry);
    this.retry = undefined;
    for (const it of this.fetches) it.stop();
    this.giveBackQueue();
    this.signal();
  }

  release(): void {
    this.released = true;
    this.stop();
    this.giveBackQueue(true);
  }

  /** On its last allowed delivery: a nak would never be redelivered. */
  private last(m: JsMsgLike): boolean {
    return this.o.maxDeliver !== undefined && m.info.deliveryCount >= this.o.maxDeliver;
  }

  /** Waiting unstarted for stallMs, not on its last delivery: left to expire (ack_wait). */
  private stale(m: JsMsgLike): boolean {
    const at = this.arrived.get(m);
    return at !== undefined && Date.now() - at >= this.o.stallMs && !this.last(m);
  }

  /** Gives the queue back, keeping (leased) the messages on their last delivery unless `all`. */
  private giveBackQueue(all = false): void {
    const q = this.queue;
    this.queue = [];
    for (const m of q) {
      if (!all && this.last(m)) {
        this.queue.push(m);
        continue;
      }
      this.arrived.delete(m);
      this.leases.delete(m);
      giveBack(m);
    }
  }

  private signal(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  /** Asks for the free room, if there is enough of it and a fetch may be outstanding. */
  private fill(): void {
    if (this.stopped || this.retry !== undefined || this.rechecking) return;
    if (this.o.closed()) return this.stop();
    while (this.active < this.limits.maxFetches) {
      const free = this.o.pullAhead - this.leases.held.size - this.owed;
      if (free < 1 || (this.owed > 0 && free < this.minBatch)) return;
      const n = Math.min(free, this.limits.maxBatch);
      this.owed += n;
      this.active++;
      void this.read(n);
    }
  }

  private async read(n: number): Promise<void> {
    let got = 0;
    let failed: { e: unknown } | undefined;
    try {
      const it = await this.consumer.fetch({ max_messages: n, expires: this.limits.expiresMs });
      this.fetches.add(it);
      if (this.stopped) it.stop();
      try {
        // Read at once, never paused: the batch was sized to the free room.
        for await (const m of it) {
          got++;
          this.owed--;
          this.arrive(m);
        }
      } finally {
        this.fetches.delete(it);
      }
      this.failures = 0;
    } catch (e) {
      failed = { e };
    } finally {
      this.owed -= n - got;
      this.active--;
    }
    if (failed && !this.o.closed()) this.failed(failed.e);
    else if (failed) this.stop();
    this.fill();
    this.signal();
  }

  private arrive(m: JsMsgLike): void {
    if (this.released || (this.stopped && !this.last(m))) return giveBack(m);
    this.arrived.set(m, Date.now());
    this.leases.add(m);
    this.queue.push(m);
    this.signal();
  }

  private fail(e: unknown): void {
    this.failure ??= { e };
    this.stop();
  }

  /** A failed fetch: fatal, or asks the server about the consumer, then fetches again after a backoff. */
  private failed(e: unknown): void {
    this.o.onFailure(e);
    if (this.o.fatal(e)) return this.fail(e);
    if (this.stopped || this.rechecking || this.retry !== undefined) return;
    this.rechecking = true;
    const delay = backoffMs(++this.failures);
    this.o.recheck().then(
      (limits) => {
        this.rechecking = false;
        if (limits) this.limits = limits;
        if (this.stopped) return;
        this.retry = setTimeout(() => {
          this.retry = undefined;
          this.fill();
          this.signal();
        }, delay);
      },
      (gone: unknown) => {
        this.rechecking = false;
        if (this.stopped) return;
        if (this.o.closed()) this.stop();
        else this.fail(gone);
      },
    );
  }
}

/** Starts pulling `consumer` (see the module comment). */
export function createPuller(consumer: JsConsumerLike, o: PullerOptions): Puller {
  return new PullLoop(consumer, o);
}
