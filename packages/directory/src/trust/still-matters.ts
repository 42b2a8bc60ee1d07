/**
 * Which records of an identity can still matter to a client (SPEC.md §11.6
 * rules 2-5), shared by the prune planner (prune.ts) and by
 * resolution over `maxRecords` (verify-set.ts): records not yet past a
 * cutoff, the revocations of what stays, and the certificates whose keys
 * signed what stays.
 */
import { RecordKind } from '../records/kinds.js';
import { RevocationReason, type ParsedRecord } from '../records/types.js';

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
 * Rule 3: per issuer kid named, every encryption-key record at its highest
 * serial (the record of any rollback mark; a client whose keys all expired
 * sees ERR_EXPIRED, not ERR_KEY_NOT_FOUND), verified or not, so that what it
 * keeps depends on no other record; and, when `verifiedTop` gives the highest
 * serial among the issuer's verified records, every record at that serial
 * too, so that a forged higher serial keeps itself, not the genuine record
 * out. Ties all stay: the result does not depend on the records' order.
 */
export function keepNewestPerIssuer(
  entries: KeptEntry[],
  verifiedTop?: ReadonlyMap<string, number>,
): void {
  const highest = new Map<string, number>();
  for (const e of entries) {
    const b = e.p.body;
    if (b.kind !== RecordKind.EncryptionKey) continue;
    highest.set(b.issuerKid, Math.max(b.serial, highest.get(b.issuerKid) ?? -1));
  }
  for (const e of entries) {
    const b = e.p.body;
    if (b.kind !== RecordKind.EncryptionKey) continue;
    if (b.serial === highest.get(b.issuerKid) || b.serial === verifiedTop?.get(b.issuerKid))
      e.keep = true;
  }
}

export interface CloseOptions {
  /** Signing keys pinned for the identity: their revocations always stay. */
  pinned: ReadonlySet<string>;
  /** Whether the records about `kid` may justify removing its revocations. */
  removableTarget: (kid: string) => boolean;
  /** Whether `kid` is a signing key of the identity (a certificate is about it). */
  signingKey: (kid: string) => boolean;
  /** Whether this certificate may be the one kept for its key (default: any). */
  signs?: (cert: KeptEntry) => boolean;
}

const compromise = (b: ParsedRecord['body']) =>
  b.kind === RecordKind.Revocation && b.reason === RevocationReason.Compromise;

/**
 * Rules 4-5, to a fixed point (the kept set only grows). A revocation stays
 * when its target is pinned, when `removableTarget(kid)` says no record about
 * the target may justify its removal, when a kept record is about its target
 * or an encryption-key record kept was issued by it, and, for compromise, when
 * its target is a signing key: that revocation is what disarms a rollback
 * mark left by a record made with the leaked key (SPEC.md §11.2), stored or
 * not. A certificate for which `signs` holds stays while a kept
 * encryption-key record, or a kept revocation of its key by itself for
 * compromise, needs its key to verify, or while a kept revocation between
 * two signing keys of the identity has its key as issuer or target (the
 * keys' ranks decide which such revocation is in force).
 */
export function closeKept(entries: KeptEntry[], o: CloseOptions): void {
  const signs = o.signs ?? (() => true);
  for (let changed = true; changed;) {
    changed = false;
    const subjects = new Set<string>();
    const issuers = new Set<string>();
    const ranked = new Set<string>();
    for (const e of entries) {
      const b = e.p.body;
      if (!e.keep) continue;
      if (b.kind !== RecordKind.Revocation) subjects.add(subjectKid(e.p));
      if (b.kind === RecordKind.EncryptionKey) issuers.add(b.issuerKid);
      if (compromise(b) && b.issuerKid === subjectKid(e.p)) issuers.add(b.issuerKid);
      // Between signing keys, which revocation is in force depends on their
      // ranks, the serial of each key's newest certificate, expired or not
      // (SPEC.md §11.2 step 5): both keys keep it. An identity key's
      // revocation of an encryption key counts only while its issuer's
      // certificate is in force, hence kept anyway.
      if (
        b.kind === RecordKind.Revocation &&
        b.issuerKid !== b.targetKid &&
        o.signingKey(b.issuerKid) &&
        o.signingKey(b.targetKid)
      ) {
        ranked.add(b.issuerKid);
        ranked.add(b.targetKid);
      }
    }
    for (const e of entries) {
      if (e.keep) continue;
      const b = e.p.body;
      const keep =
        b.kind === RecordKind.Revocation
          ? o.pinned.has(b.targetKid) ||
            !o.removableTarget(b.targetKid) ||
            subjects.has(b.targetKid) ||
            issuers.has(b.targetKid) ||
            (compromise(b) && o.signingKey(b.targetKid))
          : b.kind === RecordKind.IdentityCertificate &&
            (issuers.has(b.signingKid) || ranked.has(b.signingKid)) &&
            signs(e);
      if (keep) {
        e.keep = true;
        changed = true;
      }
    }
  }
}
