/**
 * `createDirectory`: resolves verified keys from an untrusted store, with the
 * caching users know from jose's remote JWKS: a TTL, a cooldown before
 * refetching on an unknown kid, a fetch timeout, stale-if-error with a bound,
 * negative caching in an LRU of its own (sender names come from unverified
 * envelopes: a flood of unknown ones must not evict known senders), in-flight
 * de-duplication, and counters. Verification (verify.ts) runs on every
 * fetched record set; the clock is re-read on every resolve, so validity
 * windows and revocations apply as time passes.
 */
import {
  BlindwireError,
  ErrorCode,
  getBackend,
  type CryptoBackend,
  type SigningPublicKey,
} from '@blindwire/core';
import type { RevocationReasonName } from '../records/publish.js';
import { parseRecord } from '../records/parse.js';
import { RevocationReason } from '../records/types.js';
import { MAX_TIMER_MS, readClock, show } from '../checks.js';
import { isRollbackMark, type RollbackStore } from './rollback.js';
import type { DirectoryStore } from '../stores/directory-store.js';
import {
  checkClockSkew,
  checkTrustPolicy,
  createRollbackState,
  revocationsAt,
  signingKeyStatus,
  usableEncryptionKeys,
  verifyRecordSet,
  type ResolvedKey,
  type TrustPolicy,
  type VerifiedSet,
} from './verify-set.js';

