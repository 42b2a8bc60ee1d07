/**
 * The keys a rotator holds (SPEC.md §11.4): read from the key store newest
 * first, checked to be this identity's own, and asked for their revocation.
 */
import { BlindwireError, ErrorCode } from '@blindwire/core';
import { show } from '../checks.js';
import { RecordKind } from '../records/kinds.js';
import { parseRecord } from '../records/parse.js';
import type { RevocationReasonName } from '../records/publish.js';
import { listAllRecords } from '../stores/paging.js';
import { subjectKid } from '../trust/still-matters.js';
import type { StoredKey } from './key-store.js';
import { wipeAll, type RotationContext } from './rotation-context.js';

/** Every held key, newest first: copies the caller wipes (the key store's contract). */
export async function sortedKeys(ctx: RotationContext): Promise<StoredKey[]> {
  return (await ctx.options.keyStore.list()).sort(
    (x, y) => y.notBefore - x.notBefore || y.createdAt - x.createdAt,
  );
}

export interface OwnKeys {
  held: StoredKey[];
  maxSerial: number;
  /** Kids of held keys whose record a former signing key of the identity issued. */
  formerIssuer: Set<string>;
}

/**
 * The held keys tick() and rotate() decide on, newest first, and the highest
 * serial among their records (a new record's serial goes above it: serials
 * must not go backwards across restarts, whatever the clock says). A key
 * whose stored record is not this identity's record of that key (a key
 * store shared with another identity, or edited) makes them fail loudly:
 * counted as ours, it would pass for a successor, erase on our retention
 * and keep us from rotating, and its record would be re-published. Keys
 * stored by older versions carry no record and are taken as ours.
 */
export async function ownKeys(ctx: RotationContext): Promise<OwnKeys> {
  const held = await sortedKeys(ctx);
  let maxSerial = 0;
  const formerIssuer = new Set<string>();
  for (const k of held) {
    if (k.record === undefined) continue;
    const own = await ownRecord(ctx, k);
    if (own === undefined) {
      wipeAll(held);
      throw new BlindwireError(
        ErrorCode.InvalidArgument,
        `the key store holds key ${k.kid}, which is not ${ctx.options.identity.name}'s: use one key store per identity`,
      );
    }
    maxSerial = Math.max(maxSerial, own.serial);
    if (own.issuerKid !== ctx.options.identity.signing.kid) formerIssuer.add(k.kid);
  }
  return { held, maxSerial, formerIssuer };
}

/** The serial and issuer of `k`'s stored record when it is this identity's record of `k`; else undefined. */
async function ownRecord(
  ctx: RotationContext,
  k: StoredKey,
): Promise<{ serial: number; issuerKid: string } | undefined> {
  try {
    const { body } = await parseRecord(k.record!, { backend: ctx.backend });
    if (body.kind !== RecordKind.EncryptionKey) return undefined;
    // Name and kid: a record issued under an earlier signing key of this
    // identity (before a signing-key rotation) is still its own.
    const own = body.name === ctx.options.identity.name && body.kid === k.kid;
    return own ? { serial: body.serial, issuerKid: body.issuerKid } : undefined;
  } catch {
    return undefined;
  }
}

/** Whether `kid` is revoked, and why: what this rotator did, else what `isRevoked` says. */
export async function revocationOf(
  ctx: RotationContext,
  kid: string,
): Promise<RevocationReasonName | undefined> {
  const here = ctx.revokedHere.get(kid);
  if (here) return here;
  const r = ctx.options.isRevoked === undefined ? undefined : await ctx.options.isRevoked(kid);
  if (r === undefined || r === false) return undefined;
  if (r === 'compromise' || r === 'superseded') return r;
  if (r === true) return 'superseded'; // revoked, for no reason that calls for erasure
  throw new BlindwireError(
    ErrorCode.InvalidArgument,
    `"isRevoked" expected to resolve to a boolean, "compromise", "superseded" or undefined, got ${show(r)}`,
  );
}

/** Each held key's revocation, asked once per tick. */
export async function revocations(
  ctx: RotationContext,
  held: StoredKey[],
): Promise<Map<string, RevocationReasonName>> {
  const out = new Map<string, RevocationReasonName>();
  for (const k of held) {
    const r = await revocationOf(ctx, k.kid);
    if (r) out.set(k.kid, r);
  }
  return out;
}

/**
 * Whether `kid` is this identity's to revoke through the rotator (SPEC.md
 * §11.4): its signing key, a key it holds or erased for compromise (a
 * tombstone), or a key the prune store holds a record about for this
 * identity (parsed, not verified: this guards against a mistyped kid, not an
 * attacker). Undefined when a store could not be read: the revocation is
 * then not held back.
 */
export async function isOwnKid(ctx: RotationContext, kid: string): Promise<boolean | undefined> {
  const { identity, keyStore } = ctx.options;
  if (kid === identity.signing.kid || ctx.revokedHere.has(kid)) return true;
  let unknown = false;
  try {
    const held = await keyStore.list();
    const found = held.some((k) => k.kid === kid);
    wipeAll(held);
    if (found || ((await keyStore.tombstones?.()) ?? []).some((t) => t.kid === kid)) return true;
  } catch {
    unknown = true;
  }
  if (ctx.prune) {
    try {
      for (const r of await listAllRecords(ctx.prune.store, identity.name)) {
        const p = await parseRecord(r, { backend: ctx.backend }).catch(() => undefined);
        if (p?.body.name === identity.name && subjectKid(p) === kid) return true;
      }
    } catch {
      unknown = true;
    }
  }
  return unknown ? undefined : false;
}
