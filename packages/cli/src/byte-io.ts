/**
 * Byte inputs and outputs of `seal` and `open`, in bounded memory: a source
 * (a file, or stdin) read chunk by chunk with its size when known, and sinks
 * that write with backpressure. A file output is written beside its target
 * and appears only on `commit` (linked into place, or renamed over it with
 * `--force`), so a failed `open` never leaves plaintext behind and a failed
 * `seal` never leaves half a message; `abort` removes it.
 */
import { randomBytes } from 'node:crypto';
import { link, mkdtemp, open, rename, rm, stat, unlink, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BlindwireError, ErrorCode } from '@blindwire/core';
import { utf8 } from '@blindwire/core/internal';
import { absolute } from './files.js';
import type { CliIo, CliWriter } from './io.js';
import { holdTemporary, releaseTemporary } from './temporaries.js';

/** Bytes a file read asks for at a time. */
const READ_CHUNK = 64 * 1024;

export interface ByteSource {
  /** The size of a regular file; undefined for stdin, pipes and devices. */
  size: number | undefined;
  /** The bytes, chunk by chunk (read once). */
  chunks: AsyncIterable<Uint8Array>;
  close(): Promise<void>;
}

function errno(e: unknown): string {
  return (e as NodeJS.ErrnoException)?.code ?? 'unreadable';
}

function invalid(message: string, cause?: unknown): BlindwireError {
  return new BlindwireError(ErrorCode.InvalidArgument, message, cause ? { cause } : undefined);
}

/** `path` (a file, or `-` for stdin) as a source; `what` names the argument in errors. */
export async function openSource(io: CliIo, path: string, what: string): Promise<ByteSource> {
  if (path === '-') {
    const stdin = io.stdin;
    return {
      size: undefined,
      chunks: (async function* () {
        for await (const c of stdin) yield typeof c === 'string' ? utf8(c) : c;
      })(),
      close: async () => undefined,
    };
  }
  let fh: FileHandle;
  try {
    fh = await open(absolute(io, path), 'r');
  } catch (e) {
    throw invalid(`"${what}" expected a readable file, got ${path} (${errno(e)})`, e);
  }
  const s = await fh.stat();
  if (s.isDirectory()) {
    await fh.close();
    throw invalid(`"${what}" expected a file, got the directory ${path}`);
  }
  return {
    size: s.isFile() ? s.size : undefined,
    chunks: readChunks(fh, path),
    close: () => fh.close(),
  };
}

/** The rest of `fh`, chunk by chunk. */
async function* readChunks(fh: FileHandle, path: string): AsyncGenerator<Uint8Array> {
  for (;;) {
    const buf = new Uint8Array(READ_CHUNK);
    let n: number;
    try {
      n = (await fh.read(buf, 0, READ_CHUNK, null)).bytesRead;
    } catch (e) {
      throw invalid(`cannot read ${path} (${errno(e)})`, e);
    }
    if (n === 0) return;
    yield buf.subarray(0, n);
  }
}

/**
 * A pull reader over chunks that can look ahead: `peek(n)` returns the first
 * `n` bytes (fewer at the end) without consuming them.
 */
export class ChunkReader implements AsyncIterable<Uint8Array> {
  private readonly pending: Uint8Array[] = [];
  private readonly it: AsyncIterator<Uint8Array>;

  constructor(chunks: AsyncIterable<Uint8Array>) {
    this.it = chunks[Symbol.asyncIterator]();
  }

  async next(): Promise<Uint8Array | undefined> {
    const p = this.pending.shift();
    if (p) return p;
    const r = await this.it.next();
    return r.done ? undefined : r.value;
  }

  async peek(n: number): Promise<Uint8Array> {
    const got: Uint8Array[] = [];
    let total = 0;
    while (total < n) {
      const c = await this.next();
      if (!c) break;
      got.push(c);
      total += c.length;
    }
    this.pending.unshift(...got);
    return Buffer.concat(got, total).subarray(0, Math.min(n, total));
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    for (;;) {
      const c = await this.next();
      if (!c) return;
      yield c;
    }
  }
}

export interface ByteSink {
  writable: Writable;
  /** Makes a file output appear at its path, once it is written and verified. */
  commit(): Promise<void>;
  /** Removes what was written. Never throws. */
  abort(): Promise<void>;
}

/**
 * Writes `w` as a Node Writable. A Node stream target (process.stdout) gets
 * each chunk with a callback, and the next chunk only once the stream has
 * handed that one on: backpressure, and a caller that zeroes its plaintext
 * after `finish` never zeroes bytes still queued. Other writers (tests, an
 * embedding's sink) take chunks synchronously.
 */
export function writerStream(w: CliWriter, name = 'stdout'): Writable {
  const stream = typeof (w as Partial<NodeJS.EventEmitter>).once === 'function';
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      try {
        if (stream)
          (w as NodeJS.WritableStream).write(chunk, (e?: Error | null) =>
            callback(e ? writeFailed(name, e) : null),
          );
        else {
          w.write(chunk);
          callback();
        }
      } catch (e) {
        callback(writeFailed(name, e));
      }
    },
  });
}

