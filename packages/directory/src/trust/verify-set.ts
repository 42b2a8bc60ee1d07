/**
 * Signature and structure verification of an identity's record set (SPEC.md
 * §11.2 steps 1-5), the one verification path for every store: records are
 * parsed, checked for the identity's name and chained to a configured trust
 * anchor (or a pinned signing key). What is in force at a given time is
 * in-force.ts; the policy's own checks are policy.ts.
 */
import {
  BlindwireError,
  ErrorCode,
  type CryptoBackend,
  type ErrorCode as Code,
} from '@blindwire/core';
import { RecordKind } from '../records/kinds.js';
import { isParseFailure, parseRecord } from '../records/parse.js';
import { verifyRecordSignature } from '../records/sign.js';
import type {
  EncryptionKeyRecord,
  IdentityCertificate,
  ParsedRecord,
  Revocation,
  TrustAnchorPublic,
} from '../records/types.js';
import {
  anchorsFor,
  checkMaxRecords,
  checkPolicyKids,
  checkTrustPolicy,
  type TrustPolicy,
} from './policy.js';
import { stillMattering } from './over-cap.js';
import { strongest, type VerifiedSet } from './types.js';

type BackendOption = { backend?: CryptoBackend } | undefined;
type Parsed<B> = ParsedRecord & { body: B };
type Fail = (code: Code, message: string, rank?: number) => void;

/** SPEC.md §11.2 steps 1-5: parse, check names, verify every signature chain. */
export async function verifyRecordSet(
  name: string,
  records: Uint8Array[],
  policy: TrustPolicy,
  options?: {
    backend?: CryptoBackend;
    /**
     * The time, Unix seconds. With it, a set over `maxRecords` is cut to the
     * records that can still matter at this time or later before the cap
     * applies (SPEC.md §11.6); without it, it is refused.
     */
    now?: number;
  },
): Promise<VerifiedSet> {
  // Step 0, before any record is looked at: a misconfigured policy is
  // ERR_INVALID_ARGUMENT whatever the store returned.
  checkTrustPolicy(policy);
  await checkPolicyKids(policy, options);
  if (!Array.isArray(records) || !records.every((r) => r instanceof Uint8Array)) {
    throw new BlindwireError(
      ErrorCode.InvalidArgument,
      '"records" expected an array of Uint8Array',
    );
  }
  const max = checkMaxRecords(policy.maxRecords);
  if (records.length > max) {
    if (options?.now === undefined) {
      throw new BlindwireError(
        ErrorCode.LimitExceeded,
        `directory returned ${records.length} records for one identity (max ${max})`,
      );
    }
    records = await stillMattering(name, records, policy, max, options.now, options);
  }
  const out: VerifiedSet = {
    name,
    signingKeys: new Map(),
    encryptionKeys: [],
    revocations: new Map(),
    identityRevocations: [],
    failures: [],
  };
  const fail: Fail = (code, message, rank = -1) => out.failures.push({ code, message, rank });
  addPinnedKeys(out, policy);
  const anchors = anchorsFor(policy, name);
  const parsed = await parseAll(name, records, fail, options);
  await verifyCertificates(out, parsed, anchors, fail, options);
  await verifyRevocations(out, parsed, anchors, fail, options);
  await verifyEncryptionKeys(out, parsed, fail, options);
  return out;
}

/** Pinned signing keys of this identity: trusted with no certificate, and no window limit. */
function addPinnedKeys(out: VerifiedSet, policy: TrustPolicy): void {
  for (const p of policy.pinned ?? []) {
    if (p.name === out.name) {
      out.signingKeys.set(p.signing.kid, {
        kid: p.signing.kid,
        publicKey: p.signing.publicKey,
        notBefore: 0,
        notAfter: 0xffffffff,
        serial: 0,
        windows: [{ notBefore: 0, notAfter: 0xffffffff, serial: 0 }],
        pinned: true,
      });
    }
  }
}

