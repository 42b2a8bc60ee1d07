/**
 * The prune planner (SPEC.md §11.6): which of an identity's stored records no
 * client can still need, decided from a snapshot of the store, the trust
 * policy, the time and a retention horizon. Each record's fate rests on its
 * own signed times, on verified records only, and on the revocations and
 * signatures that kept records still depend on; so a forged record can only
 * make the planner keep more, and a record it removes stays removable when a
 * conforming publisher adds records meanwhile.
 */
import { BlindwireError, ErrorCode, type CryptoBackend } from '@blindwire/core';
import { show } from '../checks.js';
import { MAGIC_0, MAGIC_1, RecordKind, VERSION } from '../records/kinds.js';
import { isParseFailure, parseRecord } from '../records/parse.js';
import { recordId } from '../records/record-id.js';
import { RevocationReason, type ParsedRecord } from '../records/types.js';
import type { DirectoryStore } from '../stores/directory-store.js';
import {
  assertRemovable,
  checkMaxRecordsRead,
  listAllRecords,
  removeRecords,
} from '../stores/paging.js';
import { checkClockSkew, checkTrustPolicy, type TrustPolicy } from './policy.js';
import { closeKept, keepByTime, keepNewestPerIssuer, type KeptEntry } from './still-matters.js';
import { verifyRecordSet } from './verify-set.js';
import { checkNow } from './windows.js';

/** Why a record may go (SPEC.md §11.6). */
export type PruneReason = 'malformed' | 'other-name' | 'expired' | 'revocation-done';

/** The records a prune would remove from one identity, each with its reason (SPEC.md §11.6). */
export interface PrunePlan {
  name: string;
  /** Record ids to remove, every other kind before the revocations, each once. */
  remove: { id: string; reason: PruneReason }[];
  /** Distinct records that stay. */
  kept: number;
}

/** Options of a prune (SPEC.md §11.6): the time and how long past its not-after a record is kept. */
export interface PruneOptions {
  /** The time, Unix seconds. */
  now: number;
  /**
   * How long past its not-after a record is kept, seconds; at least 3 times
   * the policy's clock skew. A rotator passes its retention.
   */
  horizonSeconds: number;
  /**
   * pruneIdentity: records read for the name at most (SPEC.md §11.6),
   * duplicates included; more is ERR_LIMIT_EXCEEDED and nothing is removed.
   * Default 100 000.
   */
  maxRecordsRead?: number;
  backend?: CryptoBackend;
}

interface Entry extends KeptEntry {
  id: string;
}

/** SPEC.md §11.6: the smallest horizon, in clock skews. */
export const MIN_HORIZON_SKEWS = 3;

/**
 * A horizon: whole seconds, at least 3 times the skew (SPEC.md §11.6: a
 * pruner clock s ahead and a client clock s behind, a record usable until
 * not-after + s). The planner and the key rotator's `prune` option
 * (rotation-context.ts) both check it so.
 */
export function checkHorizon(horizon: unknown, skew: number): number {
  const min = MIN_HORIZON_SKEWS * skew;
  if (!Number.isSafeInteger(horizon) || (horizon as number) < min) {
    throw new BlindwireError(
      ErrorCode.InvalidArgument,
      `"horizonSeconds" expected whole seconds ≥ ${MIN_HORIZON_SKEWS} × the clock skew (${min}), got ${show(horizon)}`,
    );
  }
  return horizon as number;
}

/** A record of another version of the format: not this implementation's to judge. */
function foreign(bytes: Uint8Array): boolean {
  return bytes.length >= 3 && bytes[0] === MAGIC_0 && bytes[1] === MAGIC_1 && bytes[2] !== VERSION;
}

/** SPEC.md §11.6: plans the pruning of `records`, all stored under `name`. */
export async function planPrune(
  name: string,
  records: Uint8Array[],
  policy: TrustPolicy,
  options: PruneOptions,
): Promise<PrunePlan> {
  checkTrustPolicy(policy);
  const now = checkNow(options.now);
  const horizon = checkHorizon(options.horizonSeconds, checkClockSkew(policy.clockSkew));
  const cutoff = now - horizon; // not-after below it: done
  const opts = options.backend ? { backend: options.backend } : undefined;
  const remove: PrunePlan['remove'] = [];
  const seen = new Set<string>();
  const entries: Entry[] = [];
  for (const bytes of records) {
    const id = recordId(bytes);
    if (seen.has(id)) continue;
    seen.add(id);
    let p: ParsedRecord;
    try {
      p = await parseRecord(bytes, opts);
    } catch (e) {
      // Rule 1: only the record's own bytes make it malformed; anything else
      // (the crypto backend failing) aborts the plan, and nothing is removed.
      if (!isParseFailure(e)) throw e;
      if (!foreign(bytes)) remove.push({ id, reason: 'malformed' });
      continue;
    }
    if (p.body.name !== name) remove.push({ id, reason: 'other-name' });
    else entries.push({ id, p, keep: false });
  }
  await markKept(name, entries, policy, cutoff, opts);
  for (const e of entries) {
    if (e.keep || e.p.body.kind === RecordKind.Revocation) continue;
    remove.push({ id: e.id, reason: 'expired' });
  }
  for (const e of entries) {
    if (!e.keep && e.p.body.kind === RecordKind.Revocation)
      remove.push({ id: e.id, reason: 'revocation-done' });
  }
  return { name, remove, kept: seen.size - remove.length };
}

