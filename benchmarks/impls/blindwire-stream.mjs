#!/usr/bin/env node
/**
 * Streaming mode (SPEC.md §7a): throughput and peak RSS of `sealStream` /
 * `openStream` over a large body, each measurement in its own child process
 * so that its resident set is its own. Not a row of the per-message table
 * (run.mjs times one seal/open call per payload; a stream is one long call):
 * run it on its own, after `pnpm build`.
 *
 *   node benchmarks/impls/blindwire-stream.mjs                 # 1 GiB, node backend, 64 KiB chunks
 *   node benchmarks/impls/blindwire-stream.mjs --size 256m --backend pure --chunk 1m
 *   node benchmarks/impls/blindwire-stream.mjs --fresh-input   # a new buffer per write/read
 *
 * Rows: seal (generated body -> sealStream -> discarded), open (sealed file,
 * read in 1 MiB pieces -> openStream -> discarded), piped (generated ->
 * sealStream -> openStream -> discarded, one thread doing both), and the
 * node:crypto floor: the same generated body through a TransformStream doing
 * SHA-256 and AES-256-GCM (no framing, no Blindwire) into the same drain, for
 * the RSS any Node process needs to push those bytes through node:crypto with
 * web streams. The body is generated lazily in 64 KiB writes; nothing holds
 * it whole.
 *
 * The input is one reused buffer (the 64 KiB pattern; the file read into one
 * 1 MiB buffer, each read after the previous write resolved), as a caller may
 * do once a write resolved: so the harness allocates nothing per write, and
 * the growth is the SDK's and V8's. With --fresh-input every write is a new
 * 64 KiB copy and the file is read with fs.createReadStream (a new 1 MiB
 * buffer per read): V8 frees dead ArrayBuffers at a scavenge, and the
 * scavenges of these loops come from external-memory pressure, so every
 * allocated byte, the harness's too, raises the peak.
 *
 * MB/s is body bytes (10^6) per second of wall time; "RSS before" is the
 * child's resident set with its modules loaded and keys made; "peak" is the
 * kernel's VmHWM for the process (not getrusage's maxRSS, which Linux carries
 * over from the parent across fork and exec), with a 5 ms sampler as a second
 * source (timers rarely fire: a pipeline of in-memory streams runs in
 * microtasks). Also exported as `measureStreams()`.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const CORE = fileURLToPath(new URL('../../packages/core/dist/', import.meta.url));
const MiB = 1024 * 1024;

/** The child's program: one measurement, printed as one JSON line. */
const CHILD = String.raw`
const [mode, bytes, backendName, chunkSize, file, core, keys, fresh] = JSON.parse(process.argv[1]);
const { createReadStream, createWriteStream, readFileSync } = await import('node:fs');
const { open: openFile } = await import('node:fs/promises');
const { Readable } = await import('node:stream');
const { pipeline } = await import('node:stream/promises');
const { createCipheriv, createHash } = await import('node:crypto');
const WRITE = 64 * 1024;
// Files are read in 1 MiB pieces: with fs's default 64 KiB, the main thread
// sat idle ~45% of the time waiting on the thread pool's next read.
const READ = 1024 * 1024;
const pattern = new Uint8Array(WRITE);
for (let i = 0; i < WRITE; i++) pattern[i] = (i * 2654435761) >>> 24;
const body = () => {
  let left = bytes;
  return new ReadableStream({
    pull(c) {
      if (left === 0) return c.close();
      const n = Math.min(left, WRITE);
      left -= n;
      c.enqueue(fresh ? pattern.slice(0, n) : pattern.subarray(0, n));
    },
  }, { highWaterMark: 0 });
};
const drain = async (r) => { let n = 0; for await (const c of r) n += c.length; return n; };
// The sealed file in 1 MiB pieces: one reused buffer, each read after the caller's write resolved.
async function* pieces() {
  if (fresh) return yield* createReadStream(file, { highWaterMark: READ });
  const fh = await openFile(file);
  const buf = new Uint8Array(READ);
  try {
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, READ, null);
      if (bytesRead === 0) return;
      yield buf.subarray(0, bytesRead);
    }
  } finally {
    await fh.close();
  }
}
// The floor: no framing, no Blindwire; 'floor' in a process in the state of
// the Blindwire rows (modules loaded, keys made), 'bare' in a plain one.
const floor = async () => {
    const h = createHash('sha256');
    const cipher = createCipheriv('aes-256-gcm', Buffer.alloc(32, 1), Buffer.alloc(12));
    const crypt = new TransformStream({
      transform(x, ctl) { h.update(x); ctl.enqueue(cipher.update(x)); },
      flush(ctl) { ctl.enqueue(cipher.final()); h.digest(); },
    });
    return drain(body().pipeThrough(crypt));
};
let run = floor;
if (mode !== 'bare') {
  const c = await import(core + 'index.js');
  const backend = backendName === 'node' ? (await import(core + 'backend/node.js')).nodeBackend
    : backendName === 'web' ? (await import(core + 'backend/web.js')).webBackend : c.pureBackend;
  // The prepare child makes the keys; the others import them, so 'open' can read its file.
  const [sender, recipient] = keys
    ? await Promise.all(keys.map((k) => c.importIdentity(k, { backend })))
    : await Promise.all(['sender', 'recipient'].map((n) => c.generateIdentity('spiffe://bench.example/' + n, { backend })));
  const trustedSenders = [c.publicIdentity(sender)];
  const seal = () => c.sealStream({ sender, recipients: recipient, backend, chunkSize, limits: { maxStreamBytes: 2 ** 50 } });
  const open = () => c.openStream({ recipient, trustedSenders, backend, limits: { maxStreamBytes: 2 ** 50 } });
  if (mode === 'prepare') {
    const s = seal();
    await pipeline(Readable.fromWeb(body().pipeThrough(s)), createWriteStream(file));
    console.log(JSON.stringify({ sealedBytes: (await s.result).streamBytes, keys: [sender, recipient].map(c.exportIdentity) }));
    process.exit(0);
  }
  run = {
    seal: async () => { const s = seal(); await drain(body().pipeThrough(s)); return (await s.result).bodyBytes; },
    // The file is read with fs and written to the WritableStream directly: Readable.toWeb would add ~25%.
    open: async () => {
      const o = open();
      const reading = drain(o.readable);
      const w = o.writable.getWriter();
      for await (const piece of pieces()) await w.write(piece);
      await w.close();
      const n = await reading;
      await o.result;
      return n;
    },
    piped: async () => { const o = open(); const n = await drain(body().pipeThrough(seal()).pipeThrough(o)); await o.result; return n; },
    floor,
  }[mode];
}
const rssBefore = process.memoryUsage().rss;
let peak = rssBefore;
const sampler = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 5);
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const out = await run();
const seconds = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
clearInterval(sampler);
if (out !== bytes) throw new Error(mode + ': ' + out + ' bytes out, expected ' + bytes);
// The kernel's high-water mark of this process's own address space (VmHWM).
// Not getrusage's maxRSS: Linux carries that across fork and exec, so every
// child reported at least the parent's resident set at spawn.
const hwm = (() => {
  try {
    const m = readFileSync('/proc/self/status', 'utf8').match(/^VmHWM:\s+(\d+) kB/m);
    return m ? Number(m[1]) * 1024 : 0;
  } catch { return 0; }
})();
peak = Math.max(peak, process.memoryUsage().rss, hwm);
console.log(JSON.stringify({ seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, rssBefore, peak }));
`;

