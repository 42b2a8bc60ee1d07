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

export function createPuller(consumer: JsConsumerLike, o: PullerOptions): Puller {
  const held = new Set<JsMsgLike>();
  let queue: JsMsgLike[] = [];
  let head = 0;
  let owed = 0;
  let stopped = false;
  let dropped = false;
  // Fetches asked for and not yet ended (their reader may still hand over messages).
  let active = 0;
  let failure: { e: unknown } | undefined;
  let wake: (() => void) | undefined;
  const fetches = new Set<JsFetchLike>();
  // A new fetch waits for a quarter of the room unless nothing is owed (no stall).
  const minBatch = Math.max(1, Math.ceil(o.pullAhead / 4));
  let timer: ReturnType<typeof setInterval> | undefined;
  const working = () => {
    for (const m of held) {
      try {
        m.working();
      } catch {
        // The connection is gone: the server redelivers after ack_wait.
      }
    }
  };
  const signal = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const arrive = (m: JsMsgLike) => {
    if (dropped) return; // the run failed: the server redelivers after ack_wait
    held.add(m);
    timer ??= setInterval(working, o.workingMs);
    queue.push(m);
    signal();
  };
  const fail = (e: unknown) => {
    failure ??= { e };
    stop(false);
  };
  const read = async (n: number) => {
    let got = 0;
    try {
      const it = await consumer.fetch({ max_messages: n, expires: o.expiresMs });
      fetches.add(it);
      if (stopped) it.stop();
      try {
        // Read at once, never paused: the batch was sized to the free room.
        for await (const m of it) {
          got++;
          owed--;
          arrive(m);
        }
      } finally {
        fetches.delete(it);
      }
    } catch (e) {
      // A deleted consumer or stream: the run ends (never a silent stall).
      if (!o.closed() && !missedHeartbeats(e)) fail(e);
    } finally {
      owed -= n - got;
      active--;
      fill();
      signal();
    }
  };
  const fill = () => {
    if (stopped) return;
    if (o.closed()) return stop(false);
    const free = o.pullAhead - held.size - owed;
    if (free < 1 || (owed > 0 && free < minBatch)) return;
    owed += free;
    active++;
    void read(free);
  };
  const stop = (drop: boolean) => {
    stopped = true;
    for (const it of fetches) it.stop();
    if (drop) {
      dropped = true;
      for (let i = head; i < queue.length; i++) held.delete(queue[i]!);
      queue = [];
      head = 0;
      if (held.size === 0) release();
    }
    signal();
  };
  const release = () => {
    if (timer === undefined) return;
    clearInterval(timer);
    timer = undefined;
  };
  fill();
  return {
    async next() {
      for (;;) {
        if (head < queue.length) {
          const m = queue[head++]!;
          if (head === queue.length) {
            queue = [];
            head = 0;
          }
          return m;
        }
        if (failure) throw failure.e;
        if (stopped && active === 0) return undefined;
        await new Promise<void>((r) => (wake = r));
      }
    },
    settle(m) {
      if (!held.delete(m)) return;
      if (held.size === 0) release();
      fill();
    },
    stop,
  };
}
