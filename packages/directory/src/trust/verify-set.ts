/**
 * The one verification path for every adapter (SPEC.md §11.2): records are
 * parsed, chained to a configured trust anchor (or a pinned signing key),
 * checked for the identity's name, their validity windows with clock skew,
 * revocation, rollback and the suite allow-list. A sender never seals to a
 * key that did not pass; a recipient never accepts a sender key that did not.
 */
import {
  BlindwireError,
  ErrorCode,
  type AeadName,
  type CryptoBackend,
  type ErrorCode as Code,
  type SigningPublicKey,
  signingKid,
} from '@blindwire/core';
import { RecordKind } from '../records/kinds.js';
import { parseRecord } from '../records/parse.js';
import { verifyRecordSignature } from '../records/sign.js';
import {
  RevocationReason,
  type EncryptionKeyRecord,
  type ParsedRecord,
  type Revocation,
  type TrustAnchorPublic,
} from '../records/types.js';
import { show } from '../checks.js';
import { namesCover } from './name-constraints.js';
import { checkAnchorNames } from '../records/trust-anchors.js';

/** DHKEM(X25519, HKDF-SHA256) / HKDF-SHA256 and the envelope's AEADs. */
const AEADS: Record<number, AeadName> = {
  1: 'AES-128-GCM',
  2: 'AES-256-GCM',
  3: 'ChaCha20-Poly1305',
};
const AEAD_NAMES: readonly string[] = Object.values(AEADS);

export interface TrustPolicy {
  /** Organisation root keys that certify identities. */
  anchors?: TrustAnchorPublic[];
  /** Identity signing keys pinned directly (no certificate needed). */
  pinned?: { name: string; signing: SigningPublicKey }[];
  /** Accepted AEADs for encryption keys (default all three). */
  suites?: AeadName[];
  /** Clock tolerance in whole seconds, 0 to 86 400 (default 60). */
  clockSkew?: number;
  /** Records per identity before the set is refused, a positive integer (default 256). */
  maxRecords?: number;
}

/** The validity window of one verified identity certificate. */
export interface CertificateWindow {
  notBefore: number;
  notAfter: number;
  serial: number;
}

export interface SigningKeyInfo {
  kid: string;
  publicKey: Uint8Array;
  /** Window of the certificate with the highest serial (for display; usability checks `windows`). */
  notBefore: number;
  notAfter: number;
  serial: number;
  /** Every verified certificate's window, highest serial first (SPEC.md §11.2 step 4). */
  windows: CertificateWindow[];
  pinned: boolean;
}

/** An encryption key a sender may seal to: plugs into `seal`'s `recipients`. */
export interface ResolvedKey {
  name: string;
  kid: string;
  publicKey: Uint8Array;
  aead: AeadName;
  notBefore: number;
  notAfter: number;
  serial: number;
}

interface Failure {
  code: Code;
  message: string;
  rank: number;
}

/** Everything in an identity's record set whose signature chain verified. */
export interface VerifiedSet {
  name: string;
  signingKeys: Map<string, SigningKeyInfo>;
  encryptionKeys: EncryptionKeyRecord[];
  /** Revocations that always count: issued by an anchor, or by a key about itself. */
  revocations: Map<string, Revocation>;
  /** Revocations issued by one identity key about another: they count only while the issuer is usable. */
  identityRevocations: Revocation[];
  failures: Failure[];
}

export interface RollbackState {
  /** Highest encryption-key serial seen per identity, with its expiry and the kid of the signing key that issued it. */
  highWater: Map<string, { serial: number; notAfter: number; issuerKid?: string }>;
}

export function createRollbackState(): RollbackState {
  return { highWater: new Map() };
}

const err = (code: Code, message: string) => new BlindwireError(code, message);

const MAX_SKEW = 86_400;

/**
 * A clock skew is whole seconds from 0 to 86 400, as in core's checks. Anything
 * else (a string, which `+` would concatenate; NaN, which compares false) would
 * make every validity window pass, so it is refused, never defaulted.
 */
export function checkClockSkew(skew: unknown, name = 'trust.clockSkew'): number {
  if (skew === undefined) return 60;
  if (!Number.isInteger(skew) || (skew as number) < 0 || (skew as number) > MAX_SKEW) {
    throw err(
      ErrorCode.InvalidArgument,
      `"${name}" expected whole seconds from 0 to ${MAX_SKEW}, got ${show(skew)}`,
    );
  }
  return skew as number;
}

