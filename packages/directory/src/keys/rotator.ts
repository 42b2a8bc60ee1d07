/**
 * Encryption-key rotation (SPEC.md §11.4). A rotator generates the next key
 * ahead of use and publishes its signed record with a not-before one
 * propagation delay in the future, so every sender has seen it before it
 * becomes the newest usable key; it keeps old private keys for a retention
 * window that must exceed the longest time a message can wait in a queue,
 * then erases them. Recipients open with `recipientKeys()`, which lists the
 * current key and every retained one. A newest key found revoked is replaced
 * at once, and a key found revoked for compromise is erased at once. A key is
 * never deleted because a publish failed (the write may have landed: senders
 * would then seal to a key nobody holds): its signed record is kept with it in
 * the key store, and every tick publishes the records of the held keys again.
 */
import { BlindwireError, ErrorCode } from '@blindwire/core';
import { MAX_TIMER_MS, show } from '../checks.js';
import { isOwnKid, sortedKeys } from './held-keys.js';
import { createRotationContext, minimumRetention } from './rotation-context.js';
import { eraseCompromised, pruneOwn, revokeNow, rotateNow, tickNow } from './rotation-steps.js';
import type { RotationContext } from './rotation-context.js';
import type { KeyRotator, KeyRotatorOptions } from './rotation-types.js';
import { createStepQueue } from './step-queue.js';

export { minimumRetention };
export type {
  KeyRotator,
  KeyRotatorOptions,
  RevocationStatus,
  TickResult,
} from './rotation-types.js';

/**
 * A key rotator: a composition of the checked options and state
 * (rotation-context.ts), the step queue (step-queue.ts) and the steps
 * (rotation-steps.ts, over held-keys.ts and rotation-publish.ts).
 */
export function createKeyRotator(options: KeyRotatorOptions): KeyRotator {
  const ctx = createRotationContext(options);
  const steps = createStepQueue(ctx.stepTimeout);
  let timer: ReturnType<typeof setInterval> | undefined;
  const rotator: KeyRotator = {
    rotate: () => steps.run((token) => rotateNow(ctx, token), 'rotate()'),
    async tick() {
      const result = await steps.run((token) => tickNow(ctx, token), 'tick()');
      await pruneOwn(ctx, result);
      return result;
    },
    async recipientKeys() {
      return (await sortedKeys(ctx)).map((k) => ({
        kid: k.kid,
        publicKey: k.publicKey,
        privateKey: k.privateKey,
      }));
    },
    async revoke(kid, reason) {
      await assertRevocable(ctx, kid);
      // A compromise is acted on locally at once, ahead of anything queued:
      // a stalled step must not keep the private key alive.
      // Whatever happens to the local erasure, the revocation is published:
      // it is what stops senders (SPEC.md §11.4).
      let local: unknown;
      if (reason === 'compromise') {
        ctx.revokedHere.set(kid, reason);
        try {
          const held = await sortedKeys(ctx);
          const k = held.find((x) => x.kid === kid);
          if (k && held[0] === k) ctx.revokedNewest = kid; // tick() reports it
          held.forEach((x) => x.privateKey.fill(0));
          await eraseCompromised(ctx, kid, k?.notAfter);
        } catch (e) {
          local = e;
        }
      }
      await steps.run(() => revokeNow(ctx, kid, reason), 'revoke()');
      if (local !== undefined) {
        throw new BlindwireError(
          ErrorCode.Transport,
          `revoke(): the revocation of ${kid} was published, but the key store failed while erasing it; the next tick() erases it`,
          { cause: local },
        );
      }
    },
    async revokedKids() {
      const nowS = Math.floor(ctx.nowMs() / 1000);
      const t = (await options.keyStore.tombstones?.()) ?? [];
      return t.filter((x) => x.until >= nowS).map((x) => x.kid);
    },
    start(intervalMs = 60_000, onError = () => {}) {
      if (!Number.isSafeInteger(intervalMs) || intervalMs < 1 || intervalMs > MAX_TIMER_MS) {
        throw new BlindwireError(
          ErrorCode.InvalidArgument,
          `"intervalMs" expected whole ms from 1 to ${MAX_TIMER_MS}, got ${show(intervalMs)}`,
        );
      }
      if (timer) return;
      timer = setInterval(() => {
        if (steps.pending > 0) return; // the last tick is still running or queued
        rotator.tick().catch(onError);
      }, intervalMs);
      timer.unref?.();
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
  };
  return rotator;
}

/**
 * revoke() refuses a kid that is not this identity's (isOwnKid): a mistyped
 * kid would publish a revocation of nothing and, for a compromise, leave a
 * tombstone while the real key stays held. ERR_KEY_NOT_FOUND, nothing published.
 */
async function assertRevocable(ctx: RotationContext, kid: unknown): Promise<void> {
  if (typeof kid !== 'string' || kid.length === 0)
    throw new BlindwireError(ErrorCode.InvalidArgument, '"kid" expected a non-empty string');
  if ((await isOwnKid(ctx, kid)) !== false) return;
  const where = ctx.prune ? '' : ' (with the prune option, its records in the store count too)';
  throw new BlindwireError(
    ErrorCode.KeyNotFound,
    `revoke(): ${kid} is neither a key of ${ctx.options.identity.name} this rotator holds or erased, nor its signing key, nor published for it${where}; nothing was published`,
  );
}
