/**
 * `createDirectory`: resolves verified keys from an untrusted store (SPEC.md
 * §11.2). A composition: the resolution cache (resolution-cache.ts) fetches
 * and verifies record sets (verify-set.ts); what is in force is read from
 * them at the time of each call (in-force.ts), so validity windows and
 * revocations apply as time passes; rollback marks (rollback.ts,
 * durable-marks.ts) guard against a store that withholds newer records.
 */
import {
  BlindwireError,
  ErrorCode,
  type CryptoBackend,
  type SigningPublicKey,
} from '@blindwire/core';
import {
  assertIdentityName,
  backendOf,
  checkArguments,
  readOptions,
  shown,
} from '@blindwire/core/internal';
import { readClock } from '../checks.js';
import { parseRecord } from '../records/parse.js';
import type { RevocationReasonName } from '../records/publish.js';
import { RevocationReason } from '../records/types.js';
import type { DirectoryStore } from '../stores/directory-store.js';
import { checkRollbackStore, createDurableMarks } from './durable-marks.js';
import { revocationsAt, signingKeyStatus, usableEncryptionKeys } from './in-force.js';
import { checkClockSkew, checkTrustPolicy, type TrustPolicy } from './policy.js';
import {
  ResolutionCache,
  checkCacheOptions,
  lookupable,
  type CacheOptions,
  type DirectoryStats,
} from './resolution-cache.js';
import { createRollbackState, type RollbackStore } from './rollback.js';
import type { ResolvedKey } from './types.js';

export type { CacheOptions, DirectoryStats } from './resolution-cache.js';

export interface DirectoryOptions {
  store: DirectoryStore;
  trust: TrustPolicy;
  cache?: CacheOptions;
  /** Clock in ms (default Date.now); tests pass a fake one. */
  now?: () => number;
  backend?: CryptoBackend;
  /**
   * Keeps the rollback marks (SPEC.md §11.2) across restarts, e.g.
   * `createFileRollbackStore(path)` from `@blindwire/directory/rollback-file`.
   * Without it they live in this process only, and a restarted client accepts
   * any currently valid record.
   */
  rollbackStore?: RollbackStore;
}

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