/** `maxRecords`: a positive safe integer (NaN would let any number of records through). */
export function checkMaxRecords(max: unknown): number {
  if (max === undefined) return 256;
  if (!Number.isSafeInteger(max) || (max as number) < 1) {
    throw err(
      ErrorCode.InvalidArgument,
      `"trust.maxRecords" expected a positive integer, got ${show(max)}`,
    );
  }
  return max as number;
}

/** A time in Unix seconds: a NaN clock would pass every window. */
function checkNow(now: unknown): number {
  if (typeof now !== 'number' || !Number.isFinite(now) || now < 0) {
    throw err(ErrorCode.InvalidArgument, `"now" expected Unix seconds ≥ 0, got ${show(now)}`);
  }
  return now;
}

/**
 * `suites`: a non-empty array of known AEAD names. A string would pass, and
 * `includes` would then match substrings; an empty list refuses every key.
 */
export function checkSuites(suites: unknown): AeadName[] | undefined {
  if (suites === undefined) return undefined;
  const bad = (got: string) =>
    err(
      ErrorCode.InvalidArgument,
      `"trust.suites" expected a non-empty array of ${AEAD_NAMES.map((a) => `"${a}"`).join(', ')}, got ${got}`,
    );
  if (!Array.isArray(suites)) throw bad(show(suites));
  if (suites.length === 0) throw bad('[]');
  // An index loop: `every` would skip the holes of a sparse array.
  for (let i = 0; i < suites.length; i++) {
    if (!AEAD_NAMES.includes(suites[i])) throw bad(`${show(suites[i])} at index ${i}`);
  }
  return [...(suites as AeadName[])];
}

/**
 * Checks what of a trust policy needs no hashing (SPEC.md §11.2 step 0): its
 * numbers, suites and anchor names; ERR_INVALID_ARGUMENT names the bad one.
 */
export function checkTrustPolicy(policy: TrustPolicy): void {
  if (typeof policy !== 'object' || policy === null) {
    throw err(ErrorCode.InvalidArgument, '"trust" expected a trust policy object');
  }
  for (const list of ['anchors', 'pinned'] as const) {
    const v: unknown = policy[list];
    if (v !== undefined && !Array.isArray(v)) {
      throw err(ErrorCode.InvalidArgument, `"trust.${list}" expected an array`);
    }
    for (const [i, e] of ((v ?? []) as unknown[]).entries()) {
      const ok =
        typeof e === 'object' &&
        e !== null &&
        (list === 'anchors' ||
          (typeof (e as { signing?: unknown }).signing === 'object' &&
            (e as { signing?: unknown }).signing !== null));
      if (!ok) throw err(ErrorCode.InvalidArgument, `"trust.${list}[${i}]" expected an object`);
    }
  }
  checkClockSkew(policy.clockSkew);
  checkMaxRecords(policy.maxRecords);
  checkSuites(policy.suites);
  for (const a of policy.anchors ?? []) checkAnchorNames(a.names, `"anchors[${a.name}].names"`);
}

function strongest(a: Revocation | undefined, b: Revocation): Revocation {
  if (!a) return b;
  if (b.reason === RevocationReason.Compromise && a.reason !== RevocationReason.Compromise)
    return b;
  return a;
}

/**
 * The kids in a trust policy are recomputed from their keys (SPEC.md §10.1):
 * a policy built by hand with a kid that names another key would otherwise
 * accept records whose issuer kid matches while checking them against the
 * key given. A mismatch is a configuration error, ERR_INVALID_ARGUMENT, on
 * every resolve, never a silent trust decision.
 */
async function checkPolicyKids(
  policy: TrustPolicy,
  options?: { backend?: CryptoBackend },
): Promise<void> {
  const entries = [
    ...(policy.anchors ?? []).map((a) => ({ what: `anchor "${a.name}"`, key: a })),
    ...(policy.pinned ?? []).map((p) => ({ what: `pinned key of "${p.name}"`, key: p.signing })),
  ];
  for (const { what, key } of entries) {
    const ok =
      key.publicKey instanceof Uint8Array &&
      key.publicKey.length === 32 &&
      (await signingKid(key.publicKey, options)) === key.kid;
    if (!ok) {
      throw err(
        ErrorCode.InvalidArgument,
        `trust policy: the kid of the ${what} does not match its key`,
      );
    }
  }
}

/** Whether the anchor's name constraints (none: every name) cover `name`. */
function anchorCovers(a: TrustAnchorPublic, name: string): boolean {
  return namesCover(a.names, name);
}

