/**
 * The JetStream pull loop of `consume` (SPEC.md §7b): bounded `fetch`
 * requests, every message leased from the moment it arrives. At most
 * `pullAhead` messages are held (arrived and not yet settled) or owed (asked
 * for and not yet arrived), so nothing is pulled without room for it: each
 * fetch asks only for free room and is read at once, each message taken into
 * the held set that one `working()` timer keeps leased until it is settled.
 * No message waits unleased in the client, whatever the pull-ahead.
 */
import type { JsConsumerLike, JsFetchLike, JsMsgLike } from './types.js';

/** The pull loop as the pump sees it. */
export interface Puller {
  /** The next message held (leased), or undefined once stopped and drained; throws a fetch failure after the messages before it. */
  next(): Promise<JsMsgLike | undefined>;
  /** Releases a message's lease (disposed of): its room can be pulled again. */
  settle(m: JsMsgLike): void;
  /** Stops pulling; messages already held are still returned by next() unless `drop`. */
  stop(drop?: boolean): void;
}

export interface PullerOptions {
  /** Held + owed at most. */
  pullAhead: number;
  /** How often `working()` goes to every held message. */
  workingMs: number;
  /** A fetch request's expiry on the server (ms, >= 1000). */
  expiresMs: number;
  /** The connection is closed for good: the run ends as if stopped, not failed. */
  closed: () => boolean;
}

/**
 * nats.js ends a fetch whose server heartbeats stopped coming (a stalled
 * process or link) with this error; the consumer may be fine: fetch again
 * (a deleted consumer or stream fails that fetch).
 */
const missedHeartbeats = (e: unknown) => e instanceof Error && e.message === 'heartbeats missed';

/** The held messages, each sent `working()` by one timer that runs only while some are held. */
class Leases {
  readonly held = new Set<JsMsgLike>();
  private timer: ReturnType<typeof setInterval> | undefined;
  constructor(private readonly workingMs: number) {}

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
  /** Arrived and not yet taken by next(), from `head`. */
  private queue: JsMsgLike[] = [];
  private head = 0;
  /** Asked for and not yet arrived. */
  private owed = 0;
  /** Fetches asked for and not yet ended (their reader may still hand over messages). */
  private active = 0;
  private stopped = false;
  private dropped = false;
  private failure: { e: unknown } | undefined;
  private wake: (() => void) | undefined;

  constructor(
    private readonly consumer: JsConsumerLike,
    private readonly o: PullerOptions,
  ) {
    this.leases = new Leases(o.workingMs);
    this.minBatch = Math.max(1, Math.ceil(o.pullAhead / 4));
    this.fill();
  }

  async next(): Promise<JsMsgLike | undefined> {
    for (;;) {
      if (this.head < this.queue.length) {
        const m = this.queue[this.head++]!;
        if (this.head === this.queue.length) {
          this.queue = [];
          this.head = 0;
        }
        return m;
      }
      if (this.failure) throw this.failure.e;
      if (this.stopped && this.active === 0) return undefined;
      await new Promise<void>((r) => (this.wake = r));
    }
  }

  settle(m: JsMsgLike): void {
    if (this.leases.delete(m)) this.fill();
  }

  stop(drop = false): void {
    this.stopped = true;
    for (const it of this.fetches) it.stop();
    if (drop) {
      // The run failed: what was not started is redelivered after ack_wait.
      this.dropped = true;
      for (let i = this.head; i < this.queue.length; i++) this.leases.delete(this.queue[i]!);
      this.queue = [];
      this.head = 0;
    }
    this.signal();
  }

  private signal(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  /** Asks for the free room, if there is enough of it. */
  private fill(): void {
    if (this.stopped) return;
    if (this.o.closed()) return this.stop();
    const free = this.o.pullAhead - this.leases.held.size - this.owed;
    if (free < 1 || (this.owed > 0 && free < this.minBatch)) return;
    this.owed += free;
    this.active++;
    void this.read(free);
  }

  private async read(n: number): Promise<void> {
    let got = 0;
    try {
      const it = await this.consumer.fetch({ max_messages: n, expires: this.o.expiresMs });
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
    } catch (e) {
      // A deleted consumer or stream: the run ends (never a silent stall).
      if (!this.o.closed() && !missedHeartbeats(e)) {
        this.failure ??= { e };
        this.stop();
      }
    } finally {
      this.owed -= n - got;
      this.active--;
      this.fill();
      this.signal();
    }
  }

  private arrive(m: JsMsgLike): void {
    if (this.dropped) return; // the run failed: the server redelivers after ack_wait
    this.leases.add(m);
    this.queue.push(m);
    this.signal();
  }
}

/** Starts pulling `consumer` (see the module comment). */
export function createPuller(consumer: JsConsumerLike, o: PullerOptions): Puller {
  return new PullLoop(consumer, o);
}