function writeFailed(name: string, e: unknown): BlindwireError {
  return new BlindwireError(ErrorCode.Transport, `cannot write to ${name} (${errno(e)})`, {
    cause: e,
  });
}

export function stdoutSink(io: CliIo): ByteSink {
  return {
    writable: writerStream(io.stdout),
    commit: async () => undefined,
    abort: async () => undefined,
  };
}

export interface FileSinkOptions {
  /** 0o600 for plaintext, 0o644 for sealed output. */
  mode: number;
  force: boolean;
  /** The option that named the file (`--out`), for errors. */
  what: string;
}

/** A Writable over an open file handle; failures are ERR_TRANSPORT naming `path`. */
function handleStream(fh: FileHandle, path: string): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      fh.write(chunk).then(
        () => callback(),
        (e: unknown) => callback(writeFailed(path, e)),
      );
    },
  });
}

/**
 * A sink for `path`: written to a temporary file beside it (mode `o.mode`
 * from the first byte); `commit` syncs it and links it into place, refusing
 * an existing file unless `o.force` (then renames over it).
 */
export async function fileSink(io: CliIo, path: string, o: FileSinkOptions): Promise<ByteSink> {
  const file = absolute(io, path);
  const exists = () => invalid(`"${o.what}" ${path} already exists; pass --force to replace it`);
  if (!o.force && (await present(file))) throw exists();
  const temp = join(dirname(file), `.${basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  let fh: FileHandle;
  try {
    fh = await open(temp, 'wx', o.mode);
  } catch (e) {
    throw invalid(`"${o.what}" expected a writable path, got ${path} (${errno(e)})`, e);
  }
  holdTemporary(temp);
  await fh.chmod(o.mode); // independent of the umask
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await fh.close();
  };
  return {
    writable: handleStream(fh, path),
    async commit() {
      try {
        await fh.sync();
        await close();
        if (o.force) await rename(temp, file);
        else await linkInPlace(temp, file, exists);
      } catch (e) {
        await unlink(temp).catch(() => undefined);
        if (e instanceof BlindwireError) throw e;
        if (errno(e) === 'EEXIST') throw exists();
        throw writeFailed(path, e);
      } finally {
        releaseTemporary(temp);
      }
    },
    async abort() {
      await close().catch(() => undefined);
      await unlink(temp).catch(() => undefined);
      releaseTemporary(temp);
    },
  };
}

const present = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );

/** `temp` appears at `file` without replacing one (a hard link), then `temp` goes. */
async function linkInPlace(temp: string, file: string, exists: () => Error): Promise<void> {
  try {
    await link(temp, file);
  } catch (e) {
    // Filesystems without hard links: check, then rename (a narrow race, only there).
    if (!['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EXDEV'].includes(errno(e))) throw e;
    if (await present(file)) throw exists();
    await rename(temp, file);
    return;
  }
  await unlink(temp);
}

/**
 * A private spool (mode 0600, in a fresh 0700 directory under the system's
 * temporary directory) for a stream's plaintext that goes to stdout: it is
 * copied there only after the whole stream verified (`replay`), then removed.
 */
export async function spoolSink(): Promise<
  ByteSink & { replay(to: Writable): Promise<void>; remove(): Promise<void> }
> {
  const dir = await mkdtemp(join(tmpdir(), 'blindwire-open-'));
  holdTemporary(dir);
  const path = join(dir, 'plaintext');
  const fh = await open(path, 'wx', 0o600);
  const remove = async () => {
    await rm(dir, { recursive: true, force: true }).catch(() => undefined);
    releaseTemporary(dir);
  };
  return {
    writable: handleStream(fh, 'the spool file'),
    commit: () => fh.close(),
    abort: async () => {
      await fh.close().catch(() => undefined);
      await remove();
    },
    async replay(to) {
      const spool = await open(path, 'r');
      try {
        await pipeline(readChunks(spool, 'the spool file'), to);
      } finally {
        await spool.close();
      }
    },
    remove,
  };
}

const MiB = 1024 * 1024;
const mib = (n: number) => `${(n / MiB).toFixed(1)} MiB`;

/**
 * A pass-through that shows `<verb> 12.0 MiB of 64.0 MiB (18%)` on stderr,
 * one update per MiB, when stderr is a terminal; undefined otherwise.
 */
export function progressMeter(
  io: CliIo,
  verb: string,
  total: number | undefined,
): Transform | undefined {
  if (io.stderr.isTTY !== true) return undefined;
  let done = 0;
  let shownStep = -1;
  let shownBytes = -1;
  const show = (end: boolean) => {
    const step = Math.floor(done / MiB);
    if (step !== shownStep || (end && done !== shownBytes)) {
      shownStep = step;
      shownBytes = done;
      const of =
        total === undefined
          ? ''
          : ` of ${mib(total)} (${total === 0 ? 100 : Math.floor((done / total) * 100)}%)`;
      io.stderr.write(`\r${verb} ${mib(done)}${of}\u001b[K`);
    }
    if (end) io.stderr.write('\n');
  };
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      done += chunk.length;
      show(false);
      callback(null, chunk);
    },
    flush(callback) {
      show(true);
      callback();
    },
  });
}
