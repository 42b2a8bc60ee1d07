/**
 * Choosing the keys of one envelope's recipients (SPEC.md §11.3, §5.4): an
 * envelope has one KEM, so the keys are all X-Wing (the post-quantum hybrid)
 * when every recipient has a usable one, else all X25519; a policy or the
 * caller may require X-Wing, and a recipient without it then fails clearly.
 */
import { BlindwireError, ErrorCode, type KemName } from '@blindwire/core';
import { show } from '../checks.js';
import { checkRequirePostQuantum, postQuantumRequired, type TrustPolicy } from './policy.js';
import type { ResolvedKey } from './types.js';

/**
 * Whether X-Wing is required (SPEC.md §5.4, §11.3). The policy is a floor: the
 * call may add the requirement (`requirePostQuantum: true`) but never lift it.
 * A policy naming contexts needs to know the context the envelope will bind:
 * `context` (a string), or `null` for an envelope without one; omitting it is
 * ERR_INVALID_ARGUMENT, since keys chosen for no context could then be sealed
 * under a context that requires X-Wing.
 */
export function checkRecipientOptions(
  o: { context?: unknown; requirePostQuantum?: unknown } | undefined,
  policy: TrustPolicy,
): boolean {
  if (o !== undefined && (typeof o !== 'object' || o === null))
    throw new BlindwireError(ErrorCode.InvalidArgument, '"options" expected an object');
  const context = o?.context;
  if (context !== undefined && context !== null && typeof context !== 'string')
    throw new BlindwireError(
      ErrorCode.InvalidArgument,
      `"options.context" expected a string or null, got ${show(context)}`,
    );
  const call = o?.requirePostQuantum;
  if (call !== undefined && typeof call !== 'boolean')
    throw new BlindwireError(
      ErrorCode.InvalidArgument,
      `"options.requirePostQuantum" expected a boolean, got ${show(call)}`,
    );
  if (call === true) return true;
  const v = checkRequirePostQuantum(policy.requirePostQuantum);
  if (Array.isArray(v) && context === undefined)
    throw new BlindwireError(
      ErrorCode.InvalidArgument,
      '"options.context" is required: the policy requires X-Wing for some contexts; pass the context the envelope will bind, or null for none',
    );
  return postQuantumRequired(policy, context ?? undefined);
}

const newest = (keys: readonly ResolvedKey[], kem: KemName) => keys.find((k) => k.kem === kem);

/**
 * One key per name, all of one KEM: X-Wing when every name has a usable
 * X-Wing key, else X25519 (`keys[i]` are the usable keys of `names[i]`,
 * newest first).
 */
export function chooseRecipientKeys(
  names: readonly string[],
  keys: readonly (readonly ResolvedKey[])[],
  requirePostQuantum: boolean,
): ResolvedKey[] {
  const hybrid = keys.map((k) => newest(k, 'X-Wing'));
  if (hybrid.every((k) => k !== undefined)) return hybrid as ResolvedKey[];
  const lacking = names.filter((_, i) => hybrid[i] === undefined);
  if (requirePostQuantum) {
    throw new BlindwireError(
      ErrorCode.UnsupportedSuite,
      `post-quantum keys required, but ${lacking.join(', ')} publish${lacking.length === 1 ? 'es' : ''} no usable X-Wing key`,
    );
  }
  const classical = keys.map((k) => newest(k, 'X25519'));
  const none = names.filter((_, i) => classical[i] === undefined);
  if (none.length > 0) {
    throw new BlindwireError(
      ErrorCode.UnsupportedSuite,
      `no KEM common to every recipient: ${lacking.join(', ')} publish no usable X-Wing key and ${none.join(', ')} no usable X25519 key (seal to them separately)`,
    );
  }
  return classical as ResolvedKey[];
}
