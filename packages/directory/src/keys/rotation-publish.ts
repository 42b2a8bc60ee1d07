/**
 * What a rotator publishes (SPEC.md §11.4): a new key with its signed
 * record, stored before it is published; the records of the held keys,
 * published again on every tick; and when a new key becomes usable.
 */
import { BlindwireError, ErrorCode, generateEncryptionKey } from '@blindwire/core';
import { wipe } from '@blindwire/core/internal';
import { createEncryptionKeyRecord } from '../records/publish.js';
import type { StoredKey } from './key-store.js';
import type { RotationContext } from './rotation-context.js';
import type { StepToken } from './step-queue.js';

/**
 * A new key usable from `notBefore`: signed, stored with its record, then
 * published. Stored first, since a published key without its private key
 * loses messages. A failed publish rejects but keeps the key (SPEC.md
 * §11.4): the write may have landed after all, and senders would then seal
 * to a key nobody holds. The next tick publishes the stored record again.
 */
export async function publishNew(
  ctx: RotationContext,
  t: number,
  notBefore: number,
  maxSerial: number,
  step: StepToken,
): Promise<StoredKey> {
  const { options } = ctx;
  // Every key of this rotator has its KEM (X25519 or X-Wing, SPEC.md §11.4).
  const key = await generateEncryptionKey({ backend: ctx.backend, kem: options.kem ?? 'X25519' });
  try {
    ctx.serialFloor = Math.max(ctx.serialFloor + 1, Math.floor(t), maxSerial + 1);
    const notAfter = notBefore + ctx.lifetime;
    const record = await createEncryptionKeyRecord(options.identity, key, {
      notBefore,
      notAfter,
      serial: ctx.serialFloor,
      ...(options.aead ? { aead: options.aead } : {}),
      backend: ctx.backend,
    });
    const stored: StoredKey = { ...key, notBefore, notAfter, createdAt: Math.floor(t / 1000) };
    stored.record = record;
    // A step its caller gave up on (stepTimeoutMs) stores and publishes
    // nothing: the next step may already be making its own key.
    const abandoned = () =>
      new BlindwireError(ErrorCode.Transport, 'rotation: step abandoned after its timeout');
    if (step.abandoned) throw abandoned();
    await options.keyStore.put(stored);
    // Given up while storing: publish nothing. The key stays stored (a
    // later step may already have seen and republished it), and retention
    // erases it in time, as after a failed publish.
    if (step.abandoned) throw abandoned();
    await options.publish(record);
    return stored;
  } catch (e) {
    wipe(key.privateKey); // the key store keeps its own copy
    throw e;
  }
}

/**
 * SPEC.md §11.4: the record of every held key that is neither expired nor
 * revoked is published again, newest first. A record id is the hash of the
 * record, so this is idempotent; it heals a publish that failed (or seemed
 * to), in this process or in one that has since exited, and a store that
 * lost data. Keys stored by older versions have no record and are skipped;
 * `held` comes from ownKeys(), so every record is this identity's own.
 */
export async function republish(
  ctx: RotationContext,
  held: StoredKey[],
  revoked: Map<string, unknown>,
  nowS: number,
): Promise<void> {
  for (const k of held) {
    if (k.record === undefined || k.notAfter < nowS || revoked.has(k.kid)) continue;
    await ctx.options.publish(k.record);
  }
}

/**
 * SPEC.md §11.4: a new key waits out the propagation delay only while a held
 * key, not revoked, stays usable through it. Otherwise (the first key, or
 * every held key revoked or expiring first) senders have no key meanwhile,
 * and the new one is usable at once.
 */
export function notBeforeOfNext(
  ctx: RotationContext,
  held: StoredKey[],
  revoked: Map<string, unknown>,
  nowS: number,
): number {
  const bridge = held.some(
    (k) => k.notBefore <= nowS && k.notAfter >= nowS + ctx.delay && !revoked.has(k.kid),
  );
  return bridge ? nowS + ctx.delay : nowS;
}
