/**
 * A reference clock for tests: a controllable `now()` in milliseconds since
 * the Unix epoch, which is what every `now` option of Blindwire takes
 * (core's open/seal options and replay stores, the directory, the key
 * rotator, the rollback store). Envelopes and key records carry whole
 * seconds (SPEC.md §4.1, §11), so `seconds()` is `floor(now() / 1000)`.
 *
 *   const clock = createClock(T0);
 *   createDirectory({ store, trust, now: clock.now });
 *   clock.advance(60_000);
 *
 * The methods are plain functions: pass `clock.now` without binding it.
 */

export interface Clock {
  /** The current time, ms. */
  readonly now: () => number;
  /** The current time in whole seconds, as envelopes and records carry it. */
  readonly seconds: () => number;
  /** Moves the clock by `ms` (negative: back); returns the new time, ms. */
  readonly advance: (ms: number) => number;
  /** Sets the clock to `ms`; returns it. */
  readonly set: (ms: number) => number;
  /** Sets the clock to `s` seconds since the epoch; returns the new time, ms. */
  readonly setSeconds: (s: number) => number;
}

/** A clock that reads `startMs` until it is moved. */
export function createClock(startMs: number): Clock {
  let t = startMs;
  return {
    now: () => t,
    seconds: () => Math.floor(t / 1000),
    advance: (ms) => (t += ms),
    set: (ms) => (t = ms),
    setSeconds: (s) => (t = s * 1000),
  };
}
