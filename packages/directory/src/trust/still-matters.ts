/**
 * Which records of an identity can still matter to a client (SPEC.md §11.6
 * rules 2, 4 and 5), shared by the prune planner (prune.ts) and by
 * resolution over `maxRecords` (verify-set.ts): records not yet past a
 * cutoff, the revocations of what stays, and the certificates whose keys
 * signed what stays.
 */
import { RecordKind } from '../records/kinds.js';
import type { ParsedRecord } from '../records/types.js';

export interface KeptEntry {
  p: ParsedRecord;
  keep: boolean;
}

/** The kid a record is about: an encryption key's, a certificate's signing kid, a revocation's target. */
export function subjectKid(p: ParsedRecord): string {
  const b = p.body;
  if (b.kind === RecordKind.EncryptionKey) return b.kid;
  if (b.kind === RecordKind.IdentityCertificate) return b.signingKid;
  return b.targetKid;
}

/** Rule 2: a certificate or encryption-key record stays until its not-after passes `cutoff`. */
export function keepByTime(entries: KeptEntry[], cutoff: number): void {
  for (const e of entries) {
    const b = e.p.body;
    if (b.kind !== RecordKind.Revocation && b.notAfter >= cutoff) e.keep = true;
  }
}

/**
 * Rules 4-5, to a fixed point (the kept set only grows). A revocation stays
 * when its target is pinned, when `removableTarget(kid)` says no record about
 * the target may justify its removal, or when a kept record is about its
 * target or was issued by it. A certificate for which `signs` holds stays
 * while a kept encryption-key record's signature needs its key.
 */
export function closeKept(
  entries: KeptEntry[],
  pinned: ReadonlySet<string>,
  removableTarget: (kid: string) => boolean,
  signs: (cert: KeptEntry) => boolean = () => true,
): void {
  for (let changed = true; changed;) {
    changed = false;
    const subjects = new Set<string>();
    const issuers = new Set<string>();
    for (const e of entries) {
      if (!e.keep || e.p.body.kind === RecordKind.Revocation) continue;
      subjects.add(subjectKid(e.p));
      // Only encryption-key records: a revocation by an identity key counts
      // only while its issuer's certificate is in force, hence kept anyway.
      if (e.p.body.kind === RecordKind.EncryptionKey) issuers.add(e.p.body.issuerKid);
    }
    for (const e of entries) {
      if (e.keep) continue;
      const b = e.p.body;
      const keep =
        b.kind === RecordKind.Revocation
          ? pinned.has(b.targetKid) ||
            !removableTarget(b.targetKid) ||
            subjects.has(b.targetKid) ||
            issuers.has(b.targetKid)
          : b.kind === RecordKind.IdentityCertificate && issuers.has(b.signingKid) && signs(e);
      if (keep) {
        e.keep = true;
        changed = true;
      }
    }
  }
}