/** Steps 1-3: every record parsed and naming this identity; the rest are failures. */
async function parseAll(
  name: string,
  records: Uint8Array[],
  fail: Fail,
  options: BackendOption,
): Promise<ParsedRecord[]> {
  const parsed: ParsedRecord[] = [];
  for (const r of records) {
    try {
      const p = await parseRecord(r, options);
      if (p.body.name !== name) {
        fail(
          ErrorCode.KeyUntrusted,
          'a record names another identity',
          'serial' in p.body ? p.body.serial : -1,
        );
        continue;
      }
      parsed.push(p);
    } catch (e) {
      if (!isParseFailure(e)) throw e; // the crypto backend failed, not the record
      fail((e as BlindwireError).code, (e as BlindwireError).message, -2);
    }
  }
  return parsed;
}

function ofKind<B extends { kind: number }>(parsed: ParsedRecord[], kind: B['kind']): Parsed<B>[] {
  return parsed.filter((p): p is Parsed<B> => p.body.kind === kind);
}

/**
 * Certificates first: they decide which signing keys exist, and when. Each
 * verified certificate adds a window (SPEC.md §11.2 step 4): a renewal issued
 * ahead of time does not take the place of the one in force.
 */
async function verifyCertificates(
  out: VerifiedSet,
  parsed: ParsedRecord[],
  anchors: Map<string, TrustAnchorPublic>,
  fail: Fail,
  options: BackendOption,
): Promise<void> {
  for (const p of ofKind<IdentityCertificate>(parsed, RecordKind.IdentityCertificate)) {
    const anchor = anchors.get(p.body.issuerKid);
    if (!anchor || !(await verifyRecordSignature(p, anchor.publicKey, options))) {
      fail(
        ErrorCode.KeyUntrusted,
        'identity certificate not signed by a trusted anchor',
        p.body.serial,
      );
      continue;
    }
    const prev = out.signingKeys.get(p.body.signingKid);
    if (prev?.pinned) continue; // a pin has no window to add to
    const w = { notBefore: p.body.notBefore, notAfter: p.body.notAfter, serial: p.body.serial };
    const windows = [...(prev?.windows ?? []), w].sort((a, b) => b.serial - a.serial);
    out.signingKeys.set(p.body.signingKid, {
      kid: p.body.signingKid,
      publicKey: p.body.signingKey,
      ...windows[0]!,
      windows,
      pinned: false,
    });
  }
}

/** Revocations: by an anchor, or by one of the identity's certified signing keys. */
async function verifyRevocations(
  out: VerifiedSet,
  parsed: ParsedRecord[],
  anchors: Map<string, TrustAnchorPublic>,
  fail: Fail,
  options: BackendOption,
): Promise<void> {
  for (const p of ofKind<Revocation>(parsed, RecordKind.Revocation)) {
    const issuer =
      anchors.get(p.body.issuerKid)?.publicKey ?? out.signingKeys.get(p.body.issuerKid)?.publicKey;
    if (!issuer || !(await verifyRecordSignature(p, issuer, options))) {
      fail(ErrorCode.KeyUntrusted, 'revocation not signed by an anchor or the identity', -1);
      continue;
    }
    if (anchors.has(p.body.issuerKid) || p.body.issuerKid === p.body.targetKid) {
      out.revocations.set(
        p.body.targetKid,
        strongest(out.revocations.get(p.body.targetKid), p.body),
      );
    } else {
      out.identityRevocations.push(p.body);
    }
  }
}

/** Encryption keys: signed by one of the identity's signing keys. */
async function verifyEncryptionKeys(
  out: VerifiedSet,
  parsed: ParsedRecord[],
  fail: Fail,
  options: BackendOption,
): Promise<void> {
  for (const p of ofKind<EncryptionKeyRecord>(parsed, RecordKind.EncryptionKey)) {
    const issuer = out.signingKeys.get(p.body.issuerKid);
    if (!issuer || !(await verifyRecordSignature(p, issuer.publicKey, options))) {
      fail(
        ErrorCode.KeyUntrusted,
        "encryption key not signed by the identity's certified key",
        p.body.serial,
      );
      continue;
    }
    out.encryptionKeys.push(p.body);
  }
}
