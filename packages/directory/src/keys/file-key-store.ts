/**
 * A private key store in one JSON file, mode 0600, rewritten atomically.
 * With a passphrase, each private key is sealed with XChaCha20-Poly1305 under
 * a key derived by scrypt (RFC 7914; N=2^15, r=8, p=1, per-file random salt),
 * with a fresh random nonce per key and the key's kid and metadata as AAD.
 *
 *   { "v": 1,
 *     "encryption": null | { "kdf": "scrypt", "N", "r", "p", "salt", "aead": "xchacha20-poly1305", "check" },
 *     "keys": [{ "kid", "publicKey", "notBefore", "notAfter", "createdAt",
 *                "record"? (base64url),
 *                "privateKey" (plain, base64url) | "sealedPrivateKey" (base64url nonce || ciphertext) }] }
 *
 * `check` seals the empty string, so a wrong passphrase is detected even when
 * the file holds no key. `record` is the key's signed encryption-key record
 * (SPEC.md §11.4: the rotator publishes it again on every tick); it is public
 * and optional (keys written by older versions have none, and their files
 * open unchanged). When present it is part of the sealed key's AAD, so it
 * cannot be swapped, removed or added without the passphrase. Several
 * processes may share the file: each write takes `<path>.lock` and re-reads
 * the file under it, and `list` re-reads it too.
 * Limits: erasure is best effort. `delete` rewrites the file without the key
 * and then overwrites the replaced file's blocks through an open descriptor,
 * but copy-on-write filesystems, SSD wear levelling and backups may keep old
 * data; JavaScript may keep copies of secrets we cannot reach.
 */
import { open, lstat, mkdir, stat, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { writeFileAtomic } from '../files/atomic-write.js';
import { withFileLock } from '../files/file-lock.js';
import { randomBytes, scryptAsync, xchacha20poly1305 } from '../crypto.js';
import {
  BlindwireError,
  ErrorCode,
  fromBase64url,
  isBlindwireError,
  toBase64url,
} from '@blindwire/core';
import { utf8, wipe } from '@blindwire/core/internal';
import {
  assertStoredKey,
  byCreation,
  copyStoredKey,
  type PrivateKeyStore,
  type StoredKey,
} from './key-store.js';

export interface FileKeyStoreOptions {
  /** Seals the private keys at rest. Without it they are stored base64url, protected by the file mode only. */
  passphrase?: string | Uint8Array;
}

export interface FileKeyStore extends PrivateKeyStore {
  readonly path: string;
  /** Whether private keys are sealed with a passphrase-derived key. */
  readonly encrypted: boolean;
  /** Zeroes the derived key and the in-memory private keys; the store is unusable afterwards. */
  close(): Promise<void>;
}

/** scrypt parameters written to new files (RFC 7914 §2). */
const SCRYPT = { N: 2 ** 15, r: 8, p: 1 } as const;
const SALT_BYTES = 16;
const NONCE_BYTES = 24; // XChaCha20-Poly1305
const MAX_FILE_BYTES = 16 * 1024 * 1024;
/** Ceiling on scrypt memory (128 * N * r) accepted from a file, so a crafted file cannot exhaust memory. */
const MAX_SCRYPT_MEMORY = 256 * 1024 * 1024;
const AAD_LABEL = 'blindwire-keystore-v1';

interface Encryption {
  kdf: 'scrypt';
  N: number;
  r: number;
  p: number;
  salt: string;
  aead: 'xchacha20-poly1305';
  check: string;
}

interface Entry {
  kid: string;
  publicKey: string;
  notBefore: number;
  notAfter: number;
  createdAt: number;
  record?: string;
  privateKey?: string;
  sealedPrivateKey?: string;
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
    return await withFileLock(path, transport, async () => {
      const existing = await readExisting(path);
      if (existing === undefined) return await create(path, pass);
      return await openExisting(path, existing, pass);
    });
  } finally {
    wipe(pass);
  }
}

async function create(path: string, pass: Uint8Array | undefined): Promise<FileKeyStore> {
  let encryption: Encryption | null = null;
  let key: Uint8Array | undefined;
  if (pass) {
    const salt = randomBytes(SALT_BYTES);
    key = await scryptAsync(pass, salt, { ...SCRYPT, dkLen: 32 });
    encryption = {
      kdf: 'scrypt',
      ...SCRYPT,
      salt: toBase64url(salt),
      aead: 'xchacha20-poly1305',
      check: toBase64url(sealBytes(key, new Uint8Array(0), checkAad())),
    };
  }
  const store = makeStore(path, encryption, key, new Map(), new Map());
  try {
    await store.flush();
  } catch (e) {
    wipe(key);
    throw e;
  }
  return store.api;
}

