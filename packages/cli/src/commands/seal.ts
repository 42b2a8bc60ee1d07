/**
 * `blindwire seal`: seals a file or stdin for one or more recipients, signed
 * by the sender's identity (SPEC.md §4.5), as `age -r` does for age users.
 * Recipients are identity names, resolved and verified through a directory
 * store and a trust anchor (SPEC.md §11.2), or public identity files. An
 * input of up to STREAM_THRESHOLD bytes becomes one message (SPEC.md §4);
 * a larger one, or one of unknown size that outgrows it, a stream (SPEC.md
 * §7a), sealed in bounded memory. The output is binary, or with `--armor`
 * the text armor of SPEC.md Appendix A; binary never goes to a terminal.
 */
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  DEFAULT_LIMITS,
  importPublicIdentity,
  seal,
  type Identity,
  type SealOptions,
} from '@blindwire/core';
import { sealStreamNode } from '@blindwire/node';
import { createDirectory, type Directory } from '@blindwire/directory';
import {
  UsageError,
  flag,
  optList,
  optString,
  reqString,
  type CommandSpec,
  type Context,
} from '../args.js';
import { armor, createArmorEncoder } from '../armor.js';
import {
  fileSink,
  openSource,
  progressMeter,
  stdoutSink,
  type ByteSink,
  type ByteSource,
} from '../byte-io.js';
import { classifiedExit } from '../exit-codes.js';
import { readJson } from '../files.js';
import { loadIdentity, wipeIdentity } from '../secrets.js';
import { openStore, parseStore, type OpenStore, type StoreSpec } from '../stores.js';
import { TRUST_OPTIONS, resolving, trustPolicy } from '../trust.js';
import { FORCE_OPTION, NOW_OPTION, STORE_OPTION, durationOption, nowOption } from '../values.js';

/**
 * Inputs up to this many bytes are sealed as one message: 15 MiB, so that
 * the envelope (payload, header and inner record) stays under the default
 * 16 MiB `maxEnvelopeBytes` of SPEC.md §8 that every opener enforces. Larger
 * inputs are sealed as a stream (SPEC.md §7a).
 */
export const STREAM_THRESHOLD = DEFAULT_LIMITS.maxEnvelopeBytes - 1024 * 1024;

const SEAL_OPTIONS: CommandSpec['options'] = {
  recipient: {
    type: 'string',
    short: 'r',
    multiple: true,
    value: 'NAME',
    description:
      "A recipient's identity name, resolved through --store and verified with --anchor or --pin (its newest usable key).",
  },
  'recipient-file': {
    type: 'string',
    short: 'R',
    multiple: true,
    value: 'FILE',
    description:
      'A public identity file (identity create prints one): its encryption key is used as it is, unverified.',
  },
  identity: {
    type: 'string',
    short: 'i',
    value: 'FILE',
    description:
      'The sender: an identity file with its private keys (identity create --out). Required.',
  },
  store: STORE_OPTION,
  ...TRUST_OPTIONS,
  'require-pq': {
    type: 'boolean',
    description:
      'Refuse to seal unless every recipient has a post-quantum hybrid (X-Wing) key; the policy of the context otherwise.',
  },
  context: {
    type: 'string',
    value: 'TEXT',
    description:
      'The bound context: never sent; the recipient must open with the same (SPEC.md §4.3).',
  },
  'content-type': {
    type: 'string',
    value: 'TYPE',
    description: 'A content type, visible to anyone who sees the message (e.g. text/plain).',
  },
  ttl: {
    type: 'string',
    value: 'S',
    description: 'Lifetime, seconds (or 15m, 12h, 7d), from 1 to 7d. Default 3600.',
  },
  armor: {
    type: 'boolean',
    short: 'a',
    description: 'Write the text armor (-----BEGIN BLINDWIRE MESSAGE-----) instead of binary.',
  },
  stream: {
    type: 'boolean',
    description: `Seal as a stream (SPEC.md §7a) whatever the size. Default: only inputs over ${STREAM_THRESHOLD} bytes.`,
  },
  out: {
    type: 'string',
    short: 'o',
    value: 'FILE',
    description: 'Write here (mode 0644) instead of stdout; it appears only once complete.',
  },
  force: FORCE_OPTION,
  now: NOW_OPTION,
};

