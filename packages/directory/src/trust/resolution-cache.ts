/**
 * The resolution cache of `createDirectory`, with the caching users know
 * from jose's remote JWKS: a TTL, a cooldown before refetching on an
 * unknown kid, a fetch timeout, stale-if-error with a bound, negative
 * caching in an LRU of its own (sender names come from unverified
 * envelopes: a flood of unknown ones must not evict known senders),
 * in-flight de-duplication, and counters. Every fetched record set is
 * verified (verify-set.ts, SPEC.md §11.2) before it is cached.
 */
import { BlindwireError, ErrorCode, type CryptoBackend } from '@blindwire/core';
import { assertIdentityName, isIdentityName } from '@blindwire/core/internal';
import { MAX_TIMER_MS, show } from '../checks.js';
import type { DirectoryStore } from '../stores/directory-store.js';
import type { TrustPolicy } from './policy.js';
import type { VerifiedSet } from './types.js';
import { verifyRecordSet } from './verify-set.js';

/** How a directory caches what it fetched and verified (`createDirectory`'s `cache`). */
export interface CacheOptions {
  /** How long a fetched record set is used without refetching, ms (default 60 000). */
  ttlMs?: number;
  /** Minimum time between refetches triggered by an unknown kid, ms (default 30 000). */
  cooldownMs?: number;
  /** Fetch timeout, ms (default 5 000). */
  timeoutMs?: number;
  /** How long past the TTL a cached set may still be used when fetching fails, ms (default 300 000). */
  staleIfErrorMs?: number;
  /**
   * The same bound for resolving a recipient (`resolve`, `resolveRecipient`:
   * keys to seal to), ms (default 60 000; the smaller of the two applies). It
   * bounds how long a sender cut off from a failing store may seal to a key
   * revoked meanwhile (SPEC.md §11.3): TTL + this. 0 fails closed at the TTL.
   */
  recipientStaleIfErrorMs?: number;
  /** How long "no records for this name" is remembered, ms (default 10 000). */
  negativeTtlMs?: number;
  /** Identities with records cached at most; the least recently used goes first (default 10 000). */
  maxEntries?: number;
  /**
   * Names without records ("negative" entries) remembered at most, in an LRU of
   * their own so they never evict an identity that has records (default 1 000).
   */
  maxNegativeEntries?: number;
}

/** Counters of a directory's resolution cache, for monitoring. */
export interface DirectoryStats {
  hits: number;
  misses: number;
  fetches: number;
  fetchErrors: number;
  staleServed: number;
  negativeHits: number;
  cooldownSkips: number;
  unknownKidRefetches: number;
  invalidations: number;
  /** Identities with records dropped from the cache to stay within `maxEntries`. */
  evictions: number;
  /** Names without records dropped to stay within `maxNegativeEntries`. */
  negativeEvictions: number;
}

/** Whether `name` can be an identity name at all (SPEC.md §10): others are never looked up. */
export function lookupable(name: unknown): name is string {
  return isIdentityName(name);
}

export interface CacheEntry {
  fetchedAt: number;
  set: VerifiedSet;
  /** Nothing verified: kept in the negative LRU, for the negative TTL. */
  empty: boolean;
}

/** A duration in ms from `min` to `max` (NaN or a string is refused, never defaulted). */
function ms(v: unknown, d: number, name: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (v === undefined) return d;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `ms ≥ ${min}` : `ms from ${min} to ${max}`;
    throw new BlindwireError(
      ErrorCode.InvalidArgument,
      `"cache.${name}" expected ${range}, got ${show(v)}`,
    );
  }
  return v;
}

/** A count of entries: a positive safe integer. */
function count(v: unknown, d: number, name: string): number {
  if (v === undefined) return d;
  if (!Number.isSafeInteger(v) || (v as number) < 1) {
    throw new BlindwireError(
      ErrorCode.InvalidArgument,
      `"cache.${name}" expected a positive integer, got ${show(v)}`,
    );
  }
  return v as number;
}

/** An array of byte strings (an index loop: `every` would skip holes). */
function isRecordList(v: unknown): v is Uint8Array[] {
  if (!Array.isArray(v)) return false;
  for (let i = 0; i < v.length; i++) if (!(v[i] instanceof Uint8Array)) return false;
  return true;
}

