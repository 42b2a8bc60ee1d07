/**
 * A small scheduler for a consumer (SPEC.md §7b): at most `concurrency` jobs
 * run at once; jobs with the same key run one at a time, in arrival order;
 * jobs without a key, or with different keys, run in parallel. `wait()` is
 * backpressure: it resolves once fewer than `concurrency` jobs are queued.
 */

export interface Scheduler {
  /** Queues `job` under `key`; resolves or rejects with it once it ran. */
  run<T>(key: string | undefined, job: () => Promise<T>): Promise<T>;
  /** Resolves when fewer than `concurrency` jobs wait to start. */
  wait(): Promise<void>;
  /** Jobs started and not finished. */
  readonly running: number;
  /** Jobs waiting to start. */
  readonly queued: number;
}

interface Job {
  key: string | undefined;
  start: () => void;
}

export function createScheduler(concurrency: number): Scheduler {
  const pending: Job[] = [];
  const busy = new Set<string>();
  const roomWaiters: (() => void)[] = [];
  let running = 0;

  const pump = () => {
    // Earlier jobs of a key block its later ones, even when not yet startable.
    let seen: Set<string> | undefined; // made only when a keyed job has to wait
    for (let i = 0; i < pending.length && running < concurrency;) {
      const job = pending[i]!;
      const k = job.key;
      if (k !== undefined && (busy.has(k) || seen?.has(k))) {
        (seen ??= new Set()).add(k);
        i++;
        continue;
      }
      pending.splice(i, 1);
      running++;
      if (k !== undefined) busy.add(k);
      job.start();
    }
    // One waiter per free place (a waiter queues its job after it resumes).
    for (let room = concurrency - pending.length; room > 0 && roomWaiters.length > 0; room--) {
      roomWaiters.shift()!();
    }
  };

  return {
    get running() {
      return running;
    },
    get queued() {
      return pending.length;
    },
    run<T>(key: string | undefined, job: () => Promise<T>): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        const start = () => {
          const done = () => {
            running--;
            if (key !== undefined) busy.delete(key);
            pump();
          };
          let p: Promise<T>;
          try {
            p = job();
          } catch (e) {
            p = Promise.reject(e as Error);
          }
          p.then(
            (v) => {
              done();
              resolve(v);
            },
            (e: unknown) => {
              done();
              reject(e as Error);
            },
          );
        };
        pending.push({ key, start });
        pump();
      });
    },
    wait(): Promise<void> {
      if (pending.length < concurrency) return Promise.resolve();
      return new Promise<void>((r) => roomWaiters.push(r));
    },
  };
}