export const sealCommand: CommandSpec = {
  name: 'seal',
  summary:
    'Seal a file or stdin for recipients: only they can open it, and they verify the sender.',
  usage:
    '[FILE|-] (--recipient NAME | --recipient-file FILE)... --identity FILE [--store STORE] [--anchor FILE]... [--pin FILE]... ' +
    '[--require-pq] [--context TEXT] [--content-type TYPE] [--ttl S] [--armor] [--stream] [--out FILE] [--force] [--clock-skew S] [--now TIME]',
  description: [
    'Reads FILE (default - : stdin) and writes the sealed message to stdout or --out. Recipient names are resolved ' +
      'through --store and trusted only when certified by an --anchor (or a --pin): the newest usable key of each, of the ' +
      'strongest suite they all accept (X-Wing when every recipient publishes one, else X25519; --require-pq refuses X25519). ' +
      'A --recipient-file key is used as it is. The sender signs with the --identity file.',
    `An input of up to ${STREAM_THRESHOLD} bytes becomes one message; a larger one a stream, sealed in bounded memory ` +
      '(open tells them apart). Binary output is refused on a terminal: use --armor, --out or a redirection.',
    'Exit status: 0 sealed, 2 usage, 4 a recipient has no usable key, 5 untrusted, 6 expired, 7 a file or store problem.',
  ],
  positionals: { name: 'FILE', min: 0, max: 1 },
  options: SEAL_OPTIONS,
  examples: [
    'blindwire seal report.pdf -r spiffe://acme.example/tools/payments --identity planner.json --store file:./directory.json --anchor anchor-public.json -o report.pdf.bw',
    'echo hello | blindwire seal -R payments-public.json -i planner.json --armor',
  ],
  exitStatus: classifiedExit,
  async run(ctx) {
    const o = parseSealOptions(ctx);
    const sink = o.out === undefined ? stdoutSink(ctx.io) : await openOut(ctx, o.out);
    let sender: Identity | undefined;
    let source: ByteSource | undefined;
    try {
      sender = await loadIdentity(ctx, o.identityPath, '--identity');
      const recipients = await resolveRecipients(ctx, o);
      const options: SealOptions = { sender, recipients, now: o.now, ...o.sealing };
      source = await openSource(ctx.io, o.input, 'FILE');
      await sealTo(ctx, o, options, source, sink);
      await sink.commit();
      return 0;
    } catch (e) {
      await sink.abort();
      throw e;
    } finally {
      wipeIdentity(sender);
      await source?.close();
    }
  },
};

interface SealCommandOptions {
  input: string;
  identityPath: string;
  names: string[];
  files: string[];
  storeSpec: StoreSpec | undefined;
  armor: boolean;
  stream: boolean;
  out: string | undefined;
  now: number;
  skew: number | undefined;
  sealing: Pick<
    SealOptions,
    'context' | 'contentType' | 'ttl' | 'clockSkew' | 'requirePostQuantum'
  >;
}

/** Every option, checked before any file is read (usage errors first). */
function parseSealOptions(ctx: Context): SealCommandOptions {
  const names = optList(ctx, 'recipient');
  const files = optList(ctx, 'recipient-file');
  if (names.length + files.length === 0)
    throw new UsageError('missing --recipient NAME or --recipient-file FILE', ctx.command);
  const identityPath = reqString(ctx, 'identity');
  if ([...optList(ctx, 'anchor'), ...optList(ctx, 'pin')].length === 0 && names.length > 0)
    throw new UsageError(
      'missing --anchor (or --pin): a --recipient NAME is only trusted through an anchor or a pinned identity',
      ctx.command,
    );
  const ttl = durationOption(ctx, 'ttl');
  if (ttl !== undefined && (ttl < 1 || ttl > DEFAULT_LIMITS.maxTtlSeconds))
    throw new UsageError(
      `--ttl expected 1 to ${DEFAULT_LIMITS.maxTtlSeconds} seconds, got ${ttl}`,
      ctx.command,
    );
  const skew = durationOption(ctx, 'clock-skew');
  const out = optString(ctx, 'out');
  const armored = flag(ctx, 'armor');
  if ((out === undefined || out === '-') && !armored && ctx.io.stdout.isTTY === true)
    throw new UsageError(
      'refusing to write binary to a terminal: add --armor, give --out FILE, or redirect stdout',
      ctx.command,
    );
  const context = optString(ctx, 'context');
  const contentType = optString(ctx, 'content-type');
  return {
    input: ctx.positionals[0] ?? '-',
    identityPath,
    names,
    files,
    storeSpec: names.length > 0 ? parseStore(ctx) : undefined,
    armor: armored,
    stream: flag(ctx, 'stream'),
    out: out === '-' ? undefined : out,
    now: nowOption(ctx),
    skew,
    sealing: {
      ...(context === undefined ? {} : { context }),
      ...(contentType === undefined ? {} : { contentType }),
      ...(ttl === undefined ? {} : { ttl }),
      ...(skew === undefined ? {} : { clockSkew: skew }),
      ...(flag(ctx, 'require-pq') ? { requirePostQuantum: true } : {}),
    },
  };
}