/** Sets `keep` on every entry a client may still need (SPEC.md §11.6 rules 2-5). */
async function markKept(
  name: string,
  entries: Entry[],
  policy: TrustPolicy,
  cutoff: number,
  opts: { backend?: CryptoBackend } | undefined,
): Promise<void> {
  // Verified with no record limit: a store that missed pruning is what this is for.
  const v = await verifyRecordSet(
    name,
    entries.map((e) => e.p.bytes),
    { ...policy, maxRecords: Number.MAX_SAFE_INTEGER },
    opts,
  );
  const pinned = new Set(
    (policy.pinned ?? []).filter((p) => p.name === name).map((p) => p.signing.kid),
  );
  // A record signed with a key revoked for compromise (by an anchor or by
  // itself) may be the leaked key's work: it never makes a revocation removable.
  const leaked = (kid: string) => v.revocations.get(kid)?.reason === RevocationReason.Compromise;
  const verifiedKids = new Set([
    ...v.encryptionKeys.filter((r) => !leaked(r.issuerKid)).map((r) => r.kid),
    ...[...v.signingKeys.values()].filter((k) => !k.pinned).map((k) => k.kid),
  ]);
  const verifiedTop = new Map<string, number>();
  for (const r of v.encryptionKeys)
    verifiedTop.set(r.issuerKid, Math.max(r.serial, verifiedTop.get(r.issuerKid) ?? -1));
  keepByTime(entries, cutoff); // rule 2
  keepNewestPerIssuer(entries, verifiedTop); // rule 3
  // Rules 4-5: a revocation goes only with a verified record about its
  // target; of a needed signing key, its newest verified certificate stays.
  closeKept(entries, {
    pinned,
    removableTarget: (kid) => verifiedKids.has(kid),
    signingKey: (kid) => v.signingKeys.has(kid),
    signs: (e) => {
      const b = e.p.body;
      if (b.kind !== RecordKind.IdentityCertificate) return false;
      const k = v.signingKeys.get(b.signingKid);
      return k !== undefined && !k.pinned && k.windows[0]!.serial === b.serial;
    },
  });
}

/** What a prune removed (or, with `dryRun`, would remove). */
export interface PruneResult extends PrunePlan {
  /** Whether the records were left in place (`dryRun`). */
  dryRun: boolean;
}

/**
 * Reads every record of `name` in `store` (page by page where the store
 * pages, so a name with any number of records can be pruned), plans
 * (planPrune) and removes by record id, in batches where the store can
 * (SPEC.md §11.6). Idempotent: an id already gone is no error, and a second
 * run removes nothing new. A store that cannot remove records (read-only, or
 * without `remove`) is ERR_INVALID_ARGUMENT unless `dryRun`, before anything
 * is read. The records are held in memory while the plan is made: at most
 * `maxRecordsRead` of them, and a store whose pages never end fails the
 * prune (listAllRecords) before anything is removed.
 */
export async function pruneIdentity(
  store: DirectoryStore,
  name: string,
  policy: TrustPolicy,
  options: PruneOptions & { dryRun?: boolean },
): Promise<PruneResult> {
  if (!store || typeof store.list !== 'function') {
    throw new BlindwireError(ErrorCode.InvalidArgument, '"store" expected a DirectoryStore');
  }
  const dryRun = options.dryRun === true;
  if (!dryRun) assertRemovable(store, 'store');
  const maxRecordsRead = checkMaxRecordsRead(options.maxRecordsRead);
  const records = await listAllRecords(store, name, { maxRecordsRead });
  const plan = await planPrune(name, records, policy, options);
  if (!dryRun)
    await removeRecords(
      store,
      name,
      plan.remove.map((r) => r.id),
    );
  return { ...plan, dryRun };
}