export interface CacheOptions {
  /** How long a fetched record set is used without refetching, ms (default 60 000). */
  ttlMs?: number;
  /** Minimum time between refetches triggered by an unknown kid, ms (default 30 000). */
  cooldownMs?: number;
  /** Fetch timeout, ms (default 5 000). */
  timeoutMs?: number;
  /** How long past the TTL a cached set may still be used when fetching fails, ms (default 300 000). */
  staleIfErrorMs?: number;
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

/** Names longer than this are never looked up (identity names are at most 1024 bytes). */
const MAX_NAME_BYTES = 1024;
const encoder = new TextEncoder();

function lookupable(name: unknown): name is string {
  return (
    typeof name === 'string' && name.length > 0 && encoder.encode(name).length <= MAX_NAME_BYTES
  );
}

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

export interface Directory {
  /** Usable encryption keys of `name`, newest first (never an unverified one). */
  resolve(name: string): Promise<ResolvedKey[]>;
  /** The newest usable encryption key of `name`: pass it to `seal` as a recipient. */
  resolveRecipient(name: string): Promise<ResolvedKey>;
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

interface Entry {
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
  const m = new Map<string, Entry>();
  return {
    get: (name: string) => m.get(name),
    /** Inserts as most recent; evicts the least recently used beyond `max`. */
    set(name: string, e: Entry) {
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

export function createDirectory(options: DirectoryOptions): Directory {
  const { store, trust } = options;
  if (!store || typeof store.list !== 'function') {
    throw new BlindwireError(ErrorCode.InvalidArgument, '"store" expected a DirectoryStore');
  }
  if (!trust || ((trust.anchors?.length ?? 0) === 0 && (trust.pinned?.length ?? 0) === 0)) {
    throw new BlindwireError(
      ErrorCode.InvalidArgument,
      '"trust" expected at least one anchor or pinned key',
    );
  }
  // The policy's numbers, suites and anchor names are checked here, at
  // construction: a NaN or string skew would pass every validity window
  // (SPEC.md §11.2). The kids need hashing: every resolve recomputes them.
  checkTrustPolicy(trust);
  const skew = checkClockSkew(trust.clockSkew);
  const c = options.cache ?? {};
  const ttl = ms(c.ttlMs, 60_000, 'ttlMs');
  const cooldown = ms(c.cooldownMs, 30_000, 'cooldownMs');
  // 0 would time out every fetch; Node fires longer timers after 1 ms.
  const timeout = ms(c.timeoutMs, 5_000, 'timeoutMs', 1, MAX_TIMER_MS);
  const staleIfError = ms(c.staleIfErrorMs, 300_000, 'staleIfErrorMs');
  const negativeTtl = ms(c.negativeTtlMs, 10_000, 'negativeTtlMs');
  const maxEntries = count(c.maxEntries, 10_000, 'maxEntries');
  const maxNegative = count(c.maxNegativeEntries, 1_000, 'maxNegativeEntries');
  if (options.now !== undefined && typeof options.now !== 'function') {
    throw new BlindwireError(ErrorCode.InvalidArgument, '"now" expected a function returning ms');
  }
  const now = options.now ?? Date.now;
  const backendOpt = { backend: options.backend ?? getBackend() };
  const inflight = new Map<string, Promise<Entry>>();
  const rollback = createRollbackState();
  const rollbackStore = options.rollbackStore;
  if (
    rollbackStore !== undefined &&
    (typeof rollbackStore?.load !== 'function' || typeof rollbackStore?.save !== 'function')
  ) {
    throw new BlindwireError(
      ErrorCode.InvalidArgument,
      '"rollbackStore" expected an object with load() and save()',
    );
  }
  /** Per name, the highest serial the rollback store has confirmed: what survives a restart. */
  const durable = new Map<string, number>();
  /** Per name, the one save in progress; concurrent resolves of that name wait for it. */
  const saving = new Map<string, Promise<void>>();
  const confirm = (name: string, serial: number) => {
    if (serial > (durable.get(name) ?? -1)) durable.set(name, serial);
  };
  let rollbackLoaded: Promise<void> | undefined;
  /** Reads the persisted marks once; a failure fails this resolve and is retried by the next. */
  const loadRollback = (store: RollbackStore) =>
    (rollbackLoaded ??= (async () => {
      for (const [name, mark] of await store.load()) {
        // A mark that cannot be read is refused, never skipped: skipping it
        // would forget the protection it stands for (SPEC.md §11.2).
        if (typeof name !== 'string' || name.length === 0 || !isRollbackMark(mark)) {
          throw new BlindwireError(
            ErrorCode.InvalidArgument,
            'the rollback store returned a malformed mark',
          );
        }
        confirm(name, mark.serial);
        const have = rollback.highWater.get(name);
        if (!have || have.serial < mark.serial) rollback.highWater.set(name, { ...mark });
      }
    })().catch((e: unknown) => {
      rollbackLoaded = undefined;
      throw e;
    }));
  const stats: DirectoryStats = {
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
  // Identities with records, and names without: separate LRUs, so names taken
  // from unverified envelopes can never push a verified sender out.
  const positives = createLru(maxEntries, () => stats.evictions++);
  const negatives = createLru(maxNegative, () => stats.negativeEvictions++);
  const forget = (name: string) => {
    positives.delete(name);
    negatives.delete(name);
  };

  let unwatch: (() => void) | undefined;
  const watching = store.watch
    ? Promise.resolve(
        store.watch((name) => {
          stats.invalidations++;
          forget(name);
        }),
      ).then((u) => {
        unwatch = u;
      })
    : Promise.resolve();

  async function fetchWithTimeout(name: string): Promise<Uint8Array[]> {
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

  function fetchEntry(name: string): Promise<Entry> {
    const running = inflight.get(name);
    if (running) return running;
    const p = (async () => {
      stats.fetches++;
      let records: Uint8Array[];
      try {
        records = await fetchWithTimeout(name);
        // The store is untrusted: its list, too, must be an array of records.
        if (!isRecordList(records)) {
          throw new BlindwireError(
            ErrorCode.Transport,
            `directory ${store.kind}: the store returned a malformed list`,
          );
        }
      } catch (e) {
        stats.fetchErrors++;
        throw e instanceof BlindwireError && e.code !== ErrorCode.InvalidArgument
          ? e
          : new BlindwireError(ErrorCode.Transport, `directory ${store.kind}: fetch failed`, {
              cause: e,
            });
      }
      const set = await verifyRecordSet(name, records, trust, backendOpt);
      // A set in which nothing verified counts as no records (SPEC.md §11.3):
      // anyone who can write to a shared store could otherwise plant junk under
      // many names and have forged envelopes evict verified senders.
      const unverified = set.signingKeys.size === 0 && set.encryptionKeys.length === 0;
      const entry = { fetchedAt: now(), set, empty: records.length === 0 || unverified };
      remember(name, entry);
      return entry;
    })().finally(() => inflight.delete(name));
    inflight.set(name, p);
    return p;
  }

  /** Inserts as most recent in the LRU of its kind, and drops it from the other. */
  function remember(name: string, entry: Entry): void {
    (entry.empty ? positives : negatives).delete(name);
    (entry.empty ? negatives : positives).set(name, entry);
  }

  async function entryFor(name: string): Promise<Entry> {
    if (!lookupable(name)) {
      throw new BlindwireError(
        ErrorCode.InvalidArgument,
        `"name" expected an identity name of 1 to ${MAX_NAME_BYTES} bytes`,
      );
    }
    await watching;
    const e = positives.get(name) ?? negatives.get(name);
    if (e) remember(name, e); // recently used
    const age = e ? now() - e.fetchedAt : Infinity;
    if (e && age < (e.empty ? negativeTtl : ttl)) {
      if (e.empty) stats.negativeHits++;
      else stats.hits++;
      return e;
    }
    stats.misses++;
    try {
      return await fetchEntry(name);
    } catch (err) {
      if (
        e &&
        !e.empty &&
        age < ttl + staleIfError &&
        err instanceof BlindwireError &&
        err.code === ErrorCode.Transport
      ) {
        stats.staleServed++;
        return e;
      }
      throw err;
    }
  }

  const nowSeconds = () => Math.floor(readClock(now) / 1000);

  /**
   * SPEC.md §11.2: a raised mark is durable before the key it was raised for
   * is used. The mark in memory rises first (verification raises it) and may
   * be above what the store has confirmed: after a failed save, or while
   * another resolve's save runs. Then this saves it, one save per name at a
   * time, which every resolve of that name waits for; a failed save rejects
   * them and leaves the durable serial as it was, so the next resolve saves
   * again. A mark that rose during a save is saved after it, by the resolves
   * that need it.
   */
  async function makeDurable(store: RollbackStore, name: string): Promise<void> {
    const needed = rollback.highWater.get(name)?.serial ?? -1;
    while (needed > (durable.get(name) ?? -1)) {
      let pending = saving.get(name);
      if (!pending) {
        const m = { ...rollback.highWater.get(name)! };
        // Called on a later turn, so `saving` holds it even if save throws at once.
        pending = Promise.resolve()
          .then(() => store.save(name, m))
          .then(() => confirm(name, m.serial))
          .finally(() => saving.delete(name));
        saving.set(name, pending);
      }
      await pending;
    }
  }

  async function revocationOf(
    name: string,
    kid: string,
  ): Promise<RevocationReasonName | undefined> {
    const e = await entryFor(name);
    const r = revocationsAt(e.set, nowSeconds(), skew).get(kid); // the strongest reason
    if (r === undefined) return undefined;
    return r.reason === RevocationReason.Compromise ? 'compromise' : 'superseded';
  }

  return {
    stats,
    async resolve(name) {
      if (rollbackStore) await loadRollback(rollbackStore);
      const e = await entryFor(name);
      const keys = usableEncryptionKeys(e.set, nowSeconds(), trust, rollback);
      if (rollbackStore) await makeDurable(rollbackStore, name);
      return keys;
    },
    async resolveRecipient(name) {
      return (await this.resolve(name))[0]!;
    },
    async resolveSigningKey(name, kid) {
      // Called with a sender name from an unverified envelope: a name that cannot
      // be an identity is simply not trusted, and costs no fetch.
      if (!lookupable(name)) return undefined;
      let e = await entryFor(name);
      if (!e.set.signingKeys.has(kid)) {
        // jose-style: an unknown kid may mean a fresh rotation; refetch, at most once per cooldown.
        if (now() - e.fetchedAt < cooldown) {
          stats.cooldownSkips++;
          return undefined;
        }
        stats.unknownKidRefetches++;
        e = await fetchEntry(name);
      }
      const k = signingKeyStatus(e.set, kid, nowSeconds(), skew);
      return typeof k === 'string' ? undefined : { kid: k.kid, publicKey: k.publicKey };
    },
    revocationOf,
    async isRevoked(name, kid) {
      return (await revocationOf(name, kid)) !== undefined;
    },
    async publish(record) {
      const p = await parseRecord(record, backendOpt);
      await store.put(p.body.name, record);
      forget(p.body.name);
    },
    invalidate(name) {
      if (name === undefined) {
        positives.clear();
        negatives.clear();
      } else forget(name);
    },
    async close() {
      await watching;
      unwatch?.();
    },
  };
}
