/**
 * What is in force at a time (SPEC.md §11.2 steps 5-9), read from a
 * verified record set (verify-set.ts): the revocations that count, whether
 * a signing key is usable, and the encryption keys a sender may seal to,
 * newest first, guarded by the rollback marks (rollback.ts).
 */
import { BlindwireError, ErrorCode, type ErrorCode as Code } from '@blindwire/core';
import { RevocationReason, type Revocation } from '../records/types.js';
import {
  acceptedAead,
  suiteKem,
  checkClockSkew,
  checkAllowedSuites,
  refuseRenamedSuites,
  type TrustPolicy,
} from './policy.js';
import { checkRollback, type RollbackState } from './rollback.js';
import { strongest, type ResolvedKey, type SigningKeyInfo, type VerifiedSet } from './types.js';
import { checkNow, signingWindowCode, windowCode } from './windows.js';

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
  refuseRenamedSuites(policy);
  const suites = checkAllowedSuites(policy.allowedSuites);
  const revocations = revocationsAt(v, now, skew);
  const failures = [...v.failures];
  const usable: ResolvedKey[] = [];
  for (const r of v.encryptionKeys) {
    const issuer = signingKeyStatus(v, r.issuerKid, now, skew, revocations);
    const aead = acceptedAead(r.suite, suites);
    let code: Code | undefined;
    if (typeof issuer === 'string') code = issuer;
    else if (!aead) code = ErrorCode.UnsupportedSuite;
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
      kem: suiteKem(r.suite)!,
      notBefore: r.notBefore,
      notAfter: r.notAfter,
      serial: r.serial,
    });
  }
  usable.sort((a, b) => b.serial - a.serial || b.notBefore - a.notBefore);
  if (rollback) checkRollback(rollback, v, usable, revocations, now, skew);
  if (usable.length > 0) return usable;
  if (failures.length === 0)
    throw new BlindwireError(ErrorCode.KeyNotFound, `no encryption key published for ${v.name}`);
  const worst = failures.reduce((a, b) => (b.rank > a.rank ? b : a));
  throw new BlindwireError(worst.code, `no usable encryption key for ${v.name}: ${worst.message}`);
}
