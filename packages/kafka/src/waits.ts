/**
 * The in-process waits of a run (SPEC.md §7b: Kafka has no per-record
 * redelivery or delay, so a retry waits inside `eachMessage`): a sleep cut
 * into slices with the client's `heartbeat()` between them, so that the
 * group keeps the member while a partition waits, and ended at once by
 * `stop()`. A heartbeat that throws (KafkaJS: the group is rebalancing)
 * ends the wait with that error, which `eachMessage` rethrows to the client.
 */

export interface Waits {
  /** Waits `ms`, heart-beating; false when the run stopped meanwhile. */
  sleep(ms: number, heartbeat: () => Promise<void>): Promise<boolean>;
  /** Ends every wait now and every later one at once. */
  stop(): void;
  readonly stopped: boolean;
}

export function createWaits(heartbeatMs: number): Waits {
  let stopped = false;
  const wakers = new Set<() => void>();
  const slice = (ms: number) =>
    new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(t);
        wakers.delete(wake);
        resolve();
      };
      const t = setTimeout(wake, ms);
      wakers.add(wake);
    });
  return {
    get stopped() {
      return stopped;
    },
    stop() {
      stopped = true;
      for (const wake of [...wakers]) wake();
    },
    async sleep(ms, heartbeat) {
      let left = Math.max(0, Math.round(ms));
      while (!stopped && left > 0) {
        const step = Math.min(left, heartbeatMs);
        await slice(step);
        left -= step;
        if (!stopped) await heartbeat();
      }
      return !stopped;
    },
  };
}
