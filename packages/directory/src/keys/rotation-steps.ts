/**
 * The rotator's steps (SPEC.md §11.4), each run alone by the step queue:
 * rotate now, one tick (erase past retention or compromised, publish again,
 * rotate when due) and revoke.
 */
import { BlindwireError, ErrorCode } from '@blindwire/core';
import { wipe } from '@blindwire/core/internal';
import { createRevocation, type RevocationReasonName } from '../records/publish.js';
import { pruneIdentity } from '../trust/prune.js';
import { ownKeys, revocations } from './held-keys.js';
import { eraseForCompromise, type StoredKey } from './key-store.js';
import { wipeAll, type RotationContext } from './rotation-context.js';
import { notBeforeOfNext, publishNew, republish } from './rotation-publish.js';
import type { TickResult } from './rotation-types.js';
import { bounded, type StepToken } from './step-queue.js';

/**
 * SPEC.md §11.4: erases `kid`, revoked for compromise, leaving a tombstone
 * until its messages could no longer be opened anyway (not-after +
 * retention; `notAfter` unknown, the key not held here: a whole lifetime
 * from now). A failed tombstone write is remembered for the next tick's
 * result (TickResult.tombstoneError), never thrown: it is no reason to keep
 * a compromised key or to hold back its revocation.
 */
export async function eraseCompromised(
  ctx: RotationContext,
  kid: string,
  notAfter: number | undefined,
): Promise<void> {
  const nowS = Math.floor(ctx.nowMs() / 1000);
  const until = (notAfter ?? nowS + ctx.lifetime) + ctx.retention;
  const failed = await eraseForCompromise(ctx.options.keyStore, kid, until);
  if (failed !== undefined) ctx.tombstoneError ??= failed;
}

/** Drops the tombstones past their time: messages to them are past retention too. */
async function dropOldTombstones(ctx: RotationContext, nowS: number): Promise<void> {
  const store = ctx.options.keyStore;
  if (!store.tombstones || !store.removeTombstone) return;
  for (const t of await store.tombstones()) {
    if (t.until < nowS) await store.removeTombstone(t.kid);
  }
}

/** Erases a private key: from the key store (with a tombstone when `compromised`), and this copy. */
async function erase(ctx: RotationContext, k: StoredKey, compromised = false): Promise<void> {
  if (compromised) await eraseCompromised(ctx, k.kid, k.notAfter);
  else await ctx.options.keyStore.delete(k.kid);
  wipe(k.privateKey);
  ctx.revokedHere.delete(k.kid);
}

export async function rotateNow(ctx: RotationContext, token: StepToken): Promise<StoredKey> {
  const t = ctx.nowMs();
  const nowS = Math.floor(t / 1000);
  const { held, maxSerial, formerIssuer } = await ownKeys(ctx);
  try {
    const current = held.filter((k) => !formerIssuer.has(k.kid));
    const notBefore = notBeforeOfNext(ctx, current, await revocations(ctx, current), nowS);
    return await publishNew(ctx, t, notBefore, maxSerial, token);
  } finally {
    wipeAll(held);
  }
}

/** Erases the keys past retention, then those revoked for compromise; returns the kept keys' revocations. */
async function eraseDue(
  ctx: RotationContext,
  keys: StoredKey[],
  nowS: number,
  erased: string[],
): Promise<{ held: StoredKey[]; revoked: Map<string, RevocationReasonName> }> {
  for (const k of keys) {
    if (k.notAfter + ctx.retention < nowS) {
      await erase(ctx, k);
      erased.push(k.kid);
    }
  }
  const held = keys.filter((k) => !erased.includes(k.kid));
  const revoked = await revocations(ctx, held);
  // SPEC.md §11.4: a compromised key's private key is erased at once.
  for (const k of held) {
    if (revoked.get(k.kid) === 'compromise') {
      await erase(ctx, k, true);
      erased.push(k.kid);
    }
  }
  return { held, revoked };
}

