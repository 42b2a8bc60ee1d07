/**
 * `blindwire open`: opens a message or a stream sealed for one of the given
 * keys (`age -d` for age users), verifying the sender through a pinned
 * identity or a trust anchor and the directory (SPEC.md §7, §7a.5, §11.2).
 * The input is binary or armored (SPEC.md Appendix A), told apart by its
 * first bytes; messages and streams by their kind byte (SPEC.md §11c). No
 * plaintext is released before the whole input verified: a message is
 * opened whole, a stream is written to a private file first and moved (or
 * copied to stdout) only once its final signature checked. The verified
 * sender and message id go to stderr.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BlindwireError, ErrorCode, DEFAULT_LIMITS, open, type OpenOptions } from '@blindwire/core';
import { Kind, MAGIC_0, MAGIC_1, VERSION, fromUtf8 } from '@blindwire/core/internal';
import { openStreamNode } from '@blindwire/node';
import { UsageError, flag, type CommandSpec, type Context } from '../args.js';
import { createArmorDecoder, looksArmored } from '../armor.js';
import {
  ChunkReader,
  fileSink,
  openSource,
  progressMeter,
  spoolSink,
  stdoutSink,
  writerStream,
  type ByteSink,
  type ByteSource,
} from '../byte-io.js';
import { classifiedExit } from '../exit-codes.js';
import { println } from '../io.js';
import { isoSeconds } from '../values.js';
import { openKeys, parseOpenOptions, type OpenCommandOptions, type OpenKeys } from './open-keys.js';

export const openCommand: CommandSpec = {
  name: 'open',
  summary: 'Open a sealed message or stream: verify the sender, decrypt, write the plaintext.',
  usage:
    '[FILE|-] (--identity FILE | --keystore FILE [--passphrase-env VAR])... (--pin FILE | --anchor FILE [--store STORE])... ' +
    '[--context TEXT] [--allow-sender PATTERN]... [--max-age S] [--clock-skew S] [--out FILE] [--force] [--now TIME] [--json]',
  description: [
    'Reads FILE (default - : stdin), binary or armored, a message or a stream, and writes the plaintext to stdout or ' +
      '--out (mode 0600, created only once everything verified). The keys are those of the --identity files and of the ' +
      '--keystore (every key rotation kept; its tombstones make messages to keys erased for compromise ERR_KEY_REVOKED). ' +
      "The sender's signing key must be a --pin, or certified by an --anchor (read from --store).",
    'The verified sender and the message id are printed on stderr (one JSON line with --json). A stream is written to ' +
      'a private temporary file first: nothing is released before its final signature verified.',
    'Exit status: 0 opened, 2 usage, 3 malformed, corrupted or tampered, 4 not sealed to these keys (or the key was ' +
      'revoked), 5 sender untrusted or not allowed, or wrong context, 6 expired or not yet valid, 7 a file or store problem.',
  ],
  positionals: { name: 'FILE', min: 0, max: 1 },
  options: {
    identity: {
      type: 'string',
      short: 'i',
      multiple: true,
      value: 'FILE',
      description:
        'An identity file with its private keys: its encryption key opens messages sealed to it.',
    },
    keystore: {
      type: 'string',
      value: 'FILE',
      description:
        'The key store key rotate keeps (must exist): every private key it holds is tried.',
    },
    'passphrase-env': {
      type: 'string',
      value: 'VAR',
      description: 'Name of the environment variable holding the key store passphrase.',
    },
    pin: {
      type: 'string',
      multiple: true,
      value: 'FILE',
      description: "A sender's public identity, trusted directly (no store needed).",
    },
    anchor: {
      type: 'string',
      multiple: true,
      value: 'FILE',
      description:
        "A public trust anchor: a sender's signing key certified by it in --store is trusted.",
    },
    store: {
      type: 'string',
      value: 'STORE',
      description:
        "Where --anchor finds senders' certificates (as in directory resolve). Default $BLINDWIRE_STORE, else file:./blindwire-directory.json.",
    },
    context: {
      type: 'string',
      value: 'TEXT',
      description: 'The bound context the sender used (SPEC.md §4.3). Default empty.',
    },
    'allow-sender': {
      type: 'string',
      multiple: true,
      value: 'PATTERN',
      description:
        'Accept only senders matching (SPEC.md §7.1: * one or more characters but /, ** any).',
    },
    'max-age': {
      type: 'string',
      value: 'S',
      description: 'Refuse messages issued longer ago than this, whatever their expiry.',
    },
    'clock-skew': {
      type: 'string',
      value: 'S',
      description: 'Clock tolerance, seconds. Default 60.',
    },
    out: {
      type: 'string',
      short: 'o',
      value: 'FILE',
      description: 'Write the plaintext here (mode 0600) instead of stdout.',
    },
    force: { type: 'boolean', description: 'Replace --out if it exists.' },
    now: {
      type: 'string',
      value: 'TIME',
      description: 'The clock to use: Unix seconds or an ISO 8601 date-time (default: now).',
    },
    json: {
      type: 'boolean',
      description: 'Print the verified sender and message id as one JSON line on stderr.',
    },
  },
  examples: [
    'blindwire open report.pdf.bw --keystore payments-keys.json --passphrase-env PAYMENTS_KEYS_PASSPHRASE --anchor anchor-public.json --store file:./directory.json -o report.pdf',
    'blindwire open message.txt -i payments.json --pin planner-public.json',
  ],
  exitStatus: classifiedExit,
  async run(ctx) {
    const o = parseOpenOptions(ctx);
    const sink = o.out === undefined ? undefined : await openOut(ctx, o.out);
    let keys: OpenKeys | undefined;
    let source: ByteSource | undefined;
    try {
      keys = await openKeys(ctx, o);
      source = await openSource(ctx.io, o.input, 'FILE');
      const opened = await openInput(ctx, o, keys, source, sink);
      report(ctx, o, opened);
      return 0;
    } catch (e) {
      await sink?.abort();
      throw keys ? await keys.explain(e) : e;
    } finally {
      await source?.close();
      await keys?.close();
    }
  },
};

function openOut(ctx: Context, out: string): Promise<ByteSink> {
  return fileSink(ctx.io, out, { mode: 0o600, force: flag(ctx, 'force'), what: '--out' });
}

interface Opened {
  mode: 'message' | 'stream';
  sender: string;
  senderKid: string;
  messageId: string;
  contentType: string | undefined;
  issuedAt: number;
  expiresAt: number;
  bytes: number;
}

/** The input's bytes, de-armored when it starts with an armor's begin line. */
async function decodedInput(source: ByteSource): Promise<ChunkReader> {
  const raw = new ChunkReader(source.chunks);
  // Whitespace may precede an armor (Appendix A rule 4): look past up to 64 KiB of it.
  let head = await raw.peek(64);
  for (let n = 64; n < 64 * 1024 && head.length === n && isBlank(head); n *= 4)
    head = await raw.peek(n * 4);
  if (!looksArmored(head)) return raw;
  const decoder = createArmorDecoder();
  return new ChunkReader(
    (async function* () {
      for await (const chunk of raw) for (const b of decoder.push(chunk)) yield b;
      decoder.end();
    })(),
  );
}