async function openExisting(
  path: string,
  doc: unknown,
  pass: Uint8Array | undefined,
): Promise<FileKeyStore> {
  const { encryption, entries } = parseFile(doc, path);
  if (encryption && !pass)
    throw invalid(`"passphrase" expected: the key store ${path} is encrypted`);
  if (!encryption && pass)
    throw invalid(`"passphrase" not expected: the key store ${path} is not encrypted`);
  let key: Uint8Array | undefined;
  const keys = new Map<string, StoredKey>();
  try {
    if (encryption && pass) {
      key = await scryptAsync(pass, fromBase64url(encryption.salt), {
        N: encryption.N,
        r: encryption.r,
        p: encryption.p,
        dkLen: 32,
        maxmem: MAX_SCRYPT_MEMORY + 1024 * 1024,
      });
      openBytes(key, fromBase64url(encryption.check), checkAad()); // wrong passphrase stops here
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
  return makeStore(path, encryption, key, keys, new Map(entries.map((e) => [e.kid, e]))).api;
}

/** An entry as on disk, decoded (and, with `key`, its private key unsealed). */
function decodeEntry(e: Entry, key: Uint8Array | undefined): StoredKey {
  const privateKey =
    e.sealedPrivateKey !== undefined
      ? openBytes(key!, fromBase64url(e.sealedPrivateKey), keyAad(e))
      : fromBase64url(e.privateKey!);
  const k: StoredKey = {
    kid: e.kid,
    publicKey: fromBase64url(e.publicKey),
    privateKey,
    notBefore: e.notBefore,
    notAfter: e.notAfter,
    createdAt: e.createdAt,
    ...(e.record === undefined ? {} : { record: fromBase64url(e.record) }),
  };
  assertStoredKey(k);
  return k;
}

/** The same entry: every field as on disk. */
function sameEntry(a: Entry, b: Entry): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** `keys` (decoded) and `entries` (as on disk) hold the same kids. */
function makeStore(
  path: string,
  encryption: Encryption | null,
  key: Uint8Array | undefined,
  keys: Map<string, StoredKey>,
  entries: Map<string, Entry>,
) {
  let queue: Promise<unknown> = Promise.resolve();
  let closed = false;

  function serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = queue.then(fn, fn);
    queue = run.catch(() => undefined);
    return run;
  }
  function assertOpen(): void {
    if (closed) throw new BlindwireError(ErrorCode.InvalidArgument, `key store ${path} is closed`);
  }
  /**
   * Brings `entries` and `keys` up to what the file holds now: another
   * process may have added or removed keys since this one read it. The file
   * is replaced atomically, so a read sees one whole version.
   */
  async function refresh(): Promise<void> {
    const doc = await readExisting(path);
    if (doc === undefined) throw transport(`${path} was removed while in use`);
    const onDisk = parseFile(doc, path);
    if (JSON.stringify(onDisk.encryption) !== JSON.stringify(encryption)) {
      throw transport(`${path} was replaced by another key store (other encryption) while in use`);
    }
    const seen = new Set<string>();
    for (const e of onDisk.entries) {
      seen.add(e.kid);
      const have = entries.get(e.kid);
      if (have && sameEntry(have, e)) continue;
      let k: StoredKey;
      try {
        k = decodeEntry(e, key);
      } catch (err) {
        if (isBlindwireError(err, ErrorCode.OpenFailed)) throw err;
        throw transport(`${path} is malformed`, err);
      }
      const old = keys.get(e.kid);
      entries.set(e.kid, e);
      keys.set(e.kid, k);
      if (old) wipe(old.privateKey);
    }
    for (const kid of [...entries.keys()]) {
      if (seen.has(kid)) continue;
      entries.delete(kid);
      const old = keys.get(kid);
      keys.delete(kid);
      if (old) wipe(old.privateKey);
    }
  }

  function flush(next: Map<string, Entry> = entries): Promise<void> {
    const list = [...next.values()].sort(
      (a, b) => a.createdAt - b.createdAt || (a.kid < b.kid ? -1 : 1),
    );
    return writeSecretFile(path, JSON.stringify({ v: 1, encryption, keys: list }, null, 2) + '\n');
  }

  const api: FileKeyStore = {
    path,
    encrypted: encryption !== null,
    async put(k) {
      assertOpen();
      assertStoredKey(k);
      const copy = copyStoredKey(k);
      await serial(() =>
        withFileLock(path, transport, async () => {
          await refresh();
          const next = new Map(entries).set(copy.kid, toEntry(copy, key));
          await flush(next);
          entries.set(copy.kid, next.get(copy.kid)!);
          const old = keys.get(copy.kid);
          keys.set(copy.kid, copy);
          if (old) wipe(old.privateKey);
        }),
      );
    },
    async list() {
      assertOpen();
      // Under the lock too: a writer overwrites the replaced file's blocks,
      // which a reader without it could still be reading.
      return serial(() =>
        withFileLock(path, transport, async () => {
          await refresh();
          return [...keys.values()].sort(byCreation).map(copyStoredKey);
        }),
      );
    },
    async delete(kid) {
      assertOpen();
      await serial(() =>
        withFileLock(path, transport, async () => {
          await refresh();
          if (!entries.has(kid)) return;
          const next = new Map(entries);
          next.delete(kid);
          await flush(next); // removed from disk first; only then forget it here
          entries.delete(kid);
          const old = keys.get(kid);
          keys.delete(kid);
          if (old) wipe(old.privateKey);
        }),
      );
    },
    async close() {
      if (closed) return;
      closed = true;
      await queue;
      wipe(key, ...[...keys.values()].map((k) => k.privateKey));
      keys.clear();
      entries.clear();
    },
  };
  return { api, flush: () => flush() };
}

function toEntry(k: StoredKey, key: Uint8Array | undefined): Entry {
  const e: Entry = {
    kid: k.kid,
    publicKey: toBase64url(k.publicKey),
    notBefore: k.notBefore,
    notAfter: k.notAfter,
    createdAt: k.createdAt,
  };
  if (k.record !== undefined) e.record = toBase64url(k.record);
  if (key) e.sealedPrivateKey = toBase64url(sealBytes(key, k.privateKey, keyAad(e)));
  else e.privateKey = toBase64url(k.privateKey);
  return e;
}

/**
 * AAD binds the sealed key to its kid and metadata: entries cannot be swapped
 * or re-dated. The record is appended only when present, so entries written
 * before it existed keep the AAD they were sealed with.
 */
function keyAad(e: Entry): Uint8Array {
  const fields = [AAD_LABEL, e.kid, e.publicKey, e.notBefore, e.notAfter, e.createdAt];
  return utf8(JSON.stringify(e.record === undefined ? fields : [...fields, e.record]));
}

function checkAad(): Uint8Array {
  return utf8(JSON.stringify([AAD_LABEL, 'passphrase-check']));
}

function sealBytes(key: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array {
  const nonce = randomBytes(NONCE_BYTES);
  const ct = xchacha20poly1305(key, nonce, aad).encrypt(plaintext);
  const out = new Uint8Array(NONCE_BYTES + ct.length);
  out.set(nonce);
  out.set(ct, NONCE_BYTES);
  return out;
}

/** Any failure (short input, tag mismatch) is the one `ERR_OPEN_FAILED`. */
function openBytes(key: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Uint8Array {
  try {
    return xchacha20poly1305(key, sealed.subarray(0, NONCE_BYTES), aad).decrypt(
      sealed.subarray(NONCE_BYTES),
    );
  } catch {
    throw new BlindwireError(
      ErrorCode.OpenFailed,
      'key store could not be opened: wrong passphrase or modified file',
    );
  }
}

/** The parsed JSON of an existing file, or undefined when there is none. Checks the mode first. */
async function readExisting(path: string): Promise<unknown> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw transport(`cannot open ${path}`, e);
  }
  try {
    const s = await fh.stat();
    if (!s.isFile()) throw invalid(`"path" expected a regular file: ${path}`);
    if ((s.mode & 0o077) !== 0) {
      const mode = (s.mode & 0o777).toString(8).padStart(4, '0');
      throw invalid(
        `"path" expected a file only its owner can access (mode 0600), got ${mode}: ${path}`,
      );
    }
    if (s.size > MAX_FILE_BYTES) {
      throw new BlindwireError(
        ErrorCode.LimitExceeded,
        `key store ${path} is larger than ${MAX_FILE_BYTES} bytes`,
      );
    }
    const text = await fh.readFile({ encoding: 'utf8' });
    try {
      return JSON.parse(text);
    } catch (e) {
      throw transport(`${path} is not valid JSON`, e);
    }
  } finally {
    await fh.close();
  }
}

function parseFile(
  doc: unknown,
  path: string,
): { encryption: Encryption | null; entries: Entry[] } {
  const bad = (what: string) => transport(`${path} is malformed: ${what}`);
  if (!isObject(doc) || doc['v'] !== 1) throw bad('expected {"v":1,...}');
  const enc = doc['encryption'];
  let encryption: Encryption | null = null;
  if (enc !== null) {
    if (!isObject(enc) || enc['kdf'] !== 'scrypt' || enc['aead'] !== 'xchacha20-poly1305')
      throw bad('"encryption"');
    const { N, r, p, salt, check } = enc;
    const ints = [N, r, p].every((x) => Number.isSafeInteger(x) && (x as number) > 0);
    if (!ints || typeof salt !== 'string' || typeof check !== 'string')
      throw bad('"encryption" fields');
    const n = N as number;
    if (
      (n & (n - 1)) !== 0 ||
      n < 2 ** 14 ||
      (p as number) > 16 ||
      128 * n * (r as number) > MAX_SCRYPT_MEMORY
    ) {
      throw bad('scrypt parameters out of range');
    }
    encryption = {
      kdf: 'scrypt',
      N: n,
      r: r as number,
      p: p as number,
      salt,
      aead: 'xchacha20-poly1305',
      check,
    };
  }
  const keys = doc['keys'];
  if (!Array.isArray(keys)) throw bad('"keys" is not an array');
  const entries = keys.map((k: unknown, i): Entry => {
    if (!isObject(k)) throw bad(`key ${i}`);
    const { kid, publicKey, notBefore, notAfter, createdAt, record, privateKey, sealedPrivateKey } =
      k;
    if (typeof kid !== 'string' || typeof publicKey !== 'string') throw bad(`key ${i}`);
    if (record !== undefined && typeof record !== 'string') throw bad(`key ${i}: "record"`);
    const secret = encryption ? sealedPrivateKey : privateKey;
    if (typeof secret !== 'string' || (encryption ? privateKey : sealedPrivateKey) !== undefined) {
      throw bad(`key ${i}: expected ${encryption ? '"sealedPrivateKey"' : '"privateKey"'} only`);
    }
    const e: Entry = {
      kid,
      publicKey,
      notBefore: notBefore as number,
      notAfter: notAfter as number,
      createdAt: createdAt as number,
    };
    if (record !== undefined) e.record = record;
    if (encryption) e.sealedPrivateKey = secret;
    else e.privateKey = secret;
    return e; // numbers and lengths are checked by assertStoredKey after decoding
  });
  if (new Set(entries.map((e) => e.kid)).size !== entries.length) throw bad('duplicate kid');
  return { encryption, entries };
}

/**
 * Atomic replacement at mode 0600 (atomic-file.ts). Then the replaced file, if nothing else links to it, is overwritten with
 * zeros through a descriptor opened before the rename (best effort).
 */
async function writeSecretFile(path: string, text: string): Promise<void> {
  let old;
  try {
    if ((await lstat(path)).isFile()) old = await open(path, 'r+');
  } catch {
    old = undefined; // no previous file (or not ours to wipe)
  }
  try {
    try {
      await writeFileAtomic(path, text, 0o600);
    } catch (e) {
      throw transport(`cannot write ${path}`, e);
    }
    if (old) await wipeReplaced(old);
  } finally {
    await old?.close().catch(() => undefined);
  }
}

async function wipeReplaced(fh: FileHandle): Promise<void> {
  try {
    const s = await fh.stat();
    if (s.nlink !== 0 || s.size === 0) return; // still linked somewhere: not ours to destroy
    await fh.write(new Uint8Array(s.size), 0, s.size, 0);
    await fh.sync();
  } catch {
    // best effort only; the new file is already in place
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

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function invalid(message: string): BlindwireError {
  return new BlindwireError(ErrorCode.InvalidArgument, message);
}

function transport(message: string, cause?: unknown): BlindwireError {
  return new BlindwireError(
    ErrorCode.Transport,
    `key store: ${message}`,
    cause === undefined ? undefined : { cause },
  );
}
