/**
 * Resolution of a set over `maxRecords` (SPEC.md §11.6, "Stores that missed
 * pruning"): within hard caps on the records and bytes read, the records
 * are parsed (no signature is checked) and those whose own signed times say
 * no client can use them any more (not-after + skew passed) are set aside,
 * with the revocations and certificates only they needed, before the cap
 * applies: the same rules as pruning with a horizon of the skew. A store
 * that missed pruning degrades gracefully instead of failing every resolve.
 */
import { BlindwireError, ErrorCode, type CryptoBackend } from '@blindwire/core';
import { RecordKind } from '../records/kinds.js';
import { parseRecord } from '../records/parse.js';
import { MAX_RECORD_BYTES } from '../records/types.js';
import { checkClockSkew, type TrustPolicy } from './policy.js';
import {
  closeKept,
  keepByTime,
  keepNewestPerIssuer,
  subjectKid,
  type KeptEntry,
} from './still-matters.js';
import { checkNow } from './windows.js';

/** Records read at most for one identity, whatever `maxRecords` says is enough to verify. */
export const HARD_MAX_RECORDS = 1024;

const limit = (message: string) => new BlindwireError(ErrorCode.LimitExceeded, message);

/**
 * The records of `records` that can still matter at `now` or later
 * (setAsideExpired with the cutoff `now - skew`), within the hard caps. More
 * than `maxRecords` left is ERR_LIMIT_EXCEEDED.
 */
export async function stillMattering(
  name: string,
  records: Uint8Array[],
  policy: TrustPolicy,
  max: number,
  now: number,
  options: { backend?: CryptoBackend },
): Promise<Uint8Array[]> {
  checkNow(now);
  const hard = Math.max(max, HARD_MAX_RECORDS);
  if (records.length > hard)
    throw limit(`directory returned ${records.length} records for one identity (hard max ${hard})`);
  let bytes = 0;
  for (const r of records) bytes += r.length;
  if (bytes > hard * MAX_RECORD_BYTES)
    throw limit(
      `directory returned ${bytes} bytes for one identity (max ${hard * MAX_RECORD_BYTES})`,
    );
  const skew = checkClockSkew(policy.clockSkew);
  const kept = await setAsideExpired(name, records, policy, now - skew, options);
  if (kept.length > max) {
    throw limit(
      `directory returned ${kept.length} records for one identity that can still matter (max ${max})`,
    );
  }
  return kept;
}

/**
 * `records` without the certificates and encryption-key records whose
 * not-after is before `cutoff` (but every key record at its issuer's highest
 * serial, ties included), nor the
 * revocations and certificates only they needed (still-matters.ts, read without verification). Records that do
 * not parse or name another identity stay (verification sets them aside).
 */
export async function setAsideExpired(
  name: string,
  records: Uint8Array[],
  policy: TrustPolicy,
  cutoff: number,
  options: { backend?: CryptoBackend },
): Promise<Uint8Array[]> {
  const other: Uint8Array[] = [];
  const entries: KeptEntry[] = [];
  for (const r of records) {
    try {
      const p = await parseRecord(r, options.backend ? { backend: options.backend } : undefined);
      if (p.body.name === name) entries.push({ p, keep: false });
      else other.push(r);
    } catch {
      other.push(r);
    }
  }
  keepByTime(entries, cutoff);
  keepNewestPerIssuer(entries);
  const dropped = new Set(
    entries
      .filter((e) => !e.keep && e.p.body.kind !== RecordKind.Revocation)
      .map((e) => subjectKid(e.p)),
  );
  const pinned = new Set(
    (policy.pinned ?? []).filter((p) => p.name === name).map((p) => p.signing.kid),
  );
  const signingKids = new Set(
    entries
      .filter((e) => e.p.body.kind === RecordKind.IdentityCertificate)
      .map((e) => subjectKid(e.p)),
  );
  closeKept(entries, {
    pinned,
    removableTarget: (kid) => dropped.has(kid),
    signingKey: (kid) => signingKids.has(kid),
  });
  return [...other, ...entries.filter((e) => e.keep).map((e) => e.p.bytes)];
}
