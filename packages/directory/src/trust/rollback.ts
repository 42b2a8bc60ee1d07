/**
 * Where a directory client keeps its rollback marks (SPEC.md §11.2): per
 * identity and KEM, the highest encryption-key serial it has used and that
 * record's expiry. In memory they last as long as the process; a `RollbackStore`
 * keeps them across restarts, so a store that withholds a newer record from
 * a restarted client is still caught (`ERR_KEY_ROLLBACK`).
 *
 * The marks are the client's own trusted state: keep them on the client's
 * disk (`createFileRollbackStore`) or in a database only the client writes,
 * never in the directory store the marks protect against.
 */
import { BlindwireError, ErrorCode, type KemName } from '@blindwire/core';
import { RevocationReason, type Revocation } from '../records/types.js';
import type { ResolvedKey, VerifiedSet } from './types.js';

/**
 * One identity's mark: the highest serial used, when that record expires
 * (Unix seconds), and the kid of the signing key that issued it (marks saved
 * by older versions have none).
 */
export interface RollbackMark {
  serial: number;
  notAfter: number;
  issuerKid?: string;
}

/** Keeps a directory's rollback marks across restarts (SPEC.md §11.2). */
export interface RollbackStore {
  /** Every mark remembered; read once, before the directory's first resolve. */
  load(): Promise<Iterable<[string, RollbackMark]>>;
  /**
   * Called when an identity's mark is above the serial this store last
   * confirmed for it, before the key it was raised for is handed out; it must
   * be durable when it resolves. A rejection fails that resolve (fail closed)
   * and every concurrent one waiting on it; the next resolve calls it again,
   * possibly with the same mark. The directory runs one save per name at a time.
   */
  save(name: string, mark: RollbackMark): Promise<void>;
}

/**
 * Whether `x` is a well-formed mark: a serial as records carry it (any
 * unsigned safe integer; the SDK's own serials are Unix milliseconds) and an
 * expiry in unsigned 32-bit Unix seconds (SPEC.md §11.1).
 */
export function isRollbackMark(x: unknown): x is RollbackMark {
  if (typeof x !== 'object' || x === null) return false;
  const m = x as Record<string, unknown>;
  return (
    Number.isSafeInteger(m['serial']) &&
    (m['serial'] as number) >= 0 &&
    Number.isSafeInteger(m['notAfter']) &&
    (m['notAfter'] as number) >= 0 &&
    (m['notAfter'] as number) <= 0xffffffff &&
    (m['issuerKid'] === undefined ||
      (typeof m['issuerKid'] === 'string' && /^[A-Za-z0-9_-]{1,86}$/.test(m['issuerKid'])))
  );
}

/** A directory client's rollback marks in memory (SPEC.md §11.2). */
export interface RollbackState {
  /**
   * Highest encryption-key serial seen per identity and KEM, with its expiry
   * and the kid of the signing key that issued it, under `markKey`.
   */
  highWater: Map<string, { serial: number; notAfter: number; issuerKid?: string }>;
}

export function createRollbackState(): RollbackState {
  return { highWater: new Map() };
}

/** The X-Wing KEM id (SPEC.md §5.4). */
const KEM_XWING = 0x647a;

/** The KEMs a mark is kept for. */
export const KEMS: readonly KemName[] = ['X25519', 'X-Wing'];

/**
 * Where the mark of (`name`, `kem`) is kept: the name itself for X25519 (as
 * marks were kept before X-Wing), `"<name> X-Wing"` for X-Wing. Identity
 * names hold no space, so the two never collide.
 */
export function markKey(name: string, kem: KemName): string {
  return kem === 'X25519' ? name : `${name} ${kem}`;
}

/**
 * SPEC.md §11.2 step 9, once per KEM: refuses a set whose newest usable key of
 * a KEM is older than the mark remembered for the identity and that KEM, or
 * that has no usable key of a KEM it had an unexpired one of
 * (ERR_KEY_ROLLBACK), and raises each mark to the newest usable key of its KEM.
 * Per KEM, since an identity rotates its X25519 and X-Wing keys separately: a
 * store withholding the X-Wing records would otherwise switch senders to
 * X25519 unnoticed. `usable` is sorted newest first.
 */
export function checkRollback(
  rollback: RollbackState,
  v: VerifiedSet,
  usable: ResolvedKey[],
  revocations: Map<string, Revocation>,
  now: number,
  skew: number,
): void {
  const raise: [string, ResolvedKey][] = [];
  for (const kem of KEMS) {
    const key = markKey(v.name, kem);
    const hw = rollback.highWater.get(key);
    const newest = usable.find((k) => k.kem === kem);
    const withdrawn = hw && (!newest || newest.serial < hw.serial) && hw.notAfter + skew >= now;
    // A remembered record no longer counts once it, or the signing key that
    // issued it, is revoked (the issuer for compromise): else one record
    // slipped in with a leaked signing key would lock clients out until an
    // expiry the attacker chose (SPEC.md §11.2).
    const revokedOrGone =
      hw &&
      (v.encryptionKeys.some(
        (r) =>
          r.serial === hw.serial &&
          (r.suite.kem === KEM_XWING) === (kem === 'X-Wing') &&
          revocations.has(r.kid),
      ) ||
        (hw.issuerKid !== undefined &&
          revocations.get(hw.issuerKid)?.reason === RevocationReason.Compromise));
    if (withdrawn && !revokedOrGone) {
      throw new BlindwireError(
        ErrorCode.KeyRollback,
        `directory served an older ${kem} key record for ${v.name} than one already seen`,
      );
    }
    if (newest && (!hw || newest.serial > hw.serial)) raise.push([key, newest]);
  }
  // Raised only once every KEM passed: a refused set moves no mark.
  for (const [key, newest] of raise) {
    const issuerKid = v.encryptionKeys.find((r) => r.kid === newest.kid)?.issuerKid;
    rollback.highWater.set(key, {
      serial: newest.serial,
      notAfter: newest.notAfter,
      ...(issuerKid !== undefined ? { issuerKid } : {}),
    });
  }
}
