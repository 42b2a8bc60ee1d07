/**
 * The replay reservation after the handler answered (SPEC.md §7b, HTTP
 * section): committed after a 2xx, released otherwise so that the same
 * envelope may be retried. A commit that fails is tried once more; if it
 * fails again the answer still goes (the handler acted, and its caller must
 * learn the result) and the lease is left to run out: until then a copy is
 * ERR_REPLAY_IN_FLIGHT. Returns the code of a failure, else undefined.
 */
import type { Reservation } from '@blindwire/core';
import { codeOf } from './problem.js';

export async function settle(
  reservation: Reservation | undefined,
  ok: boolean,
): Promise<string | undefined> {
  if (reservation === undefined) return undefined;
  try {
    if (!ok) await reservation.release();
    else await reservation.commit().catch(() => reservation.commit());
    return undefined;
  } catch (e) {
    return codeOf(e);
  }
}
