/**
 * The private key store file format, version 1 (sealing: key-sealing.ts):
 *
 *   { "v": 1,
 *     "encryption": null | { "kdf": "scrypt", "N", "r", "p", "salt", "aead": "xchacha20-poly1305", "check" },
 *     "keys": [{ "kid", "publicKey", "notBefore", "notAfter", "createdAt",
 *                "record"? (base64url),
 *                "privateKey" (plain, base64url) | "sealedPrivateKey" (base64url nonce || ciphertext) }],
 *     "revoked"?: [{ "kid", "until" }] }
 *
 * `record` is the key's signed encryption-key record (SPEC.md §11.4: the
 * rotator publishes it again on every tick); it is public and optional (keys
 * written by older versions have none, and their files open unchanged).
 * When present it is part of the sealed key's AAD.
 *
 * `revoked` holds the tombstones (key-store.ts `Tombstone`): kids erased for
 * compromise, public. It is written only when not empty, so a file without
 * tombstones is byte for byte what older versions wrote, and older files
 * (without it) load unchanged; older versions ignore it.
 */
import { fromBase64url, toBase64url } from '@blindwire/core';
import { assertStoredKey, assertTombstone, type StoredKey, type Tombstone } from './key-store.js';
import { transport } from './key-store-errors.js';
import { openKey, scryptParamsProblem, sealKey, type Encryption } from './key-sealing.js';

/** One key as on disk. */
export interface Entry {
  kid: string;
  publicKey: string;
  notBefore: number;
  notAfter: number;
  createdAt: number;
  record?: string;
  privateKey?: string;
  sealedPrivateKey?: string;
}

/** An entry as on disk, decoded (and, with `key`, its private key unsealed). */
export function decodeEntry(e: Entry, key: Uint8Array | undefined): StoredKey {
  const privateKey =
    e.sealedPrivateKey !== undefined
      ? openKey(key!, e.sealedPrivateKey, e)
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
export function sameEntry(a: Entry, b: Entry): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export function toEntry(k: StoredKey, key: Uint8Array | undefined): Entry {
  const e: Entry = {
    kid: k.kid,
    publicKey: toBase64url(k.publicKey),
    notBefore: k.notBefore,
    notAfter: k.notAfter,
    createdAt: k.createdAt,
  };
  if (k.record !== undefined) e.record = toBase64url(k.record);
  if (key) e.sealedPrivateKey = sealKey(key, k.privateKey, e);
  else e.privateKey = toBase64url(k.privateKey);
  return e;
}

/** The file's text: entries oldest first (then by kid), tombstones by kid. */
export function formatFile(
  encryption: Encryption | null,
  entries: Map<string, Entry>,
  tombstones: Map<string, Tombstone> = new Map(),
): string {
  const list = [...entries.values()].sort(
    (a, b) => a.createdAt - b.createdAt || (a.kid < b.kid ? -1 : 1),
  );
  const revoked = [...tombstones.values()].sort((a, b) => (a.kid < b.kid ? -1 : 1));
  const doc =
    revoked.length === 0
      ? { v: 1, encryption, keys: list }
      : { v: 1, encryption, keys: list, revoked };
  return JSON.stringify(doc, null, 2) + '\n';
}

/** Checks the JSON of a file (ERR_TRANSPORT naming what is wrong); numbers are checked after decoding. */
export function parseFile(
  doc: unknown,
  path: string,
): { encryption: Encryption | null; entries: Entry[]; tombstones: Tombstone[] } {
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
    const problem = scryptParamsProblem(n, r as number, p as number);
    if (problem !== undefined) throw bad(`scrypt parameters out of range: ${problem}`);
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
  return { encryption, entries, tombstones: parseTombstones(doc['revoked'], bad) };
}

/** The optional `revoked` member: tombstones, distinct kids. */
function parseTombstones(revoked: unknown, bad: (what: string) => Error): Tombstone[] {
  if (revoked === undefined) return [];
  if (!Array.isArray(revoked)) throw bad('"revoked" is not an array');
  const out = revoked.map((t: unknown, i): Tombstone => {
    try {
      assertTombstone(t);
    } catch {
      throw bad(`revoked ${i}`);
    }
    return { kid: t.kid, until: t.until };
  });
  if (new Set(out.map((t) => t.kid)).size !== out.length) throw bad('duplicate revoked kid');
  return out;
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}