/** A bounded LRU of cache entries (a Map keeps insertion order). */
function createLru(max: number, onEvict: () => void) {
  const m = new Map<string, CacheEntry>();
  return {
    get: (name: string) => m.get(name),
    /** Inserts as most recent; evicts the least recently used beyond `max`. */
    set(name: string, e: CacheEntry) {
      m.delete(name);
      m.set(name, e);
      if (m.size > max) {
        m.delete(m.keys().next().value!);
        onEvict();
      }
    },
    delete: (name: string) => m.delete(name),
    clear: () => m.clear(),
  };
}

export interface CacheConfig {
  ttl: number;
  cooldown: number;
  timeout: number;
  staleIfError: number;
  recipientStaleIfError: number;
  negativeTtl: number;
  maxEntries: number;
  maxNegative: number;
}

/** The cache options, checked, with their defaults. */
export function checkCacheOptions(c: CacheOptions = {}): CacheConfig {
  return {
    ttl: ms(c.ttlMs, 60_000, 'ttlMs'),
    cooldown: ms(c.cooldownMs, 30_000, 'cooldownMs'),
    // 0 would time out every fetch; Node fires longer timers after 1 ms.
    timeout: ms(c.timeoutMs, 5_000, 'timeoutMs', 1, MAX_TIMER_MS),
    staleIfError: ms(c.staleIfErrorMs, 300_000, 'staleIfErrorMs'),
    recipientStaleIfError: ms(c.recipientStaleIfErrorMs, 60_000, 'recipientStaleIfErrorMs'),
    negativeTtl: ms(c.negativeTtlMs, 10_000, 'negativeTtlMs'),
    maxEntries: count(c.maxEntries, 10_000, 'maxEntries'),
    maxNegative: count(c.maxNegativeEntries, 1_000, 'maxNegativeEntries'),
  };
}

/** `store.list(name)` within `timeout` ms, else ERR_TRANSPORT. */
async function listWithTimeout(
  store: DirectoryStore,
  name: string,
  timeout: number,
): Promise<Uint8Array[]> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new BlindwireError(
            ErrorCode.Transport,
            `directory ${store.kind}: fetch timed out after ${timeout} ms`,
          ),
        ),
      timeout,
    );
  });
  try {
    return await Promise.race([store.list(name), expired]);
  } finally {
    clearTimeout(timer);
  }
}

export interface ResolutionCacheOptions {
  store: DirectoryStore;
  trust: TrustPolicy;
  config: CacheConfig;
  /** Clock in ms. */
  now: () => number;
  backend: CryptoBackend;
}

/** Verified record sets by identity name: positive and negative LRUs, fetches de-duplicated. */
export class ResolutionCache {
  readonly stats: DirectoryStats = {
    hits: 0,
    misses: 0,
    fetches: 0,
    fetchErrors: 0,
    staleServed: 0,
    negativeHits: 0,
    cooldownSkips: 0,
    unknownKidRefetches: 0,
    invalidations: 0,
    evictions: 0,
    negativeEvictions: 0,
  };
  /** Awaited before every lookup (the store's watch being set up). */
  ready: Promise<void> = Promise.resolve();
  readonly #o: ResolutionCacheOptions;
  readonly #inflight = new Map<string, Promise<CacheEntry>>();
  // Identities with records, and names without: separate LRUs, so names taken
  // from unverified envelopes can never push a verified sender out.
  readonly #positives;
  readonly #negatives;

  constructor(options: ResolutionCacheOptions) {
    this.#o = options;
    this.#positives = createLru(options.config.maxEntries, () => this.stats.evictions++);
    this.#negatives = createLru(options.config.maxNegative, () => this.stats.negativeEvictions++);
  }

  /** Drops one name's entry, or every entry. */
  forget(name?: string): void {
    if (name === undefined) {
      this.#positives.clear();
      this.#negatives.clear();
      return;
    }
    this.#positives.delete(name);
    this.#negatives.delete(name);
  }

