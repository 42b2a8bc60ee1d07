/**
 * Trust policy checks (SPEC.md §11.2 step 0 and steps 4, 7): what a relying
 * party trusts (anchors with their name constraints, pinned keys), which
 * suites it accepts, its clock skew and record limit. A misconfigured
 * policy is ERR_INVALID_ARGUMENT, never a silent trust decision.
 */
import {
  BlindwireError,
  ErrorCode,
  signingKid,
  type AeadName,
  type KemName,
  type CryptoBackend,
  type ErrorCode as Code,
  type SigningPublicKey,
} from '@blindwire/core';
import { show } from '../checks.js';
import { checkAnchorNames } from '../records/trust-anchors.js';
import type { TrustAnchorPublic } from '../records/types.js';
import { namesCover } from './name-constraints.js';

/** The envelope KEMs by id (SPEC.md §5), HKDF-SHA256 and the envelope's AEADs. */
const KEMS: Record<number, KemName> = { 0x20: 'X25519', 0x647a: 'X-Wing' };
const AEADS: Record<number, AeadName> = {
  1: 'AES-128-GCM',
  2: 'AES-256-GCM',
  3: 'ChaCha20-Poly1305',
};
const AEAD_NAMES: readonly string[] = Object.values(AEADS);

/**
 * What a directory trusts (SPEC.md §11.2): the anchors and pinned keys, the
 * allowed suites, the clock skew and the most records per identity.
 */
export interface TrustPolicy {
  /** Organisation root keys that certify identities. */
  anchors?: TrustAnchorPublic[];
  /** Identity signing keys pinned directly (no certificate needed). */
  pinned?: { name: string; signing: SigningPublicKey }[];
  /** Accepted AEADs for encryption keys (default all three). */
  allowedSuites?: AeadName[];
  /** Clock tolerance in whole seconds, 0 to 86 400 (default 60). */
  clockSkew?: number;
  /** Records per identity before the set is refused, a positive integer (default 256). */
  maxRecords?: number;
  /**
   * Require the post-quantum hybrid KEM (X-Wing, SPEC.md §5.4) when resolving
   * recipients: `true` for every context, or the bound contexts (exact
   * strings) that need it. A recipient without a usable X-Wing key is then
   * ERR_UNSUPPORTED_SUITE. Default false.
   */
  requirePostQuantum?: boolean | string[];
}

/** `requirePostQuantum`: a boolean or an array of context strings. */
export function checkRequirePostQuantum(v: unknown): boolean | string[] {
  if (v === undefined) return false;
  if (typeof v === 'boolean') return v;
  if (Array.isArray(v) && Array.from(v as unknown[]).every((c) => typeof c === 'string'))
    return [...(v as string[])];
  throw err(
    ErrorCode.InvalidArgument,
    `"trust.requirePostQuantum" expected a boolean or an array of contexts, got ${show(v)}`,
  );
}

/** Whether the policy requires X-Wing for `context` (SPEC.md §11.3). */
export function postQuantumRequired(policy: TrustPolicy, context: string | undefined): boolean {
  const v = checkRequirePostQuantum(policy.requirePostQuantum);
  return v === true || (Array.isArray(v) && context !== undefined && v.includes(context));
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

/**
 * `allowedSuites`: a non-empty array of known AEAD names. A string would pass, and
 * `includes` would then match substrings; an empty list refuses every key.
 */
export function checkAllowedSuites(suites: unknown): AeadName[] | undefined {
  if (suites === undefined) return undefined;
  const bad = (got: string) =>
    err(
      ErrorCode.InvalidArgument,
      `"trust.allowedSuites" expected a non-empty array of ${AEAD_NAMES.map((a) => `"${a}"`).join(', ')}, got ${got}`,
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
  refuseRenamedSuites(policy);
  checkClockSkew(policy.clockSkew);
  checkMaxRecords(policy.maxRecords);
  checkAllowedSuites(policy.allowedSuites);
  checkRequirePostQuantum(policy.requirePostQuantum);
  for (const a of policy.anchors ?? []) checkAnchorNames(a.names, `"anchors[${a.name}].names"`);
}

/**
 * The kids in a trust policy are recomputed from their keys (SPEC.md §10.1):
 * a policy built by hand with a kid that names another key would otherwise
 * accept records whose issuer kid matches while checking them against the
 * key given. A mismatch is a configuration error, ERR_INVALID_ARGUMENT, on
 * every resolve, never a silent trust decision.
 */
export async function checkPolicyKids(
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

/**
 * The anchors that speak for `name`, by kid: those whose name constraints
 * (if any) cover it (SPEC.md §11.2 step 4). The others' certificates and
 * revocations are set aside like any unknown issuer's.
 */
export function anchorsFor(policy: TrustPolicy, name: string): Map<string, TrustAnchorPublic> {
  return new Map(
    (policy.anchors ?? []).filter((a) => namesCover(a.names, name)).map((a) => [a.kid, a]),
  );
}

/** The KEM of an encryption key's suite: X25519 or X-Wing (SPEC.md §5); undefined for others. */
export function suiteKem(suite: { kem: number }): KemName | undefined {
  return KEMS[suite.kem];
}

/**
 * The AEAD of an encryption key's suite when the policy accepts it
 * (SPEC.md §11.2 step 7): DHKEM(X25519, HKDF-SHA256) or X-Wing, HKDF-SHA256
 * and an envelope AEAD in the allow-list `suites` (all when undefined); else
 * undefined.
 */
export function acceptedAead(
  suite: { kem: number; kdf: number; aead: number },
  suites: readonly AeadName[] | undefined,
): AeadName | undefined {
  const aead = KEMS[suite.kem] && suite.kdf === 1 ? AEADS[suite.aead] : undefined;
  return aead && (!suites || suites.includes(aead)) ? aead : undefined;
}

/**
 * The allow-list was called `suites` before: a policy that still sets it
 * would silently accept every suite, so it is refused, never ignored, by
 * every function that reads `allowedSuites`.
 */
export function refuseRenamedSuites(policy: TrustPolicy): void {
  if ((policy as { suites?: unknown }).suites !== undefined) {
    throw err(
      ErrorCode.InvalidArgument,
      '"trust.suites" was renamed "trust.allowedSuites": set that instead',
    );
  }
}