function child(args) {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--input-type=module', '-e', CHILD, JSON.stringify(args)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('close', (code) => {
      if (code !== 0) return reject(new Error(`${args[0]}: child exited ${code}: ${err.trim()}`));
      resolve(JSON.parse(out.trim().split('\n').pop()));
    });
  });
}

/** Measures seal, open, piped and the floor for one configuration; returns one row per measurement. */
export async function measureStreams({
  bytes = 1024 * MiB,
  backend = 'node',
  chunkSize = 65536,
  freshInput = false,
  log = () => {},
} = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'blindwire-bench-stream-'));
  const file = join(dir, 'sealed');
  const core = pathToFileURL(CORE).href;
  try {
    log(`preparing a sealed ${bytes / MiB} MiB stream for the open row`);
    const { sealedBytes, keys } = await child(['prepare', bytes, backend, chunkSize, file, core]);
    const rows = [];
    for (const mode of ['seal', 'open', 'piped', 'floor', 'bare']) {
      log(`measuring ${mode}`);
      const m = await child([mode, bytes, backend, chunkSize, file, core, keys, freshInput]);
      rows.push({
        mode,
        backend: mode === 'floor' || mode === 'bare' ? 'node:crypto' : backend,
        bytes,
        chunkSize: mode === 'floor' || mode === 'bare' ? null : chunkSize,
        mbPerSec: bytes / 1e6 / m.seconds,
        mbPerCpuSec: bytes / 1e6 / m.cpuSeconds,
        rssBeforeMiB: m.rssBefore / MiB,
        peakRssMiB: m.peak / MiB,
        ...(mode === 'open' ? { sealedBytes } : {}),
      });
    }
    return rows;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function parseSize(s) {
  const m = /^(\d+)([kmg]?)$/i.exec(s);
  if (!m) throw new Error(`not a size: ${s}`);
  return Number(m[1]) * { '': 1, k: 1024, m: MiB, g: 1024 * MiB }[m[2].toLowerCase()];
}

async function main() {
  const o = { bytes: 1024 * MiB, backend: 'node', chunkSize: 65536, freshInput: false };
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--fresh-input') {
      o.freshInput = true;
      continue;
    }
    const v = argv[++i];
    if (argv[i - 1] === '--size') o.bytes = parseSize(v);
    else if (argv[i - 1] === '--backend') o.backend = v;
    else if (argv[i - 1] === '--chunk') o.chunkSize = parseSize(v);
    else
      throw new Error(
        `usage: blindwire-stream.mjs [--size 1g] [--backend node|pure|web] [--chunk 64k] [--fresh-input]`,
      );
  }
  const rows = await measureStreams({ ...o, log: (s) => process.stderr.write(`${s}\n`) });
  console.log(streamTable(rows, o));
}

