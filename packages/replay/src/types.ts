/**
 * The replay reservation interface every store of this package implements
 * (SPEC.md §7 step 18: the replay guard, made atomic), as @blindwire/core
 * defines it. `has`/`record` alone is check-then-act: two concurrent
 * deliveries of one message id both pass `has`. `reserve` closes that gap:
 * exactly one caller gets `'reserved'` for an entry at a time, the others
 * learn whether it is still being processed (`'in-flight'`) or was processed
 * (`'done'`).
 */
export type { ReplayEntry, ReplayStore, ReserveAnswer } from '@blindwire/core';
