/**
 * `createDirectory`: resolves verified keys from an untrusted store (SPEC.md
 * §11.2). A composition: the resolution cache (resolution-cache.ts) fetches
 * and verifies record sets (verify-set.ts); what is in force is read from
 * them at the time of each call (in-force.ts), so validity windows and
 * revocations apply as time passes; rollback marks (rollback.ts,
 * durable-marks.ts) guard against a store that withholds newer records.
 */
import { BlindwireError, ErrorCode, type SigningPublicKey } from '@blindwire/core';
import { wrongAnswer } from '@blindwire/core/internal';
import { readClock } from '../checks.js';
import { parseRecord } from '../records/parse.js';
import type { RevocationReasonName } from '../records/publish.js';
import { RevocationReason } from '../records/types.js';
import type { DirectoryStore } from '../stores/directory-store.js';
import { checkKid, checkOptions, type DirectoryOptions } from './directory-options.js';
import { createDurableMarks } from './durable-marks.js';
import { revocationsAt, signingKeyStatus, usableEncryptionKeys } from './in-force.js';
import { ResolutionCache, lookupable, type DirectoryStats } from './resolution-cache.js';
import { createRollbackState } from './rollback.js';
import { chooseRecipientKeys, checkRecipientOptions } from './choose-kem.js';
import type { ResolvedKey } from './types.js';

export type { CacheOptions, DirectoryStats } from './resolution-cache.js';
export type { DirectoryOptions } from './directory-options.js';

const isFlag = (x: unknown) => x === undefined || typeof x === 'boolean';

/** How a recipient is resolved (SPEC.md §11.3). */
export interface ResolveOptions {
  /**
   * Fetch the records now, bypassing the cache, and fail closed: a store that
   * fails is ERR_TRANSPORT, never a cached set. For high-value messages: a
   * revocation published before the call is always seen (no exposure window
   * beyond the store's own consistency). Costs one store read and
   * verification per call.
   */
  fresh?: boolean;
}

/** How recipients are chosen for one envelope (SPEC.md §11.3, §5.4). */
export interface RecipientOptions extends ResolveOptions {
  /**
   * The bound context the envelope will carry, `null` for none: the policy's
   * `requirePostQuantum` may name it. Required (ERR_INVALID_ARGUMENT when
   * omitted) when that policy lists contexts; seal with this same context.
   */
  context?: string | null;
  /**
   * Require X-Wing keys for this envelope. It adds to the policy and never
   * lifts it: `false` is the same as leaving it out.
   */
  requirePostQuantum?: boolean;
}

/**
 * A verifying view of a directory store (`createDirectory`): resolves the keys to seal to and the
 * keys that verify senders, from records it has verified against the trust policy.
 */
export interface Directory {
  /** Usable encryption keys of `name`, newest first (never an unverified one). */
  resolve(name: string, options?: ResolveOptions): Promise<ResolvedKey[]>;
  /**
   * The key to seal to for `name`: its newest usable X-Wing key when it has
   * one, else its newest usable X25519 key (the strongest suite it accepts,
   * SPEC.md §11.3). With X-Wing required (the option, or the policy for the
   * context), a name without a usable X-Wing key is ERR_UNSUPPORTED_SUITE.
   */
  resolveRecipient(name: string, options?: RecipientOptions): Promise<ResolvedKey>;
  /**
   * One key per name for one envelope, all of one KEM (an envelope has one,
   * SPEC.md §5.4): the newest X-Wing keys when every name has one, else the
   * newest X25519 keys. With X-Wing required, a name without a usable X-Wing
   * key is ERR_UNSUPPORTED_SUITE; names with no common KEM are too.
   */
  resolveRecipients(names: readonly string[], options?: RecipientOptions): Promise<ResolvedKey[]>;
  /** The trusted signing key of `name` for `kid`, or undefined: pass it to `open` as `resolveSender`. */
  resolveSigningKey(name: string, kid: string): Promise<SigningPublicKey | undefined>;
  /**
   * The reason of the verified revocation in force now that names `kid` (an
   * encryption or signing key of `name`), the strongest when there are
   * several (SPEC.md §11.2 step 5), or undefined. For a key rotator's
   * `isRevoked` option: on `'compromise'` it erases the private key at once.
   * Store failures reject (`ERR_TRANSPORT`).
   */
  revocationOf(name: string, kid: string): Promise<RevocationReasonName | undefined>;
  /** Whether `revocationOf(name, kid)` names any reason. */
  isRevoked(name: string, kid: string): Promise<boolean>;
  /** Parses and stores a signed record (the store is untrusted; readers verify). */
  publish(record: Uint8Array): Promise<void>;
  /** Drops cached state for one name, or all. */
  invalidate(name?: string): void;
  readonly stats: Readonly<DirectoryStats>;
  close(): Promise<void>;
}

