/**
 * The rotator's step queue (SPEC.md §11.4): rotate(), tick() and revoke()
 * run one at a time, in call order (two overlapping ticks, a slow one under
 * start() and a manual one, say, would otherwise both see rotation due and
 * publish two keys), each bounded by a timeout so that a store call that
 * never settles cannot hold up every later step.
 */
import { BlindwireError, ErrorCode } from '@blindwire/core';

/** One queued step; set when its caller gave up waiting for it. */
export interface StepToken {
  abandoned: boolean;
}

export interface StepQueue {
  /** Runs `step` after every earlier one; rejects with ERR_TRANSPORT after the timeout. */
  run<T>(step: (token: StepToken) => Promise<T>, what: string): Promise<T>;
  /** Steps queued or running. */
  readonly pending: number;
}

/** `step`, rejected with ERR_TRANSPORT (and its token marked abandoned) after `timeoutMs`. */
export function bounded<T>(
  step: (token: StepToken) => Promise<T>,
  what: string,
  timeoutMs: number,
): Promise<T> {
  const token: StepToken = { abandoned: false };
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      token.abandoned = true;
      reject(
        new BlindwireError(
          ErrorCode.Transport,
          `rotation: ${what} took longer than ${timeoutMs} ms (a store call that never settles?)`,
        ),
      );
    }, timeoutMs);
    timer.unref?.();
    step(token).then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}

export function createStepQueue(timeoutMs: number): StepQueue {
  let queue: Promise<unknown> = Promise.resolve();
  let pending = 0;
  return {
    run(step, what) {
      const start = () => bounded(step, what, timeoutMs);
      pending++;
      const run = queue.then(start, start).finally(() => pending--);
      queue = run.catch(() => undefined);
      return run;
    },
    get pending() {
      return pending;
    },
  };
}
