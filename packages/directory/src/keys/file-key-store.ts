/**
 * A private key store in one JSON file, mode 0600, rewritten atomically; the
 * file format is key-file-format.ts and its passphrase sealing (scrypt +
 * XChaCha20-Poly1305) key-sealing.ts. Several processes may share the file:
 * each write takes `<path>.lock` (files/file-lock.ts) and re-reads the file
 * under it, and `list` re-reads it too. SPEC.md §11.4: the rotator keeps each
 * key's signed record here with it, and the tombstones of keys erased for
 * compromise.
 * Limits: erasure is best effort. `delete` rewrites the file without the key
 * and then overwrites the replaced file's blocks through an open descriptor,
 * but copy-on-write filesystems, SSD wear levelling and backups may keep old
 * data; JavaScript may keep copies of secrets we cannot reach.
 *
 * @module @blindwire/directory/keystore-file
 */
import { mkdir, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { BlindwireError, ErrorCode, isBlindwireError } from '@blindwire/core';
import { utf8, wipe } from '@blindwire/core/internal';
import { withFileLock, type HeldLock } from '../files/file-lock.js';
import {
  decodeEntry,
  formatFile,
  parseFile,
  sameEntry,
  toEntry,
  type Entry,
} from './key-file-format.js';
import { deriveKey, newSealing, type Encryption } from './key-sealing.js';
import { invalid, transport } from './key-store-errors.js';
import {
  assertStoredKey,
  assertTombstone,
  byCreation,
  copyStoredKey,
  laterOf,
  type PrivateKeyStore,
  type StoredKey,
  type Tombstone,
} from './key-store.js';
import { readExisting, writeSecretFile } from './secret-file.js';

/** Options of `createFileKeyStore`. */
export interface FileKeyStoreOptions {
  /** Seals the private keys at rest. Without it they are stored base64url, protected by the file mode only. */
  passphrase?: string | Uint8Array;
}

/** A private key store in one 0600 JSON file (`createFileKeyStore`), with compromise tombstones. */
export interface FileKeyStore extends PrivateKeyStore {
  /** Tombstones of keys erased for compromise, kept in the file (SPEC.md §11.4). */
  addTombstone(t: Tombstone): Promise<void>;
  tombstones(): Promise<Tombstone[]>;
  removeTombstone(kid: string): Promise<void>;
  /** The tombstone and the erasure in one file write, under one lock (SPEC.md §11.4). */
  deleteWithTombstone(t: Tombstone): Promise<void>;
  readonly path: string;
  /** Whether private keys are sealed with a passphrase-derived key. */
  readonly encrypted: boolean;
  /** Zeroes the derived key and the in-memory private keys; the store is unusable afterwards. */
  close(): Promise<void>;
}

/**
 * Opens (or creates, with its directory at 0700) the key store at `path`.
 * Refuses a file that group or others may access (`ERR_INVALID_ARGUMENT`);
 * a wrong passphrase or a tampered sealed key is `ERR_OPEN_FAILED`.
 */
export async function createFileKeyStore(
  path: string,
  options: FileKeyStoreOptions = {},
): Promise<FileKeyStore> {
  if (typeof path !== 'string' || path.length === 0)
    throw invalid('"path" expected a non-empty string');
  const pass = passphraseBytes(options.passphrase);
  try {
    const dir = dirname(path);
    try {
      await stat(dir);
    } catch {
      await mkdir(dir, { recursive: true, mode: 0o700 }).catch((e: unknown) => {
        throw transport(`cannot create ${dir}`, e);
      });
    }
    // Under the lock: another process may be creating or rewriting the file.
    return await withFileLock(path, transport, async (lock) => {
      const existing = await readExisting(path);
      if (existing === undefined) return await create(path, pass, lock);
      return await openExisting(path, existing, pass);
    });
  } finally {
    wipe(pass);
  }
}

async function create(
  path: string,
  pass: Uint8Array | undefined,
  lock: HeldLock,
): Promise<FileKeyStore> {
  const sealing = pass ? await newSealing(pass) : undefined;
  const store = new FileKeyStoreImpl(
    path,
    sealing?.encryption ?? null,
    sealing?.key,
    new Map(),
    new Map(),
    new Map(),
  );
  try {
    await store.flush(lock);
  } catch (e) {
    wipe(sealing?.key);
    throw e;
  }
  return store.api();
}

async function openExisting(
  path: string,
  doc: unknown,
  pass: Uint8Array | undefined,
): Promise<FileKeyStore> {
  const { encryption, entries, tombstones } = parseFile(doc, path);
  if (encryption && !pass)
    throw invalid(`"passphrase" expected: the key store ${path} is encrypted`);
  if (!encryption && pass)
    throw invalid(`"passphrase" not expected: the key store ${path} is not encrypted`);
  let key: Uint8Array | undefined;
  const keys = new Map<string, StoredKey>();
  try {
    if (encryption && pass) {
      key = await deriveKey(pass, encryption); // wrong passphrase stops here
    }
    for (const e of entries) {
      const k = decodeEntry(e, key);
      keys.set(k.kid, k);
    }
  } catch (e) {
    wipe(key, ...[...keys.values()].map((k) => k.privateKey));
    if (isBlindwireError(e, ErrorCode.OpenFailed)) throw e;
    throw transport(
      `${path} is malformed${e instanceof BlindwireError ? `: ${e.message}` : ''}`,
      e,
    );
  }
  return new FileKeyStoreImpl(
    path,
    encryption,
    key,
    keys,
    new Map(entries.map((e) => [e.kid, e])),
    new Map(tombstones.map((t) => [t.kid, t])),
  ).api();
}

/** `keys` (decoded) and `entries` (as on disk) hold the same kids. */
class FileKeyStoreImpl implements FileKeyStore {
  readonly encrypted: boolean;
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;

  readonly #encryption: Encryption | null;
  readonly #key: Uint8Array | undefined;
  readonly #keys: Map<string, StoredKey>;
  readonly #entries: Map<string, Entry>;
  #tombstones: Map<string, Tombstone>;

  constructor(
    readonly path: string,
    encryption: Encryption | null,
    key: Uint8Array | undefined,
    keys: Map<string, StoredKey>,
    entries: Map<string, Entry>,
    tombstones: Map<string, Tombstone>,
  ) {
    this.encrypted = encryption !== null;
    this.#encryption = encryption;
    this.#key = key;
    this.#keys = keys;
    this.#entries = entries;
    this.#tombstones = tombstones;
  }

  /** The public face: the FileKeyStore methods, and none of the state (a plain object, as before). */
  api(): FileKeyStore {
    return {
      path: this.path,
      encrypted: this.encrypted,
      put: (k) => this.put(k),
      list: () => this.list(),
      delete: (kid) => this.delete(kid),
      addTombstone: (t) => this.addTombstone(t),
      tombstones: () => this.tombstones(),
      removeTombstone: (kid) => this.removeTombstone(kid),
      deleteWithTombstone: (t) => this.deleteWithTombstone(t),
      close: () => this.close(),
    };
  }

  /** One operation at a time, each under the file's lock. */
  #locked<T>(fn: (lock: HeldLock) => Promise<T>): Promise<T> {
    const run = () => withFileLock(this.path, transport, fn);
    const p = this.#queue.then(run, run);
    this.#queue = p.catch(() => undefined);
    return p;
  }

  #assertOpen(): void {
    if (this.#closed)
      throw new BlindwireError(ErrorCode.InvalidArgument, `key store ${this.path} is closed`);
  }

  /** Sets (or, with undefined, removes) the decoded key of `kid`, wiping the one it replaces. */
  #setKey(kid: string, k: StoredKey | undefined): void {
    const old = this.#keys.get(kid);
    if (k) this.#keys.set(kid, k);
    else this.#keys.delete(kid);
    if (old && old !== k) wipe(old.privateKey);
  }

  /**
   * Brings `entries` and `keys` up to what the file holds now: another
   * process may have added or removed keys since this one read it. The file
   * is replaced atomically, so a read sees one whole version.
   */
  async #refresh(): Promise<void> {
    const doc = await readExisting(this.path);
    if (doc === undefined) throw transport(`${this.path} was removed while in use`);
    const onDisk = parseFile(doc, this.path);
    if (JSON.stringify(onDisk.encryption) !== JSON.stringify(this.#encryption)) {
      throw transport(
        `${this.path} was replaced by another key store (other encryption) while in use`,
      );
    }
    this.#tombstones = new Map(onDisk.tombstones.map((t) => [t.kid, t]));
    const seen = new Set<string>();
    for (const e of onDisk.entries) {
      seen.add(e.kid);
      const have = this.#entries.get(e.kid);
      if (have && sameEntry(have, e)) continue;
      let k: StoredKey;
      try {
        k = decodeEntry(e, this.#key);
      } catch (err) {
        if (isBlindwireError(err, ErrorCode.OpenFailed)) throw err;
        throw transport(`${this.path} is malformed`, err);
      }
      this.#entries.set(e.kid, e);
      this.#setKey(e.kid, k);
    }
    for (const kid of [...this.#entries.keys()]) {
      if (seen.has(kid)) continue;
      this.#entries.delete(kid);
      this.#setKey(kid, undefined);
    }
  }

  /** Writes the file, under `lock` (checked before the rename). */
  flush(
    lock: HeldLock,
    next: Map<string, Entry> = this.#entries,
    tombstones: Map<string, Tombstone> = this.#tombstones,
  ): Promise<void> {
    return writeSecretFile(this.path, formatFile(this.#encryption, next, tombstones), lock);
  }

  async addTombstone(t: Tombstone): Promise<void> {
    this.#assertOpen();
    assertTombstone(t);
    const copy = { kid: t.kid, until: t.until };
    await this.#locked(async (lock) => {
      await this.#refresh();
      const next = new Map(this.#tombstones).set(
        copy.kid,
        laterOf(this.#tombstones.get(copy.kid), copy),
      );
      await this.flush(lock, this.#entries, next);
      this.#tombstones = next;
    });
  }

  async tombstones(): Promise<Tombstone[]> {
    this.#assertOpen();
    return this.#locked(async () => {
      await this.#refresh();
      return [...this.#tombstones.values()].map((t) => ({ ...t }));
    });
  }

  async removeTombstone(kid: string): Promise<void> {
    this.#assertOpen();
    await this.#locked(async (lock) => {
      await this.#refresh();
      if (!this.#tombstones.has(kid)) return;
      const next = new Map(this.#tombstones);
      next.delete(kid);
      await this.flush(lock, this.#entries, next);
      this.#tombstones = next;
    });
  }

  async put(k: StoredKey): Promise<void> {
    this.#assertOpen();
    assertStoredKey(k);
    const copy = copyStoredKey(k);
    await this.#locked(async (lock) => {
      await this.#refresh();
      const next = new Map(this.#entries).set(copy.kid, toEntry(copy, this.#key));
      await this.flush(lock, next);
      this.#entries.set(copy.kid, next.get(copy.kid)!);
      this.#setKey(copy.kid, copy);
    });
  }

  async list(): Promise<StoredKey[]> {
    this.#assertOpen();
    // Under the lock too: a writer overwrites the replaced file's blocks,
    // which a reader without it could still be reading.
    return this.#locked(async () => {
      await this.#refresh();
      return [...this.#keys.values()].sort(byCreation).map(copyStoredKey);
    });
  }

  async delete(kid: string): Promise<void> {
    this.#assertOpen();
    await this.#locked(async (lock) => {
      await this.#refresh();
      if (!this.#entries.has(kid)) return;
      const next = new Map(this.#entries);
      next.delete(kid);
      await this.flush(lock, next); // removed from disk first; only then forget it here
      this.#entries.delete(kid);
      this.#setKey(kid, undefined);
    });
  }

  /**
   * Tombstone `t` and erase key `t.kid` in one atomic rename of the file,
   * under one lock: a crash leaves the file before or after, never between.
   */
  async deleteWithTombstone(t: Tombstone): Promise<void> {
    this.#assertOpen();
    assertTombstone(t);
    const copy = { kid: t.kid, until: t.until };
    await this.#locked(async (lock) => {
      await this.#refresh();
      const entries = new Map(this.#entries);
      entries.delete(copy.kid);
      const tombstones = new Map(this.#tombstones).set(
        copy.kid,
        laterOf(this.#tombstones.get(copy.kid), copy),
      );
      await this.flush(lock, entries, tombstones); // on disk first; only then forget the key here
      this.#tombstones = tombstones;
      if (!this.#entries.delete(copy.kid)) return;
      this.#setKey(copy.kid, undefined);
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#queue;
    wipe(this.#key, ...[...this.#keys.values()].map((k) => k.privateKey));
    this.#keys.clear();
    this.#entries.clear();
    this.#tombstones.clear();
  }
}

function passphraseBytes(p: string | Uint8Array | undefined): Uint8Array | undefined {
  if (p === undefined) return undefined;
  if (typeof p === 'string') {
    if (p.length === 0) throw invalid('"passphrase" expected a non-empty string or Uint8Array');
    return utf8(p);
  }
  if (!(p instanceof Uint8Array) || p.length === 0)
    throw invalid('"passphrase" expected a non-empty string or Uint8Array');
  return Uint8Array.from(p);
}