function openOut(ctx: Context, out: string): Promise<ByteSink> {
  return fileSink(ctx.io, out, { mode: 0o644, force: flag(ctx, 'force'), what: '--out' });
}

type RecipientKey = { kid: string; publicKey: Uint8Array; notBefore?: number; notAfter?: number };

/** The recipients' keys: files as they are, names through the directory; one key per kid. */
async function resolveRecipients(ctx: Context, o: SealCommandOptions): Promise<RecipientKey[]> {
  const keys = new Map<string, RecipientKey>();
  for (const file of o.files) {
    const p = await importPublicIdentity(await readJson(ctx.io, file, '--recipient-file'));
    keys.set(p.encryption.kid, p.encryption);
  }
  if (o.storeSpec === undefined) return [...keys.values()];
  const trust = await trustPolicy(ctx);
  let opened: OpenStore | undefined;
  let directory: Directory | undefined;
  try {
    opened = await openStore(ctx, o.storeSpec);
    directory = createDirectory({ store: opened.store, trust, now: () => o.now });
    // One envelope has one KEM (SPEC.md §5.4): the directory picks the strongest all accept.
    const d = directory;
    // The context the envelope binds, null for none: a policy naming contexts needs it.
    const options = {
      context: o.sealing.context === undefined ? null : String(o.sealing.context),
      ...(o.sealing.requirePostQuantum ? { requirePostQuantum: true } : {}),
    };
    const resolved = await resolving(opened, o.names.join(', '), () =>
      d.resolveRecipients(o.names, options),
    );
    for (const k of resolved) keys.set(k.kid, k);
    return [...keys.values()];
  } finally {
    await directory?.close();
    await opened?.close();
  }
}

/**
 * Seals `source` into `sink`: one message when it ends within
 * STREAM_THRESHOLD bytes (and --stream was not given), else a stream.
 */
async function sealTo(
  ctx: Context,
  o: SealCommandOptions,
  options: SealOptions,
  source: ByteSource,
  sink: ByteSink,
): Promise<void> {
  const big = o.stream || (source.size !== undefined && source.size > STREAM_THRESHOLD);
  const it = source.chunks[Symbol.asyncIterator]();
  const head: Uint8Array[] = [];
  let headBytes = 0;
  let ended = false;
  while (!big && headBytes <= STREAM_THRESHOLD) {
    const r = await it.next();
    if (r.done) {
      ended = true;
      break;
    }
    head.push(r.value);
    headBytes += r.value.length;
  }
  if (ended) {
    const payload = Buffer.concat(head, headBytes);
    const sealed = await seal(payload, options);
    payload.fill(0);
    const text = o.armor ? armor(sealed.envelope) : sealed.envelope;
    sink.writable.end(text);
    await new Promise<void>((resolve, reject) => {
      sink.writable.once('finish', resolve);
      sink.writable.once('error', reject);
    });
    return;
  }
  const rest = (async function* () {
    yield* head;
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      yield r.value;
    }
  })();
  await sealStreamTo(ctx, o, options, rest, source.size, sink);
}

/** SPEC.md §7a: the body through sealStream, armored when asked, with a progress line on a terminal. */
async function sealStreamTo(
  ctx: Context,
  o: SealCommandOptions,
  options: SealOptions,
  body: AsyncIterable<Uint8Array>,
  size: number | undefined,
  sink: ByteSink,
): Promise<void> {
  const { padding: _padding, ...streamOptions } = options;
  const s = sealStreamNode(streamOptions);
  s.result.catch(() => undefined); // the pipeline reports the same failure
  const stages: (NodeJS.ReadableStream | NodeJS.WritableStream)[] = [
    Readable.from(body, { objectMode: false }),
  ];
  const meter = progressMeter(ctx.io, 'sealed', size);
  if (meter) stages.push(meter);
  stages.push(s.duplex);
  if (o.armor) stages.push(armorTransform());
  stages.push(sink.writable);
  await pipeline(stages);
  await s.result;
}

/** The armor encoder (armor.ts) as a Node Transform. */
function armorTransform(): Transform {
  const e = createArmorEncoder();
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      callback(null, e.push(chunk));
    },
    flush(callback) {
      callback(null, e.end());
    },
  });
}