/** Only SP, HT, CR and LF. */
function isBlank(b: Uint8Array): boolean {
  return b.every((c) => c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a);
}

/** SPEC.md §3: magic, version 1, and the kind byte that says how to read the rest. */
function isStream(head: Uint8Array): boolean {
  return (
    head.length >= 4 &&
    head[0] === MAGIC_0 &&
    head[1] === MAGIC_1 &&
    head[2] === VERSION &&
    head[3] === Kind.Stream
  );
}

async function openInput(
  ctx: Context,
  o: OpenCommandOptions,
  keys: OpenKeys,
  source: ByteSource,
  sink: ByteSink | undefined,
): Promise<Opened> {
  const input = await decodedInput(source);
  const head = await input.peek(4);
  if (head.length === 0)
    throw new BlindwireError(ErrorCode.EnvelopeMalformed, 'the input is empty');
  if (isStream(head)) return openStreamInput(ctx, keys, input, source.size, sink);
  return openMessageInput(ctx, keys.options, input, sink);
}

/** SPEC.md §7: a message, read whole (at most maxEnvelopeBytes) and opened. */
async function openMessageInput(
  ctx: Context,
  options: OpenOptions,
  input: ChunkReader,
  sink: ByteSink | undefined,
): Promise<Opened> {
  const max = DEFAULT_LIMITS.maxEnvelopeBytes;
  const parts: Uint8Array[] = [];
  let total = 0;
  for await (const c of input) {
    total += c.length;
    if (total > max)
      throw new BlindwireError(
        ErrorCode.LimitExceeded,
        `a message is at most ${max} bytes (maxEnvelopeBytes, SPEC.md §8); larger inputs are sealed as streams`,
      );
    parts.push(c);
  }
  const r = await open(Buffer.concat(parts, total), options);
  try {
    const out = sink ?? stdoutSink(ctx.io);
    if (sink === undefined && ctx.io.stdout.isTTY === true && !isText(r.payload))
      throw new UsageError(
        'refusing to write binary plaintext to a terminal: give --out FILE or redirect stdout',
        ctx.command,
      );
    out.writable.end(r.payload);
    await new Promise<void>((resolve, reject) => {
      out.writable.once('finish', resolve);
      out.writable.once('error', reject);
    });
    await sink?.commit();
  } finally {
    r.payload.fill(0);
  }
  return {
    mode: 'message',
    sender: r.sender,
    senderKid: r.senderKid,
    messageId: r.messageId,
    contentType: r.contentType,
    issuedAt: r.header.issuedAt,
    expiresAt: r.header.expiresAt,
    bytes: r.payload.length,
  };
}

