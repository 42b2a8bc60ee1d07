/**
 * Reading inputs and writing outputs. Files holding private keys are written
 * with mode 0600 from the first byte (never created wider and narrowed
 * later), and no output file is replaced without `--force`: without it the
 * file is created with O_EXCL, so an existing one is never truncated. With
 * `--force` the new content goes to a temporary file in the same directory,
 * is synced, and is renamed over the old one.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { BlindwireError, ErrorCode, fromBase64url, fromHex } from '@blindwire/core';
import { fromUtf8 } from '@blindwire/core/internal';
import { readAll, type CliIo } from './io.js';

/** Largest file a command reads: 16 MiB (envelopes and records are far smaller). */
export const MAX_INPUT_BYTES = 16 * 1024 * 1024;

function invalid(message: string, cause?: unknown): BlindwireError {
  return new BlindwireError(
    ErrorCode.InvalidArgument,
    message,
    cause === undefined ? undefined : { cause },
  );
}

function errno(e: unknown): string {
  return (e as NodeJS.ErrnoException)?.code ?? 'unreadable';
}

export function absolute(io: CliIo, path: string): string {
  return resolve(io.cwd, path);
}

/** The bytes of `path` (`-` reads stdin). `what` names the argument in errors. */
export async function readInput(io: CliIo, path: string, what: string): Promise<Uint8Array> {
  if (path === '-') {
    const all = await readAll(io.stdin, MAX_INPUT_BYTES);
    if (!all) throw invalid(`"${what}" expected at most ${MAX_INPUT_BYTES} bytes on stdin`);
    return all;
  }
  const file = absolute(io, path);
  let fh;
  try {
    fh = await open(file, 'r');
  } catch (e) {
    throw invalid(`"${what}" expected a readable file, got ${path} (${errno(e)})`, e);
  }
  try {
    const s = await fh.stat();
    if (!s.isFile()) throw invalid(`"${what}" expected a regular file, got ${path}`);
    if (s.size > MAX_INPUT_BYTES)
      throw invalid(`"${what}" expected at most ${MAX_INPUT_BYTES} bytes, got ${s.size}`);
    return new Uint8Array(await fh.readFile());
  } finally {
    await fh.close();
  }
}

/**
 * A JSON document. Parse errors get a fixed message: Node's own quote the
 * offending text, which for an identity or anchor file is key material.
 */
export async function readJson(io: CliIo, path: string, what: string): Promise<unknown> {
  const bytes = await readInput(io, path, what);
  try {
    return JSON.parse(fromUtf8(bytes));
  } catch {
    throw invalid(`"${what}" expected a JSON document, ${path} is not valid UTF-8 JSON`);
  } finally {
    bytes.fill(0);
  }
}

/** Whether a file holding private keys may be read by group or others; `undefined` when it is fine or not a file. */
export async function looseMode(io: CliIo, path: string): Promise<string | undefined> {
  if (path === '-') return undefined;
  try {
    const s = await stat(absolute(io, path));
    if (process.platform !== 'win32' && (s.mode & 0o077) !== 0)
      return (s.mode & 0o777).toString(8).padStart(4, '0');
  } catch {
    // readInput reports it
  }
  return undefined;
}

export interface WriteOptions {
  /** 0o600 for private keys, 0o644 for public documents. */
  mode: number;
  force: boolean;
  /** The option that named the file (`--out`), for errors. */
  what: string;
}

/** Refuses early (before any key is generated) when `path` exists and `--force` was not given. */
export async function assertWritable(
  io: CliIo,
  path: string,
  o: Pick<WriteOptions, 'force' | 'what'>,
): Promise<void> {
  if (o.force) return;
  try {
    await stat(absolute(io, path));
  } catch {
    return;
  }
  throw exists(path, o.what);
}

function exists(path: string, what: string): BlindwireError {
  return invalid(`"${what}" ${path} already exists; pass --force to replace it`);
}

export async function writeOutput(
  io: CliIo,
  path: string,
  text: string,
  o: WriteOptions,
): Promise<void> {
  const file = absolute(io, path);
  const target = o.force
    ? join(dirname(file), `.${basename(file)}.${randomBytes(6).toString('hex')}.tmp`)
    : file;
  let fh;
  try {
    fh = await open(target, 'wx', o.mode);
  } catch (e) {
    if (errno(e) === 'EEXIST' && !o.force) throw exists(path, o.what);
    throw invalid(`"${o.what}" expected a writable path, got ${path} (${errno(e)})`, e);
  }
  try {
    await fh.chmod(o.mode); // independent of the umask
    await fh.writeFile(text, 'utf8');
    await fh.sync();
    await fh.close();
    fh = undefined;
    if (o.force) await rename(target, file);
  } catch (e) {
    await fh?.close().catch(() => undefined);
    await unlink(target).catch(() => undefined);
    throw new BlindwireError(ErrorCode.Transport, `cannot write ${path} (${errno(e)})`, {
      cause: e,
    });
  }
}

const MAGIC = (b: Uint8Array | undefined) =>
  b !== undefined && b.length >= 3 && b[0] === 0x42 && b[1] === 0x57;

function decodeToken(token: string): Uint8Array | undefined {
  for (const decode of [fromBase64url, fromHex]) {
    try {
      const b = decode(token);
      if (MAGIC(b)) return b;
    } catch {
      // try the next encoding
    }
  }
  return undefined;
}

function notBinary(what: string): BlindwireError {
  return new BlindwireError(
    ErrorCode.InvalidArgument,
    `"${what}" expected Blindwire bytes (starting with "BW"), raw or as base64url or hex text`,
  );
}

function asText(bytes: Uint8Array): string | undefined {
  try {
    return fromUtf8(bytes).trim();
  } catch {
    return undefined;
  }
}

/**
 * Envelopes and records start with `"BW"`. A file may hold one raw, or as
 * base64url or hex text (whitespace around it ignored).
 */
export function decodeBinary(bytes: Uint8Array, what: string): Uint8Array {
  if (MAGIC(bytes)) return bytes;
  const b = decodeToken(asText(bytes) ?? '');
  if (!b) throw notBinary(what);
  return b;
}

/** Like decodeBinary, but a text file may hold several, separated by whitespace. */
export function decodeBinaryList(bytes: Uint8Array, what: string): Uint8Array[] {
  if (MAGIC(bytes)) return [bytes];
  const tokens = (asText(bytes) ?? '').split(/\s+/).filter((t) => t.length > 0);
  if (tokens.length === 0) throw notBinary(what);
  return tokens.map((t) => {
    const b = decodeToken(t);
    if (!b) throw notBinary(what);
    return b;
  });
}