export interface Directory {
  /** Usable encryption keys of `name`, newest first (never an unverified one). */
  resolve(name: string, options?: ResolveOptions): Promise<ResolvedKey[]>;
  /** The newest usable encryption key of `name`: pass it to `seal` as a recipient. */
  resolveRecipient(name: string, options?: ResolveOptions): Promise<ResolvedKey>;
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

/** The options `createDirectory` reads, each once. */
const DIRECTORY_OPTION_KEYS = [
  'store',
  'trust',
  'cache',
  'now',
  'backend',
  'rollbackStore',
] as const satisfies readonly (keyof DirectoryOptions)[];

const invalid = (message: string) => new BlindwireError(ErrorCode.InvalidArgument, message);

/** `store`: list and put are functions; watch, when present, is one too. */
function checkStore(store: unknown): asserts store is DirectoryStore {
  const s = store as Partial<Record<'list' | 'put' | 'watch', unknown>> | null;
  if (
    typeof s !== 'object' ||
    s === null ||
    typeof s.list !== 'function' ||
    typeof s.put !== 'function' ||
    (s.watch !== undefined && typeof s.watch !== 'function')
  ) {
    throw invalid(`"store" expected a DirectoryStore (list, put), got ${shown(store)}`);
  }
}

/** `v` read once into a plain object of `keys` when it is an object, else as it is. */
function fields(v: unknown, keys: readonly string[]): unknown {
  if (typeof v !== 'object' || v === null) return v;
  const out: Record<string, unknown> = {};
  for (const k of keys) {
    const x = (v as Record<string, unknown>)[k];
    if (x !== undefined) out[k] = Array.isArray(x) ? Array.from(x as unknown[]) : x;
  }
  return out;
}

/** `list` copied entry by entry when it is an array, else as it is (for the checks to refuse). */
const entries = (list: unknown, copy: (e: unknown) => unknown) =>
  Array.isArray(list) ? Array.from(list as unknown[], copy) : list;

/**
 * The caller's trust policy read once into a plain copy, which is what is
 * checked and what the directory reads on every resolve: a getter, or a
 * later change to the caller's object, cannot undo a check made here (an
 * allowedSuites that turns into a string, say).
 */
function copyTrust(trust: object): TrustPolicy {
  const t = fields(trust, [
    'anchors',
    'pinned',
    'allowedSuites',
    'clockSkew',
    'maxRecords',
    'suites',
  ]) as Record<string, unknown>;
  if (t.anchors !== undefined)
    t.anchors = entries(t.anchors, (a) => fields(a, ['name', 'kid', 'publicKey', 'names']));
  if (t.pinned !== undefined) {
    t.pinned = entries(t.pinned, (p) => {
      const q = fields(p, ['name', 'signing']) as Record<string, unknown> | null;
      if (typeof q === 'object' && q !== null) q.signing = fields(q.signing, ['kid', 'publicKey']);
      return q;
    });
  }
  return t as TrustPolicy;
}

/**
 * The options that need no hashing, checked at construction (SPEC.md §11.2
 * step 0), each read once; whatever a caller's values do (a getter or a
 * Proxy trap that throws) is ERR_INVALID_ARGUMENT, never a TypeError.
 */
function checkOptions(options: DirectoryOptions) {
  return checkArguments(() => {
    const o = readOptions<DirectoryOptions>(options, DIRECTORY_OPTION_KEYS);
    const { store, trust: given } = o;
    checkStore(store);
    if (typeof given !== 'object' || given === null)
      throw invalid(`"trust" expected a trust policy object, got ${shown(given)}`);
    const trust = copyTrust(given);
    if ((trust.anchors?.length ?? 0) === 0 && (trust.pinned?.length ?? 0) === 0)
      throw invalid('"trust" expected at least one anchor or pinned key');
    // The policy's numbers, suites and anchor names are checked here, at
    // construction: a NaN or string skew would pass every validity window
    // (SPEC.md §11.2). The kids need hashing: every resolve recomputes them.
    checkTrustPolicy(trust);
    trust.pinned?.forEach((p, i) => assertIdentityName(p.name, `trust.pinned[${i}].name`)); // SPEC.md §10
    const skew = checkClockSkew(trust.clockSkew);
    if (o.cache !== undefined && (typeof o.cache !== 'object' || o.cache === null))
      throw invalid(`"cache" expected an object of cache options, got ${shown(o.cache)}`);
    const config = checkCacheOptions(o.cache);
    if (o.now !== undefined && typeof o.now !== 'function')
      throw invalid(`"now" expected a function returning ms, got ${shown(o.now)}`);
    checkRollbackStore(o.rollbackStore);
    const backend = backendOf(o);
    return { store, trust, skew, config, now: o.now ?? Date.now, backend, o };
  });
}

const isFlag = (x: unknown) => x === undefined || typeof x === 'boolean';

/** A key id argument: a non-empty string (a number or object would match no key, silently). */
function checkKid(kid: unknown): void {
  if (typeof kid !== 'string' || kid.length === 0)
    throw invalid(`"kid" expected a base64url key id, got ${shown(kid)}`);
}

export function createDirectory(options: DirectoryOptions): Directory {
  const { store, trust, skew, config, now, backend, o } = checkOptions(options);
  const cache = new ResolutionCache({ store, trust, config, now, backend });
  const rollback = createRollbackState();
  const marks = o.rollbackStore && createDurableMarks(o.rollbackStore, rollback);
  let unwatch: (() => void) | undefined;
  const watching = store.watch
    ? Promise.resolve(
        store.watch((name) => {
          cache.stats.invalidations++;
          cache.forget(name);
        }),
      ).then((u) => {
        unwatch = u;
      })
    : Promise.resolve();
  cache.ready = watching;
  const nowSeconds = () => Math.floor(readClock(now) / 1000);
  const revocationOf = async (name: string, kid: string) => {
    checkKid(kid);
    const e = await cache.entry(name);
    const r = revocationsAt(e.set, nowSeconds(), skew).get(kid); // the strongest reason
    if (r === undefined) return undefined;
    return r.reason === RevocationReason.Compromise ? 'compromise' : 'superseded';
  };
  return {
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
      return (await this.resolve(name, o))[0]!;
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
      await watching;
      unwatch?.();
    },
  };
}