/**
 * Subscribes to the store's change events, when it has them. A watch that
 * fails, or answers anything but an unsubscribe function (or nothing), is
 * ERR_TRANSPORT, reported by every resolve: the cache cannot be kept fresh.
 */
async function startWatch(
  store: DirectoryStore,
  listener: (name: string) => void,
): Promise<(() => void) | undefined> {
  if (store.watch === undefined) return undefined;
  try {
    const u: unknown = await store.watch(listener);
    if (u === undefined || typeof u === 'function') return u as (() => void) | undefined;
    throw wrongAnswer("the directory store's watch()", u, 'an unsubscribe function');
  } catch (e) {
    throw e instanceof BlindwireError
      ? e
      : new BlindwireError(ErrorCode.Transport, "the directory store's watch() failed", {
          cause: e,
        });
  }
}

/**
 * A directory over `options.store` that verifies every record against `options.trust` before using
 * it (SPEC.md §11.2), with a resolution cache and rollback protection.
 */
export function createDirectory(options: DirectoryOptions): Directory {
  const { store, trust, skew, config, now, backend, o } = checkOptions(options);
  const cache = new ResolutionCache({ store, trust, config, now, backend });
  const rollback = createRollbackState();
  const marks = o.rollbackStore && createDurableMarks(o.rollbackStore, rollback);
  let unwatch: (() => void) | undefined;
  const watching = startWatch(store, (name) => {
    cache.stats.invalidations++;
    cache.forget(name);
  }).then((u) => {
    unwatch = u;
  });
  watching.catch(() => {}); // reported by every resolve (cache.ready), not as an unhandled rejection
  cache.ready = watching;
  const nowSeconds = () => Math.floor(readClock(now) / 1000);
  const revocationOf = async (name: string, kid: string) => {
    checkKid(kid);
    const e = await cache.entry(name);
    const r = revocationsAt(e.set, nowSeconds(), skew).get(kid); // the strongest reason
    if (r === undefined) return undefined;
    return r.reason === RevocationReason.Compromise ? 'compromise' : 'superseded';
  };
  // Methods call each other through `directory`, not `this`: a method passed
  // on its own (`resolveRecipient: directory.resolveRecipient`) still works.
  const directory: Directory = {
    stats: cache.stats,
    async resolve(name, o) {
      if (o !== undefined && (typeof o !== 'object' || o === null || !isFlag(o.fresh)))
        throw new BlindwireError(ErrorCode.InvalidArgument, '"options.fresh" expected a boolean');
      await marks?.load();
      const e = o?.fresh === true ? await cache.fresh(name) : await cache.entry(name, true);
      const keys = usableEncryptionKeys(e.set, nowSeconds(), trust, rollback);
      await marks?.makeDurable(name);
      return keys;
    },
    async resolveRecipient(name, o) {
      return (await directory.resolveRecipients([name], o))[0]!;
    },
    async resolveRecipients(names, o) {
      const required = checkRecipientOptions(o, trust);
      const fresh = o?.fresh === undefined ? undefined : { fresh: o.fresh };
      const all = await Promise.all(names.map((n) => directory.resolve(n, fresh)));
      return chooseRecipientKeys(names, all, required);
    },
    async resolveSigningKey(name, kid) {
      checkKid(kid);
      // Called with a sender name from an unverified envelope: a name that cannot
      // be an identity is simply not trusted, and costs no fetch.
      if (!lookupable(name)) return undefined;
      let e = await cache.entry(name);
      if (!e.set.signingKeys.has(kid)) {
        const again = await cache.refetchForUnknownKid(name, e);
        if (!again) return undefined;
        e = again;
      }
      const k = signingKeyStatus(e.set, kid, nowSeconds(), skew);
      return typeof k === 'string' ? undefined : { kid: k.kid, publicKey: k.publicKey };
    },
    revocationOf,
    async isRevoked(name, kid) {
      return (await revocationOf(name, kid)) !== undefined;
    },
    async publish(record) {
      const p = await parseRecord(record, { backend });
      await store.put(p.body.name, record);
      cache.forget(p.body.name);
    },
    invalidate(name) {
      cache.forget(name);
    },
    async close() {
      await watching.catch(() => {});
      unwatch?.();
    },
  };
  return directory;
}