/** The markdown table of measureStreams() rows. */
export function streamTable(rows, o) {
  const out = [
    `\nStreams: ${o.bytes / MiB} MiB, ${o.backend} backend, ${o.chunkSize / 1024} KiB chunks, ${o.freshInput ? 'a fresh buffer per write/read' : 'input from one reused buffer'}\n`,
    '| Row    | Backend     | MB/s (wall) | MB/s (CPU) | RSS before | Peak RSS | Peak - before |',
    '| ------ | ----------- | ----------: | ---------: | ---------: | -------: | ------------: |',
  ];
  for (const r of rows) {
    out.push(
      `| ${r.mode.padEnd(6)} | ${r.backend.padEnd(11)} | ${r.mbPerSec.toFixed(0).padStart(11)} | ${r.mbPerCpuSec
        .toFixed(0)
        .padStart(10)} | ${r.rssBeforeMiB.toFixed(1).padStart(6)} MiB | ${r.peakRssMiB
        .toFixed(1)
        .padStart(4)} MiB | ${(r.peakRssMiB - r.rssBeforeMiB).toFixed(1).padStart(9)} MiB |`,
    );
  }
  out.push(
    '\npiped = seal and open in one thread (their costs add). floor = the body through node:crypto SHA-256 + AES-256-GCM,\n' +
      'no framing, in a process with the modules loaded and keys made (as the rows above); bare = the same in a plain Node process.\n' +
      'CPU MB/s counts all threads (GC helpers).',
  );
  return out.join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((e) => {
    console.error(e.stack ?? e);
    process.exit(1);
  });
}
