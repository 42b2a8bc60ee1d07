/**
 * A per-key cache of imported key objects (node KeyObject, WebCrypto
 * CryptoKey), keyed by the caller's Uint8Array object so that repeated use of
 * the same long-term key skips the import.
 *
 * The entry keeps a copy of the bytes it was built from and is used only while
 * the array still holds exactly those bytes: a caller that wipes or refills its
 * array gets a fresh import, never a stale key. Entries live as long as the
 * caller's array object (WeakMap); like the imported key object itself, the
 * copy stays in memory until then. A subarray view is a different object and
 * simply misses the cache. The copy is `new Uint8Array(raw)`, never
 * `raw.slice()`: a Buffer's slice() is a view of the caller's memory.
 */
import { equalBytes } from '../bytes.js';

interface Entry<K> {
  readonly bytes: Uint8Array;
  readonly key: K;
}

export class KeyCache<K> {
  readonly #entries = new WeakMap<Uint8Array, Entry<K>>();

  /**
   * `onEvict` gets an entry's key when it is dropped because its array
   * changed or was forgotten (to erase a key holding secrets, such as an
   * expanded X-Wing key). Entries collected with their array are not seen.
   */
  readonly #onEvict: ((key: K) => void) | undefined;

  constructor(onEvict?: (key: K) => void) {
    this.#onEvict = onEvict;
  }

  /** The cached key for `raw`, or undefined when absent or `raw` has changed since. */
  get(raw: Uint8Array): K | undefined {
    const entry = this.#entries.get(raw);
    if (entry === undefined) return undefined;
    if (!equalBytes(entry.bytes, raw)) {
      entry.bytes.fill(0); // the copy of bytes the caller has since replaced
      this.#entries.delete(raw);
      this.#onEvict?.(entry.key);
      return undefined;
    }
    return entry.key;
  }

  /**
   * Remembers `key` as the import of `bytes` (default: the current contents
   * of `raw`); returns `key`. An asynchronous import must pass the copy it
   * imported from, taken before it awaited: `raw` may have been refilled
   * meanwhile, and binding its new contents to the old key would serve a
   * stale key later.
   */
  set(raw: Uint8Array, key: K, bytes: Uint8Array = new Uint8Array(raw)): K {
    this.#entries.set(raw, { bytes, key });
    return key;
  }

  /** Drops the entry of `raw`, zeroing the cache's copy of its bytes. */
  forget(raw: Uint8Array): void {
    const entry = this.#entries.get(raw);
    if (entry === undefined) return;
    entry.bytes.fill(0);
    this.#entries.delete(raw);
    this.#onEvict?.(entry.key);
  }

  /**
   * The cached key for `raw`, or `importer`'s key for a copy of its current
   * contents, cached against that copy (see `set`).
   */
  async getOrImport(raw: Uint8Array, importer: (bytes: Uint8Array) => Promise<K>): Promise<K> {
    const hit = this.get(raw);
    if (hit !== undefined) return hit;
    const bytes = new Uint8Array(raw);
    return this.set(raw, await importer(bytes), bytes);
  }
}
