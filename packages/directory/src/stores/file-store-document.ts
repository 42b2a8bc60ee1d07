/**
 * The file store's document (SPEC.md §11.5 storage layout): reading it
 * within its size limit, parsing and checking it (any deviation is
 * ERR_TRANSPORT), writing it atomically at mode 0644 (records are public),
 * and the cheap stat identity that tells when it changed.
 */
import { open, stat } from 'node:fs/promises';
import { BlindwireError, ErrorCode, fromBase64url, toBase64url } from '@blindwire/core';
import { writeFileAtomic } from '../files/atomic-write.js';
import type { HeldLock } from '../files/file-lock.js';
import { recordId } from '../records/record-id.js';

/** Largest document the store reads or writes: 16 MiB. */
export const MAX_FILE_BYTES = 16 * 1024 * 1024;

/** A parsed document: name -> (record id -> record), plus the raw strings for change detection. */
export interface Snapshot {
  key: string;
  records: Map<string, Map<string, Uint8Array>>;
}

export const EMPTY_KEY = 'missing';
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** A cheap identity of the file's current version (following symlinks), or `missing`. */
export async function statKey(path: string): Promise<string> {
  try {
    const s = await stat(path, { bigint: true });
    return `${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return EMPTY_KEY;
    throw transport(`cannot stat ${path}`, e);
  }
}

export async function readDocument(path: string): Promise<Snapshot> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT')
      return { key: EMPTY_KEY, records: new Map() };
    throw transport(`cannot open ${path}`, e);
  }
  try {
    const s = await fh.stat({ bigint: true });
    if (s.size > BigInt(MAX_FILE_BYTES)) {
      throw new BlindwireError(
        ErrorCode.LimitExceeded,
        `file store: ${path} is ${s.size} bytes, more than the ${MAX_FILE_BYTES} allowed`,
      );
    }
    const key = `${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`;
    // Read exactly the stat'ed size: a file growing underneath cannot push us past the limit.
    const buf = new Uint8Array(Number(s.size));
    let off = 0;
    try {
      while (off < buf.length) {
        const { bytesRead } = await fh.read(buf, off, buf.length - off, off);
        if (bytesRead === 0) break;
        off += bytesRead;
      }
    } catch (e) {
      throw transport(`cannot read ${path}`, e);
    }
    let text: string;
    try {
      text = UTF8.decode(buf.subarray(0, off));
    } catch (e) {
      throw transport(`${path} is not UTF-8`, e);
    }
    return { key, records: parseDocument(text, path) };
  } finally {
    await fh.close();
  }
}

/** Parses and checks the whole document; any deviation is `ERR_TRANSPORT`, never a crash. */
function parseDocument(text: string, path: string): Map<string, Map<string, Uint8Array>> {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw transport(`${path} is not valid JSON`, e);
  }
  if (!isObject(doc) || doc['v'] !== 1) {
    throw transport(`${path} is not a version 1 directory document ({"v":1,"records":{...}})`);
  }
  const records = doc['records'];
  if (!isObject(records)) throw transport(`${path}: "records" is not an object`);
  const out = new Map<string, Map<string, Uint8Array>>();
  for (const [name, list] of Object.entries(records)) {
    if (!Array.isArray(list))
      throw transport(`${path}: records of ${JSON.stringify(name)} are not an array`);
    const m = new Map<string, Uint8Array>();
    list.forEach((s: unknown, i) => {
      if (typeof s !== 'string')
        throw transport(`${path}: record ${i} of ${JSON.stringify(name)} is not a string`);
      let r: Uint8Array;
      try {
        r = fromBase64url(s);
      } catch (e) {
        throw transport(`${path}: record ${i} of ${JSON.stringify(name)} is not base64url`, e);
      }
      m.set(recordId(r), r);
    });
    if (m.size > 0) out.set(name, m);
  }
  return out;
}

export function serialise(records: Map<string, Map<string, Uint8Array>>): string {
  const obj: Record<string, string[]> = Object.create(null); // a name like "__proto__" stays a plain key
  for (const name of [...records.keys()].sort()) {
    const m = records.get(name)!;
    if (m.size > 0) obj[name] = [...m.values()].map(toBase64url);
  }
  return JSON.stringify({ v: 1, records: obj }, null, 2) + '\n';
}

/** Mode 0644: records are public. Under `lock`, checked before the rename. */
export async function writeAtomic(path: string, text: string, lock: HeldLock): Promise<void> {
  try {
    await writeFileAtomic(path, text, 0o644, () => lock.assertHeld());
  } catch (e) {
    if (e instanceof BlindwireError) throw e; // the lock was lost
    throw transport(`cannot write ${path}`, e);
  }
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

export function transport(message: string, cause?: unknown): BlindwireError {
  return new BlindwireError(
    ErrorCode.Transport,
    `file store: ${message}`,
    cause === undefined ? undefined : { cause },
  );
}