  /** Inserts as most recent in the LRU of its kind, and drops it from the other. */
  #remember(name: string, entry: CacheEntry): void {
    (entry.empty ? this.#positives : this.#negatives).delete(name);
    (entry.empty ? this.#negatives : this.#positives).set(name, entry);
  }

  /**
   * Fetches and verifies the records of `name` with a fetch that starts now,
   * never joining one already running (which may predate a revocation), and
   * never served stale: a failure rejects (SPEC.md §11.3, fresh resolution).
   */
  async fresh(name: string): Promise<CacheEntry> {
    this.#checkName(name);
    await this.ready;
    this.stats.misses++;
    return this.#fetchAndVerify(name);
  }

  #checkName(name: string): void {
    assertIdentityName(name); // SPEC.md §10
  }

  /** Fetches and verifies the records of `name` now (one fetch per name at a time). */
  fetch(name: string): Promise<CacheEntry> {
    const running = this.#inflight.get(name);
    if (running) return running;
    const p = this.#fetchAndVerify(name).finally(() => this.#inflight.delete(name));
    this.#inflight.set(name, p);
    return p;
  }

  async #fetchAndVerify(name: string): Promise<CacheEntry> {
    const { store, trust, config, backend, now } = this.#o;
    this.stats.fetches++;
    let records: Uint8Array[];
    // Stamped when the fetch starts: a slow store must not stretch the TTL of
    // what it returns (SPEC.md §11.3 bounds the window from the fetch).
    const startedAt = now();
    try {
      records = await listWithTimeout(store, name, config.timeout);
      // The store is untrusted: its list, too, must be an array of records.
      if (!isRecordList(records)) {
        throw new BlindwireError(
          ErrorCode.Transport,
          `directory ${store.kind}: the store returned a malformed list`,
        );
      }
    } catch (e) {
      this.stats.fetchErrors++;
      throw e instanceof BlindwireError && e.code !== ErrorCode.InvalidArgument
        ? e
        : new BlindwireError(ErrorCode.Transport, `directory ${store.kind}: fetch failed`, {
            cause: e,
          });
    }
    // Over maxRecords, only records that can still matter count (SPEC.md §11.6).
    const nowS = Math.floor(now() / 1000);
    const set = await verifyRecordSet(name, records, trust, { backend, now: nowS });
    // A set in which nothing verified counts as no records (SPEC.md §11.3):
    // anyone who can write to a shared store could otherwise plant junk under
    // many names and have forged envelopes evict verified senders.
    const unverified = set.signingKeys.size === 0 && set.encryptionKeys.length === 0;
    const entry = { fetchedAt: startedAt, set, empty: records.length === 0 || unverified };
    this.#remember(name, entry);
    return entry;
  }

  /**
   * The entry of `name`: cached while fresh, else fetched, else stale within
   * its bound (`forRecipient`: the smaller recipient bound, SPEC.md §11.3).
   */
  async entry(name: string, forRecipient = false): Promise<CacheEntry> {
    this.#checkName(name);
    await this.ready;
    const { config, now } = this.#o;
    const e = this.#positives.get(name) ?? this.#negatives.get(name);
    if (e) this.#remember(name, e); // recently used
    const age = e ? now() - e.fetchedAt : Infinity;
    if (e && age < (e.empty ? config.negativeTtl : config.ttl)) {
      if (e.empty) this.stats.negativeHits++;
      else this.stats.hits++;
      return e;
    }
    this.stats.misses++;
    try {
      return await this.fetch(name);
    } catch (err) {
      // The age when the failure is known, not when the fetch began: a store
      // that fails slowly must not get a stale entry served past its bound.
      if (
        e &&
        !e.empty &&
        now() - e.fetchedAt <
          config.ttl +
            (forRecipient
              ? Math.min(config.staleIfError, config.recipientStaleIfError)
              : config.staleIfError) &&
        err instanceof BlindwireError &&
        err.code === ErrorCode.Transport
      ) {
        this.stats.staleServed++;
        return e;
      }
      throw err;
    }
  }

  /**
   * jose-style: an unknown kid may mean a fresh rotation, so `e` is fetched
   * again, at most once per cooldown; undefined while in the cooldown.
   */
  async refetchForUnknownKid(name: string, e: CacheEntry): Promise<CacheEntry | undefined> {
    if (this.#o.now() - e.fetchedAt < this.#o.config.cooldown) {
      this.stats.cooldownSkips++;
      return undefined;
    }
    this.stats.unknownKidRefetches++;
    return this.fetch(name);
  }
}