/** Text a terminal can show: UTF-8 without control characters other than tab and line ends. */
function isText(b: Uint8Array): boolean {
  try {
    // eslint-disable-next-line no-control-regex
    return !/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(fromUtf8(b));
  } catch {
    return false;
  }
}

/**
 * SPEC.md §7a.5: a stream, opened chunk by chunk into a private file (the
 * --out temporary, or a spool for stdout), released only once the result
 * (the sender's signature over the whole body) verified.
 */
async function openStreamInput(
  ctx: Context,
  keys: OpenKeys,
  input: ChunkReader,
  size: number | undefined,
  sink: ByteSink | undefined,
): Promise<Opened> {
  if (sink === undefined && ctx.io.stdout.isTTY === true)
    throw new UsageError(
      "refusing to write a stream's plaintext to a terminal: give --out FILE or redirect stdout",
      ctx.command,
    );
  const s = openStreamNode(keys.options);
  s.result.catch(() => undefined); // the pipeline reports the same failure
  const spool = sink === undefined ? await spoolSink() : undefined;
  const target = sink ?? spool!;
  try {
    const stages: (NodeJS.ReadableStream | NodeJS.WritableStream)[] = [
      Readable.from(input, { objectMode: false }),
    ];
    const meter = progressMeter(ctx.io, 'opened', size);
    if (meter) stages.push(meter);
    stages.push(s.duplex, target.writable);
    await pipeline(stages);
    const r = await s.result;
    await target.commit();
    if (spool) await spool.replay(writerStream(ctx.io.stdout));
    return {
      mode: 'stream',
      sender: r.sender,
      senderKid: r.senderKid,
      messageId: r.messageId,
      contentType: r.contentType,
      issuedAt: r.header.issuedAt,
      expiresAt: r.header.expiresAt,
      bytes: r.bodyBytes,
    };
  } catch (e) {
    await spool?.abort();
    throw e;
  } finally {
    await spool?.remove();
  }
}

function report(ctx: Context, o: OpenCommandOptions, r: Opened): void {
  if (o.json) {
    println(ctx.io.stderr, JSON.stringify({ ...r, contentType: r.contentType ?? null }));
    return;
  }
  println(ctx.io.stderr, `verified sender ${r.sender} (signing key ${r.senderKid})`);
  println(
    ctx.io.stderr,
    `message id ${r.messageId}, ${r.mode}, ${r.bytes} bytes` +
      `${r.contentType === undefined ? '' : `, ${r.contentType}`}, issued ${isoSeconds(r.issuedAt)}, expires ${isoSeconds(r.expiresAt)}`,
  );
}
