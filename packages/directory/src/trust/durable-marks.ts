/**
 * Rollback marks that survive restarts (SPEC.md §11.2): the marks a
 * `RollbackStore` kept are read once, before the first resolve, and a mark
 * raised by a resolve is saved, durably, before the key it was raised for is
 * handed out. One save per name at a time; a failed save fails the resolves
 * waiting on it (fail closed) and is retried by the next.
 */
import { BlindwireError, ErrorCode } from '@blindwire/core';
import { wrongAnswer } from '@blindwire/core/internal';
import {
  KEMS,
  isRollbackMark,
  markKey,
  type RollbackState,
  type RollbackStore,
} from './rollback.js';

export interface DurableMarks {
  /** Reads the persisted marks once; a failure fails this resolve and is retried by the next. */
  load(): Promise<void>;
  /** Saves the mark of `name` if it rose above what the store confirmed. */
  makeDurable(name: string): Promise<void>;
}

/** Checks that `store` is a RollbackStore (or undefined: marks in memory only). */
export function checkRollbackStore(store: unknown): asserts store is RollbackStore | undefined {
  const s = store as Partial<RollbackStore> | undefined;
  if (s !== undefined && (typeof s?.load !== 'function' || typeof s?.save !== 'function')) {
    throw new BlindwireError(
      ErrorCode.InvalidArgument,
      '"rollbackStore" expected an object with load() and save()',
    );
  }
}

export function createDurableMarks(store: RollbackStore, rollback: RollbackState): DurableMarks {
  /** Per name, the highest serial the rollback store has confirmed: what survives a restart. */
  const durable = new Map<string, number>();
  /** Per name, the one save in progress; concurrent resolves of that name wait for it. */
  const saving = new Map<string, Promise<void>>();
  const confirm = (name: string, serial: number) => {
    if (serial > (durable.get(name) ?? -1)) durable.set(name, serial);
  };
  let loaded: Promise<void> | undefined;
  const load = async () => {
    const marks: unknown = await store.load();
    if (typeof marks !== 'object' || marks === null || !(Symbol.iterator in marks))
      throw wrongAnswer("the rollback store's load()", marks, 'an iterable of [name, mark]');
    for (const entry of marks as Iterable<unknown>) {
      const [name, mark] = Array.isArray(entry) ? (entry as unknown[]) : [];
      // A mark that cannot be read is refused, never skipped: skipping it
      // would forget the protection it stands for (SPEC.md §11.2).
      if (typeof name !== 'string' || name.length === 0 || !isRollbackMark(mark)) {
        throw new BlindwireError(
          ErrorCode.InvalidArgument,
          'the rollback store returned a malformed mark',
        );
      }
      confirm(name, mark.serial);
      const have = rollback.highWater.get(name);
      if (!have || have.serial < mark.serial) rollback.highWater.set(name, { ...mark });
    }
  };
  return {
    load: () =>
      (loaded ??= load().catch((e: unknown) => {
        loaded = undefined;
        throw e;
      })),
    /**
     * SPEC.md §11.2: a raised mark is durable before the key it was raised for
     * is used. The mark in memory rises first (verification raises it) and may
     * be above what the store has confirmed: after a failed save, or while
     * another resolve's save runs. Then this saves it, one save per name at a
     * time, which every resolve of that name waits for; a failed save rejects
     * them and leaves the durable serial as it was, so the next resolve saves
     * again. A mark that rose during a save is saved after it, by the resolves
     * that need it.
     */
    async makeDurable(name) {
      // One mark per (name, KEM), SPEC.md §11.2: each is saved under its key.
      await Promise.all(KEMS.map((kem) => makeKeyDurable(markKey(name, kem))));
    },
  };
  async function makeKeyDurable(name: string): Promise<void> {
    const needed = rollback.highWater.get(name)?.serial ?? -1;
    while (needed > (durable.get(name) ?? -1)) {
      let pending = saving.get(name);
      if (!pending) {
        const m = { ...rollback.highWater.get(name)! };
        // Called on a later turn, so `saving` holds it even if save throws at once.
        pending = Promise.resolve()
          .then(() => store.save(name, m))
          .then(() => confirm(name, m.serial))
          .finally(() => saving.delete(name));
        saving.set(name, pending);
      }
      await pending;
    }
  }
}
