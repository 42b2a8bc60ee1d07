/**
 * The replay reservation after the handler answered (SPEC.md §11d.2 step 8):
 * committed after any answer the handler returned, whatever its status (the
 * handler may have acted; a copy of the envelope must not run it again). A commit that fails is tried once more; if it
 * fails again the answer still goes (the handler acted, and its caller must
 * learn the result) and the lease is left to run out: until then a copy is
 * ERR_REPLAY_IN_FLIGHT. Returns the code of a failure, else undefined.
 */
import type { Reservation } from '@blindwire/core';
import { codeOf } from './problem.js';

export async function settle(reservation: Reservation | undefined): Promise<string | undefined> {
  if (reservation === undefined) return undefined;
  try {
    await reservation.commit().catch(() => reservation.commit());
    return undefined;
  } catch (e) {
    return codeOf(e);
  }
}