/** SPEC.md §11.2 steps 1-5: parse, check names, verify every signature chain. */
export async function verifyRecordSet(
  name: string,
  records: Uint8Array[],
  policy: TrustPolicy,
  options?: { backend?: CryptoBackend },
): Promise<VerifiedSet> {
  // Step 0, before any record is looked at: a misconfigured policy is
  // ERR_INVALID_ARGUMENT whatever the store returned.
  checkTrustPolicy(policy);
  await checkPolicyKids(policy, options);
  if (!Array.isArray(records) || !records.every((r) => r instanceof Uint8Array)) {
    throw err(ErrorCode.InvalidArgument, '"records" expected an array of Uint8Array');
  }
  const max = checkMaxRecords(policy.maxRecords);
  if (records.length > max) {
    throw err(
      ErrorCode.LimitExceeded,
      `directory returned ${records.length} records for one identity (max ${max})`,
    );
  }
  const out: VerifiedSet = {
    name,
    signingKeys: new Map(),
    encryptionKeys: [],
    revocations: new Map(),
    identityRevocations: [],
    failures: [],
  };
  const fail = (code: Code, message: string, rank = -1) =>
    out.failures.push({ code, message, rank });
  for (const p of policy.pinned ?? []) {
    if (p.name === name) {
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
  // Anchors whose name constraints (if any) cover this identity; the others do
  // not speak for it (SPEC.md §11.2 step 4): their certificates and revocations
  // are set aside like any unknown issuer's.
  const anchors = new Map(
    (policy.anchors ?? []).filter((a) => anchorCovers(a, name)).map((a) => [a.kid, a]),
  );
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
      const code = e instanceof BlindwireError ? e.code : ErrorCode.RecordMalformed;
      fail(code, e instanceof Error ? e.message : 'malformed record', -2);
    }
  }
  // Certificates first: they decide which signing keys exist, and when. Each
  // verified certificate adds a window (SPEC.md §11.2 step 4): a renewal issued
  // ahead of time does not take the place of the one in force.
  for (const p of parsed) {
    if (p.body.kind !== RecordKind.IdentityCertificate) continue;
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
  // Revocations: by an anchor, or by one of the identity's certified signing keys.
  for (const p of parsed) {
    if (p.body.kind !== RecordKind.Revocation) continue;
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
  // Encryption keys: signed by one of the identity's signing keys.
  for (const p of parsed) {
    if (p.body.kind !== RecordKind.EncryptionKey) continue;
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
  return out;
}

function windowCode(nbf: number, naf: number, now: number, skew: number): Code | undefined {
  if (now > naf + skew) return ErrorCode.Expired;
  if (nbf > now + skew) return ErrorCode.NotYetValid;
  return undefined;
}

/**
 * SPEC.md §11.2: a signing key is inside its validity when one of its
 * certificates' windows covers `now` (with skew). Otherwise the code is that
 * of the certificate with the highest serial.
 */
function signingWindowCode(k: SigningKeyInfo, now: number, skew: number): Code | undefined {
  let first: Code | undefined;
  for (const w of k.windows) {
    const code = windowCode(w.notBefore, w.notAfter, now, skew);
    if (!code) return undefined;
    first ??= code;
  }
  return first ?? ErrorCode.KeyUntrusted;
}

/**
 * SPEC.md §11.2 step 5: the revocations in force at `now`. One identity key's
 * revocation of another counts only while its issuer is inside its window and
 * not revoked for compromise, by an anchor, by itself or by a newer identity
 * key. Between the identity's signing keys revocations go from newer to
 * older or between keys of one rank (by their newest certificate's serial;
 * pins rank 0), never from older to newer, so a leaked key cannot revoke the
 * keys certified after it, and a key revoked for compromise by a newer one
 * revokes nothing.
 */
export function revocationsAt(v: VerifiedSet, now: number, skew: number): Map<string, Revocation> {
  checkNow(now);
  skew = checkClockSkew(skew, 'skew');
  if (v.identityRevocations.length === 0) return v.revocations;
  const rank = (kid: string) => v.signingKeys.get(kid)?.windows[0]?.serial ?? -1;
  // Issuers of one rank at a time, highest first. Each issuer's standing is
  // read before its rank's own revocations apply, so it depends only on
  // anchors, itself and higher ranks: keys of one rank (two pins, say) may
  // revoke each other, and the order they are read in changes nothing.
  const ranks = [...new Set(v.identityRevocations.map((r) => rank(r.issuerKid)))].sort(
    (a, b) => b - a,
  );
  const out = new Map(v.revocations);
  for (const level of ranks) {
    const inForce = v.identityRevocations.filter((r) => {
      if (rank(r.issuerKid) !== level) return false;
      const issuer = v.signingKeys.get(r.issuerKid);
      if (!issuer || signingWindowCode(issuer, now, skew)) return false;
      if (out.get(r.issuerKid)?.reason === RevocationReason.Compromise) return false;
      // Never from an older signing key to a newer one.
      return !(v.signingKeys.has(r.targetKid) && rank(r.targetKid) > level);
    });
    for (const r of inForce) out.set(r.targetKid, strongest(out.get(r.targetKid), r));
  }
  return out;
}

/**
 * Checks a signing key for use at `now`: one of its windows, compromise.
 * Superseded keys stay valid until they expire.
 */
export function signingKeyStatus(
  v: VerifiedSet,
  kid: string,
  now: number,
  skew: number,
  revocations: Map<string, Revocation> = revocationsAt(v, now, skew),
): SigningKeyInfo | Code {
  checkNow(now);
  skew = checkClockSkew(skew, 'skew');
  const k = v.signingKeys.get(kid);
  if (!k) return ErrorCode.KeyUntrusted;
  const w = signingWindowCode(k, now, skew);
  if (w) return w;
  if (revocations.get(kid)?.reason === RevocationReason.Compromise) return ErrorCode.KeyRevoked;
  return k;
}

/**
 * SPEC.md §11.2 steps 6-9: the encryption keys a sender may use at `now`,
 * newest (highest serial) first; throws the most relevant failure when none.
 */
export function usableEncryptionKeys(
  v: VerifiedSet,
  now: number,
  policy: TrustPolicy,
  rollback?: RollbackState,
): ResolvedKey[] {
  checkNow(now);
  const skew = checkClockSkew(policy.clockSkew);
  const suites = checkSuites(policy.suites);
  const revocations = revocationsAt(v, now, skew);
  const failures = [...v.failures];
  const usable: ResolvedKey[] = [];
  for (const r of v.encryptionKeys) {
    const issuer = signingKeyStatus(v, r.issuerKid, now, skew, revocations);
    const aead = r.suite.kem === 0x20 && r.suite.kdf === 1 ? AEADS[r.suite.aead] : undefined;
    let code: Code | undefined;
    if (typeof issuer === 'string') code = issuer;
    else if (!aead || (suites && !suites.includes(aead))) code = ErrorCode.UnsupportedSuite;
    else if (revocations.has(r.kid)) code = ErrorCode.KeyRevoked;
    // Senders switch only once a key's not-before has passed (its propagation delay).
    else if (r.notBefore > now) code = ErrorCode.NotYetValid;
    else code = windowCode(r.notBefore, r.notAfter, now, skew);
    if (code) {
      failures.push({ code, message: `encryption key ${r.kid}: ${code}`, rank: r.serial });
      continue;
    }
    usable.push({
      name: v.name,
      kid: r.kid,
      publicKey: r.publicKey,
      aead: aead!,
      notBefore: r.notBefore,
      notAfter: r.notAfter,
      serial: r.serial,
    });
  }
  usable.sort((a, b) => b.serial - a.serial || b.notBefore - a.notBefore);
  if (rollback) {
    const hw = rollback.highWater.get(v.name);
    const newest = usable[0];
    const withdrawn = hw && (!newest || newest.serial < hw.serial) && hw.notAfter + skew >= now;
    // A remembered record no longer counts once it, or the signing key that
    // issued it, is revoked (the issuer for compromise): else one record
    // slipped in with a leaked signing key would lock clients out until an
    // expiry the attacker chose (SPEC.md §11.2).
    const revokedOrGone =
      hw &&
      (v.encryptionKeys.some((r) => r.serial === hw.serial && revocations.has(r.kid)) ||
        (hw.issuerKid !== undefined &&
          revocations.get(hw.issuerKid)?.reason === RevocationReason.Compromise));
    if (withdrawn && !revokedOrGone) {
      throw err(
        ErrorCode.KeyRollback,
        `directory served an older key record for ${v.name} than one already seen`,
      );
    }
    if (newest && (!hw || newest.serial > hw.serial)) {
      const issuerKid = v.encryptionKeys.find((r) => r.kid === newest.kid)?.issuerKid;
      rollback.highWater.set(v.name, {
        serial: newest.serial,
        notAfter: newest.notAfter,
        ...(issuerKid !== undefined ? { issuerKid } : {}),
      });
    }
  }
  if (usable.length > 0) return usable;
  if (failures.length === 0)
    throw err(ErrorCode.KeyNotFound, `no encryption key published for ${v.name}`);
  const worst = failures.reduce((a, b) => (b.rank > a.rank ? b : a));
  throw err(worst.code, `no usable encryption key for ${v.name}: ${worst.message}`);
}
