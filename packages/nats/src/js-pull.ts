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
 * Messages not yet started are given back (`nak()`, redelivered at once to
 * any instance) when the run stops or fails, and when no message was started
 * for `stallMs` (hung handlers): the loop then pulls nothing more until a
 * message settles. A failed fetch is retried with a capped backoff after
 * `recheck` asked the server about the consumer; only a consumer or stream
 * gone, or a request that can never succeed, ends the run.
 */
import type { FetchLimits } from './js-limits.js';
import type { JsConsumerLike, JsFetchLike, JsMsgLike } from './types.js';

/** The pull loop as the pump sees it. */
export interface Puller {
  /** The next message held (leased), or undefined once stopped; throws a fatal fetch failure. */
  next(): Promise<JsMsgLike | undefined>;
  /** Releases a message's lease (disposed of): its room can be pulled again. */
  settle(m: JsMsgLike): void;
  /** Stops pulling; messages held and not yet returned by next() are given back (nak). */
  stop(): void;
}

export interface PullerOptions {
  /** Held + owed at most. */
  pullAhead: number;
  /** How often `working()` goes to every held message. */
  workingMs: number;
  /** Given back when no message was started for this long. */
  stallMs: number;
  /** The consumer's limits at the start. */
  limits: FetchLimits;
  /** The connection is closed or draining: the run ends as if stopped, not failed. */
  closed: () => boolean;
  /** A fetch failure that ends the run without asking the server. */
  fatal: (e: unknown) => boolean;
  /** After a failed fetch: fresh limits, undefined (passing), or throws (gone for good). */
  recheck: () => Promise<FetchLimits | undefined>;
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
    private readonly tick: () => void,
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
    this.tick();
    for (const m of this.held) {
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
  /** When next() last took a message, or the queue last filled from empty. */
  private since = 0;
  /** Asked for and not yet arrived. */
  private owed = 0;
  /** Fetches asked for and not yet ended (their reader may still hand over messages). */
  private active = 0;
  /** Failed fetches in a row; a retry is waiting while `retry` is set. */
  private failures = 0;
  private retry: ReturnType<typeof setTimeout> | undefined;
  private rechecking = false;
  /** The queue was given back (no message started for stallMs): no pulling until one settles. */
  private stalled = false;
  private stopped = false;
  private failure: { e: unknown } | undefined;
  private wake: (() => void) | undefined;

  constructor(
    private readonly consumer: JsConsumerLike,
    private readonly o: PullerOptions,
  ) {
    this.leases = new Leases(o.workingMs, () => this.checkStall());
    this.minBatch = Math.max(1, Math.ceil(o.pullAhead / 4));
    this.limits = o.limits;
    this.fill();
  }

  async next(): Promise<JsMsgLike | undefined> {
    for (;;) {
      if (this.failure) throw this.failure.e;
      if (this.queue.length > 0 && !this.stopped) {
        this.since = Date.now();
        return this.queue.shift();
      }
      if (this.stopped && this.active === 0) return undefined;
      await new Promise<void>((r) => (this.wake = r));
    }
  }

  settle(m: JsMsgLike): void {
    if (!this.leases.delete(m)) return;
    this.stalled = false;
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

  private giveBackQueue(): void {
    const q = this.queue;
    this.queue = [];
    for (const m of q) {
      this.leases.delete(m);
      giveBack(m);
    }
  }

  /** Hung handlers: the queue goes back to the server for other instances. */
  private checkStall(): void {
    if (this.queue.length === 0 || Date.now() - this.since < this.o.stallMs) return;
    this.stalled = true;
    for (const it of this.fetches) it.stop();
    this.giveBackQueue();
  }

  private signal(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  /** Asks for the free room, if there is enough of it and a fetch may be outstanding. */
  private fill(): void {
    if (this.stopped || this.stalled || this.retry !== undefined || this.rechecking) return;
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
      if (this.stopped || this.stalled) it.stop();
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
    if (this.stopped || this.stalled || this.failure) return giveBack(m);
    if (this.queue.length === 0) this.since = Date.now();
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