export async function tickNow(ctx: RotationContext, token: StepToken): Promise<TickResult> {
  const t = ctx.nowMs();
  const nowS = Math.floor(t / 1000);
  const { held: keys, maxSerial, formerIssuer } = await ownKeys(ctx);
  try {
    const erased: string[] = [];
    const { held, revoked } = await eraseDue(ctx, keys, nowS, erased);
    await dropOldTombstones(ctx, nowS);
    await republish(ctx, held, revoked, nowS);
    // A revoked key is no successor: rotation is judged on the newest one
    // that is not revoked, so a revoked newest key is replaced at once. Nor is
    // a key whose not-before lies beyond the propagation delay (made under a
    // clock that ran ahead): senders could not use it in time.
    // Nor is a key issued under a former signing key of the identity: that
    // key may be revoked (for compromise, say), and senders then refuse
    // everything it issued. Such keys stay held for queued messages.
    const unrevoked = held.find((k) => !revoked.has(k.kid));
    const current = held.filter((k) => !formerIssuer.has(k.kid));
    const live = current.find((k) => !revoked.has(k.kid) && k.notBefore <= nowS + ctx.delay);
    const result: TickResult = { erased };
    if (ctx.tombstoneError !== undefined) result.tombstoneError = ctx.tombstoneError;
    ctx.tombstoneError = undefined;
    if (held[0] && held[0] !== unrevoked) result.revoked = held[0].kid;
    else if (ctx.revokedNewest !== undefined) result.revoked = ctx.revokedNewest;
    ctx.revokedNewest = undefined;
    if (!live || live.notAfter - nowS <= ctx.before) {
      const notBefore = notBeforeOfNext(ctx, current, revoked, nowS);
      result.rotated = await publishNew(ctx, t, notBefore, maxSerial, token);
    }
    return result;
  } finally {
    wipeAll(keys); // erased ones included
  }
}

/**
 * SPEC.md §11.6: removes this identity's records no client can still need.
 * Rotation never waits on it: a failure is reported, not thrown.
 */
export async function pruneOwn(ctx: RotationContext, result: TickResult): Promise<void> {
  if (!ctx.prune) return;
  const { store, trust, horizon } = ctx.prune;
  // Outside the step queue and bounded on its own, so that a slow store
  // neither fails a tick whose rotation succeeded nor holds up the next step.
  // A prune that outlives its timeout may go on removing: that is safe, as a
  // record removable from one snapshot stays removable (SPEC.md §11.6).
  try {
    const done = await bounded(
      () =>
        pruneIdentity(store, ctx.options.identity.name, trust, {
          now: Math.floor(ctx.nowMs() / 1000),
          horizonSeconds: horizon,
          backend: ctx.backend,
        }),
      'pruning',
      ctx.stepTimeout,
    );
    result.pruned = done.remove.map((r) => r.id);
  } catch (e) {
    result.pruneError = e;
  }
}

export async function revokeNow(
  ctx: RotationContext,
  kid: string,
  reason: RevocationReasonName,
): Promise<void> {
  const { options } = ctx;
  await options.publish(
    await createRevocation(
      { kid: options.identity.signing.kid, privateKey: options.identity.signing.privateKey },
      { name: options.identity.name, kid, reason },
      { now: ctx.nowMs(), backend: ctx.backend },
    ),
  );
  // Remembered before the erasure, so that if deleting fails the next
  // tick() still knows the key is compromised and erases it.
  ctx.revokedHere.set(kid, reason);
  if (reason === 'compromise') {
    // revoke() normally erased it already; if that failed, erase it now.
    try {
      const held = await options.keyStore.list();
      const k = held.find((x) => x.kid === kid);
      wipeAll(held);
      if (k) {
        await eraseCompromised(ctx, kid, k.notAfter);
      }
    } catch (e) {
      throw new BlindwireError(
        ErrorCode.Transport,
        `revoke(): the revocation of ${kid} was published, but the key store failed while erasing it; the next tick() erases it`,
        { cause: e },
      );
    }
  }
}
