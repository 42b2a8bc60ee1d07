/**
 * Resolution of a set over `maxRecords` (SPEC.md §11.6, "Stores that missed
 * pruning"): within hard caps on the records and bytes read, the records
 * are parsed and those whose own signed times say no client can use them any
 * more (not-after + skew passed) are set aside, with the revocations and
 * certificates only they needed, before the cap applies: the same rules as
 * pruning with a horizon of the skew. The newest key record of each issuer
 * is found among records whose signature checks, with at most
 * MAX_RANK_CHECKS checks per issuer, so a forged higher serial never sets
 * the genuine newest record aside. A store that missed pruning degrades
 * gracefully instead of failing every resolve.
 */
import { BlindwireError, ErrorCode, type CryptoBackend } from '@blindwire/core';
import { RecordKind } from '../records/kinds.js';
import { isParseFailure, parseRecord } from '../records/parse.js';
import { recordId } from '../records/record-id.js';
import { verifyRecordSignature } from '../records/sign.js';
import { MAX_RECORD_BYTES } from '../records/types.js';
import { checkClockSkew, type TrustPolicy } from './policy.js';
import { closeKept, keepByTime, subjectKid, type KeptEntry } from './still-matters.js';
import { checkNow } from './windows.js';

/** Records read at most for one identity, whatever `maxRecords` says is enough to verify. */
export const HARD_MAX_RECORDS = 1024;

/**
 * SPEC.md §11.6: signature checks at most, per issuer kid, to find its
 * newest genuine key record over the cap. More forged records above it than
 * this, and every key record of that issuer counts toward `maxRecords`.
 */
export const MAX_RANK_CHECKS = 8;

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
 * genuine serial, ties included: keepVerifiedNewest), nor the revocations
 * and certificates only they needed (still-matters.ts, read without
 * verification). Records that do not parse or name another identity stay
 * (verification sets them aside).
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
    } catch (e) {
      if (!isParseFailure(e)) throw e; // the crypto backend failed, not the record
      other.push(r);
    }
  }
  keepByTime(entries, cutoff);
  await keepVerifiedNewest(name, entries, policy, options);
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

/**
 * The public key of each signing kid the records or the policy give: a pin
 * of `name`, or any certificate of `name` for that kid. A kid is the hash of
 * its key, so every certificate for it gives the same key; whether the key is
 * trusted is §11.2's question, not this one.
 */
function issuerKeys(name: string, entries: KeptEntry[], policy: TrustPolicy) {
  const keys = new Map<string, Uint8Array>();
  for (const p of policy.pinned ?? [])
    if (p.name === name) keys.set(p.signing.kid, p.signing.publicKey);
  for (const e of entries) {
    const b = e.p.body;
    if (b.kind === RecordKind.IdentityCertificate && !keys.has(b.signingKid))
      keys.set(b.signingKid, b.signingKey);
  }
  return keys;
}

/**
 * Rule 3 over the cap (SPEC.md §11.6): per issuer kid, its encryption-key
 * records are tried from the highest serial down (ties by record id), and
 * every record at the serial of the first whose signature checks with the
 * issuer's key stays; those above it are forged. At most MAX_RANK_CHECKS
 * checks per issuer: past that, every record of the issuer stays. An issuer
 * whose key no record gives can have no verifying record: its records at its
 * highest serial stay, as without checks.
 */
async function keepVerifiedNewest(
  name: string,
  entries: KeptEntry[],
  policy: TrustPolicy,
  options: { backend?: CryptoBackend },
): Promise<void> {
  const keys = issuerKeys(name, entries, policy);
  const byIssuer = new Map<string, KeptEntry[]>();
  for (const e of entries) {
    const b = e.p.body;
    if (b.kind !== RecordKind.EncryptionKey) continue;
    const list = byIssuer.get(b.issuerKid);
    if (list) list.push(e);
    else byIssuer.set(b.issuerKid, [e]);
  }
  const opts = options.backend ? { backend: options.backend } : undefined;
  const serial = (e: KeptEntry) => (e.p.body as { serial: number }).serial;
  for (const [issuer, list] of byIssuer) {
    list.sort((a, b) => serial(b) - serial(a) || cmp(recordId(a.p.bytes), recordId(b.p.bytes)));
    const key = keys.get(issuer);
    let top: number | undefined;
    if (key === undefined) top = serial(list[0]!);
    else {
      for (const [i, e] of list.entries()) {
        if (i === MAX_RANK_CHECKS) {
          list.forEach((x) => (x.keep = true)); // too many forgeries to look past: keep all
          break;
        }
        if (await verifyRecordSignature(e.p, key, opts)) {
          top = serial(e);
          break;
        }
      }
    }
    for (const e of list) if (serial(e) === top) e.keep = true;
  }
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
