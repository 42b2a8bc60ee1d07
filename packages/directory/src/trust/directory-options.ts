/**
 * The options of `createDirectory` (SPEC.md §11.2 step 0): each read once and
 * checked at construction as plain JavaScript may pass them, the trust policy
 * copied so that what was checked is what is used.
 */
import { BlindwireError, ErrorCode, type CryptoBackend } from '@blindwire/core';
import {
  assertIdentityName,
  backendOf,
  checkArguments,
  isOptionsObject,
  readOptions,
  shown,
} from '@blindwire/core/internal';
import type { DirectoryStore } from '../stores/directory-store.js';
import { checkRollbackStore } from './durable-marks.js';
import { checkClockSkew, checkTrustPolicy, type TrustPolicy } from './policy.js';
import { checkCacheOptions, type CacheOptions } from './resolution-cache.js';
import type { RollbackStore } from './rollback.js';

/** Options of `createDirectory`: the store, the trust policy, the cache and the rollback store. */
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

/** `store`: a kind (for messages), list and put functions, and watch a function when present. */
function checkStore(store: unknown): asserts store is DirectoryStore {
  const s = store as Partial<Record<'kind' | 'list' | 'put' | 'watch', unknown>> | null;
  if (
    typeof s !== 'object' ||
    s === null ||
    typeof s.kind !== 'string' ||
    typeof s.list !== 'function' ||
    typeof s.put !== 'function' ||
    (s.watch !== undefined && typeof s.watch !== 'function')
  ) {
    throw invalid(`"store" expected a DirectoryStore (kind, list, put), got ${shown(store)}`);
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
    'requirePostQuantum',
    'suites',
  ]) as Record<string, unknown>;
  if (Array.isArray(t.requirePostQuantum)) t.requirePostQuantum = [...t.requirePostQuantum];
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

/** A configured key's shape: a kid (recomputed on every resolve) and 32 bytes. */
function checkKey(k: { kid: unknown; publicKey: unknown }, what: string): void {
  if (typeof k.kid !== 'string' || k.kid.length === 0)
    throw invalid(`"${what}.kid" expected a base64url key id, got ${shown(k.kid)}`);
  const pk = k.publicKey;
  if (!(ArrayBuffer.isView(pk) && pk instanceof Uint8Array && pk.length === 32))
    throw invalid(`"${what}.publicKey" expected 32 bytes, got ${shown(pk)}`);
}

/** Anchors have a name, pins an identity name (SPEC.md §10), and both a well-formed key. */
function checkTrustKeys(trust: TrustPolicy): void {
  trust.anchors?.forEach((a, i) => {
    if (typeof a.name !== 'string' || a.name.length === 0)
      throw invalid(`"trust.anchors[${i}].name" expected a non-empty string, got ${shown(a.name)}`);
    checkKey(a, `trust.anchors[${i}]`);
  });
  trust.pinned?.forEach((p, i) => {
    assertIdentityName(p.name, `trust.pinned[${i}].name`);
    checkKey(p.signing, `trust.pinned[${i}].signing`);
  });
}

/**
 * The options that need no hashing, checked at construction (SPEC.md §11.2
 * step 0), each read once; whatever a caller's values do (a getter or a
 * Proxy trap that throws) is ERR_INVALID_ARGUMENT, never a TypeError.
 */
export function checkOptions(options: DirectoryOptions) {
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
    checkTrustKeys(trust);
    const skew = checkClockSkew(trust.clockSkew);
    if (o.cache !== undefined && !isOptionsObject(o.cache))
      throw invalid(`"cache" expected an object of cache options, got ${shown(o.cache)}`);
    const config = checkCacheOptions(o.cache);
    if (o.now !== undefined && typeof o.now !== 'function')
      throw invalid(`"now" expected a function returning ms, got ${shown(o.now)}`);
    checkRollbackStore(o.rollbackStore);
    const backend = backendOf(o);
    return { store, trust, skew, config, now: o.now ?? Date.now, backend, o };
  });
}

/** A key id argument: a non-empty string (a number or object would match no key, silently). */
export function checkKid(kid: unknown): void {
  if (typeof kid !== 'string' || kid.length === 0)
    throw invalid(`"kid" expected a base64url key id, got ${shown(kid)}`);
}
