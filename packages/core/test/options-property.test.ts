/**
 * Property (fast-check): every option of `seal`, `open`, `sealResponse`,
 * `openResponse`, `sealStream` and `openStream` (and their positional
 * arguments), given a value of the wrong shape as plain JavaScript may pass
 * it (numbers, strings, arrays, objects, null, NaN, callbacks answering
 * anything, throwing getters, Proxies), gives a BlindwireError whose code
 * SPEC.md §9.1 lists for that operation, with no plaintext in its message,
 * and no unhandled rejection; a call succeeds only when the value is of the
 * documented shape, and then with the genuine plaintext and sender.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromBase64url, toHex, utf8 } from '../src/bytes.js';
import { BlindwireError } from '../src/errors.js';
import { open } from '../src/envelope/open.js';
import type { OpenResult } from '../src/envelope/open-options.js';
import { openResponse, sealResponse } from '../src/envelope/response.js';
import { seal } from '../src/envelope/seal.js';
import type { SealResult } from '../src/envelope/seal-options.js';
import { isIdentityName } from '../src/identity/name.js';
import { publicIdentity } from '../src/identity/identity.js';
import { MAX_LIMITS } from '../src/limits.js';
import { openStream } from '../src/stream/open-stream.js';
import { sealStream } from '../src/stream/seal-stream.js';
import { AEAD_NAMES } from '../src/wire/suites.js';
import { concat } from '../src/bytes.js';
import { NOW, cast, fastestBackend, type Cast } from './helpers/fixtures.js';
import { body } from './helpers/streams.js';
import {
  made,
  placements,
  place,
  throwingObject,
  type Placement,
} from '@blindwire/testkit/wrong-shapes';

const backend = fastestBackend();
const T = Math.floor(NOW / 1000);
const PAYLOAD = 'SECRET-PAYLOAD-do-not-leak';
const CONTEXT = 'tool:refund';

/** SPEC.md §9.1: the codes each operation may reject with, read from the spec itself. */
function codesBySpec(): Map<string, Set<string>> {
  const spec = readFileSync(new URL('../../../SPEC.md', import.meta.url), 'utf8');
  const section = spec.slice(spec.indexOf('### 9.1 '), spec.indexOf('## 10.'));
  const out = new Map<string, Set<string>>();
  for (const line of section.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    if (cells.length < 4 || !cells[1]!.startsWith('`')) continue;
    const codes = new Set(cells[2]!.match(/ERR_[A-Z_]+/g) ?? []);
    for (const op of cells[1]!.match(/`([a-zA-Z]+)`/g) ?? []) out.set(op.slice(1, -1), codes);
  }
  return out;
}
const CODES = codesBySpec();

// ---- what the documented shapes are, for the options where a random value may be one ----

const safe = (f: () => boolean) => () => {
  try {
    return f();
  } catch {
    return false;
  }
};
const isRealBytes = (v: unknown): v is Uint8Array =>
  ArrayBuffer.isView(v) && v instanceof Uint8Array;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const isWellFormedString = (v: unknown): v is string =>
  typeof v === 'string' && !LONE_SURROGATE.test(v);
const intIn = (v: unknown, lo: number, hi: number) =>
  Number.isSafeInteger(v) && (v as number) >= lo && (v as number) <= hi;
const isMs = (v: unknown) => {
  const t = v instanceof Date ? v.getTime() : v;
  return typeof t === 'number' && t >= 1e12 && t <= (2 ** 32 - 1) * 1000;
};
const isKid = (v: unknown) =>
  safe(() => typeof v === 'string' && v.length > 0 && intIn(fromBase64url(v).length, 1, 64))();
/** Options that are all optional: any object but built-in data taken for one (common-options.ts). */
const isOptionsObject = (o: unknown) =>
  typeof o === 'object' &&
  o !== null &&
  !Array.isArray(o) &&
  !ArrayBuffer.isView(o) &&
  ![ArrayBuffer, Date, RegExp, Map, Set, WeakMap, WeakSet, Promise, Error].some(
    (k) => o instanceof k,
  );
const isLimits = (v: unknown) =>
  safe(
    () =>
      isOptionsObject(v) &&
      Object.entries(v as object).every(
        ([k, x]) =>
          x === undefined ||
          (Object.hasOwn(MAX_LIMITS, k) && intIn(x, 1, MAX_LIMITS[k as keyof typeof MAX_LIMITS])),
      ),
  )();
const isClaims = (v: unknown) =>
  safe(
    () =>
      isOptionsObject(v) &&
      Object.entries(v as object).every(
        ([k, x]) =>
          k.length > 0 &&
          (isWellFormedString(x) ? utf8(x).length <= 1024 : Number.isSafeInteger(x)),
      ),
  )();
const isText = (max: number) => (v: unknown) =>
  isWellFormedString(v) && v.length > 0 && utf8(v).length <= max;
const isContext = (v: unknown) =>
  (isWellFormedString(v) && utf8(v).length <= 4096) || (isRealBytes(v) && v.length <= 4096);

type Accepts = Record<string, (v: unknown) => boolean>;

const SEAL_ACCEPTS: Accepts = {
  payload: (v) => isWellFormedString(v) || isRealBytes(v),
  'sender.name': (v) => isIdentityName(v),
  'sender.signing.kid': isKid,
  'sender.signing.privateKey': (v) => isRealBytes(v) && v.length === 32,
  'recipients.0.kid': isKid,
  'recipients.0.publicKey': (v) => isRealBytes(v) && v.length === 32,
  'recipients.0.notBefore': (v) => Number.isSafeInteger(v),
  'recipients.0.notAfter': (v) => Number.isSafeInteger(v),
  'recipients.0.aead': (v) => (AEAD_NAMES as unknown[]).includes(v),
  context: isContext,
  contentType: isText(1024),
  ttl: (v) => intIn(v, 1, 86_400),
  expiresAt: (v) => intIn(v, T, T + 86_400),
  now: isMs,
  clockSkew: (v) => intIn(v, 0, 86_400),
  messageId: (v) => isRealBytes(v) && v.length === 16,
  padding: (v) => v === 'none' || v === 'padme',
  'padding.blockSize': (v) => intIn(v, 1, 1 << 20),
  aead: (v) => (AEAD_NAMES as unknown[]).includes(v),
  claims: isClaims,
  'claims.tenant': (v) =>
    (isWellFormedString(v) && utf8(v).length <= 1024) || Number.isSafeInteger(v),
  limits: isLimits,
  'limits.maxRecipients': (v) => intIn(v, 1, 1024),
  'limits.maxTtlSeconds': (v) => intIn(v, 1, 2 ** 32 - 1),
  chunkSize: (v) => intIn(v, 1024, 1 << 20),
  'limits.maxChunkBytes': (v) => intIn(v, 1, 1 << 20),
};

/** An entry of `allowedSenders`: a pattern, or a RegExp without the stateful g and y. */
const isSenderPattern = (p: unknown): boolean =>
  (p instanceof RegExp && !p.global && !p.sticky) || (typeof p === 'string' && p !== '');

const OPEN_ACCEPTS: Accepts = {
  context: (v) => v === CONTEXT,
  'recipient.publicKey': (v) => isRealBytes(v) && v.length === 32,
  now: isMs,
  clockSkew: (v) => intIn(v, 0, 86_400),
  maxAge: (v) => Number.isSafeInteger(v) && (v as number) >= 0,
  revokedKids: (v) =>
    safe(
      () =>
        typeof v === 'object' &&
        v !== null &&
        !ArrayBuffer.isView(v) &&
        Symbol.iterator in v &&
        [...(v as Iterable<unknown>)].every(isKid),
    )(),
  allowedSenders: (v) => Array.isArray(v) && Array.from(v as unknown[]).every(isSenderPattern),
  allowedSuites: (v) =>
    Array.isArray(v) && v.length > 0 && v.every((a) => (AEAD_NAMES as unknown[]).includes(a)),
  limits: isLimits,
  'limits.maxHeaderFields': (v) => intIn(v, 1, 256),
  'limits.maxStreamBytes': (v) => intIn(v, 1, Number.MAX_SAFE_INTEGER),
  'replay.record': (v) => typeof v === 'function',
  'revokedKids.0': isKid,
  'allowedSenders.0': isSenderPattern,
  'allowedSuites.0': (v) => (AEAD_NAMES as unknown[]).includes(v),
};

// ---- the operations, each run on a placement, with what it may legitimately return ----

interface Outcome {
  error?: unknown;
  /** Plaintext the operation handed out (open side), to compare with the genuine one. */
  released?: Uint8Array;
  sender?: string;
  /** Bytes the operation produced (seal side), which must not hold the plaintext. */
  produced?: Uint8Array;
}

let c: Cast;
let sealBase: Record<string, unknown>;
let openBase: Record<string, unknown>;
let resolverBase: Record<string, unknown>;
let envelope: Uint8Array;
let streamed: Uint8Array;
let request: SealResult;
let opened: OpenResult;
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  c = await cast(backend);
  const { kid, privateKey } = c.alice.signing;
  sealBase = {
    sender: { name: c.alice.name, signing: { kid, privateKey } },
    recipients: [
      {
        ...publicIdentity(c.bob).encryption,
        notBefore: T - 60,
        notAfter: T + 86_400,
        aead: 'AES-256-GCM',
      },
    ],
    context: CONTEXT,
    contentType: 'text/plain',
    ttl: 600,
    now: NOW,
    clockSkew: 60,
    padding: { blockSize: 64 },
    claims: { tenant: 'acme' },
    limits: { maxRecipients: 8, maxTtlSeconds: 86_400 },
    backend,
  };
  envelope = (await seal(PAYLOAD, sealBase as never)).envelope;
  openBase = {
    recipient: { ...c.bob.encryption },
    revokedKids: [c.carol.encryption.kid],
    context: CONTEXT,
    trustedSenders: [{ name: c.alice.name, signing: publicIdentity(c.alice).signing }],
    allowedSenders: ['spiffe://acme.example/**'],
    allowedSuites: ['AES-256-GCM'],
    now: NOW,
    clockSkew: 60,
    maxAge: 3600,
    replay: { has: () => false, record: () => undefined },
    limits: { maxHeaderFields: 32 },
    backend,
  };
  const { trustedSenders: _pinned, ...rest } = openBase;
  resolverBase = { ...rest, resolveSender: () => c.alice.signing.publicKey };
  const s = sealStream({ ...(sealBase as object), chunkSize: 1024 } as never);
  streamed = await drain(s, [utf8(PAYLOAD), body(3000)]);
  request = await seal('question', { sender: c.alice, recipients: c.bob, now: NOW, backend });
  opened = await open(request.envelope, {
    recipient: c.bob,
    trustedSenders: [publicIdentity(c.alice)],
    now: NOW,
    backend,
  });
});

afterAll(() => {
  process.off('unhandledRejection', onUnhandled);
});

/** Writes `writes` to a stream pair and returns what its readable gave; rejects with its error. */
async function drain(
  s: { writable: WritableStream<Uint8Array>; readable: ReadableStream<Uint8Array> },
  writes: Uint8Array[],
): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  const reading = (async () => {
    for await (const p of s.readable as unknown as AsyncIterable<Uint8Array>) parts.push(p);
  })();
  const writing = (async () => {
    const w = s.writable.getWriter();
    for (const x of writes) await w.write(x);
    await w.close();
  })();
  writing.catch(() => {}); // the readable reports the same error
  await reading.catch((e: unknown) => {
    throw Object.assign(e as object, { released: concat(...parts) });
  });
  await writing;
  return concat(...parts);
}

async function outcome(run: () => Promise<Omit<Outcome, 'error'>>): Promise<Outcome> {
  try {
    return await run();
  } catch (error) {
    return { error, released: (error as { released?: Uint8Array }).released };
  }
}

const GENUINE = concat(utf8(PAYLOAD), body(3000));

/** The placement's option (or positional argument) of an operation's base options. */
function split(
  base: Record<string, unknown>,
  p: Placement,
  args: readonly string[],
): Record<string, unknown> {
  const arg = args.find((a) => p.path === a);
  if (arg === undefined) return { options: place(base, p) };
  return { options: base, [arg]: p.throwingGetter ? throwingObject() : p.value };
}

const OPERATIONS: Record<
  string,
  {
    paths: () => string[];
    accepts: Accepts;
    run: (p: Placement) => Promise<Outcome>;
  }
> = {
  seal: {
    paths: () => ['', 'payload', ...pathsOf(sealBase), 'expiresAt', 'messageId', 'aead'],
    accepts: SEAL_ACCEPTS,
    run: (p) => {
      const { options, payload = PAYLOAD } = split(sealBase, p, ['payload']);
      return outcome(async () => ({
        produced: (await seal(payload as string, options as never)).envelope,
      }));
    },
  },
  open: {
    paths: () => ['', 'envelope', ...pathsOf(openBase), 'replay.has'],
    accepts: { ...OPEN_ACCEPTS, 'replay.has': repliesBoolean },
    run: (p) => {
      const { options, envelope: env = envelope } = split(openBase, p, ['envelope']);
      return outcome(async () => {
        const r = await open(env as Uint8Array, options as never);
        return { released: r.payload, sender: r.sender };
      });
    },
  },
  'open (resolver)': {
    paths: () => ['resolveSender'],
    accepts: {},
    run: (p) =>
      outcome(async () => {
        const r = await open(envelope, place(resolverBase, p) as never);
        return { released: r.payload, sender: r.sender };
      }),
  },
  sealResponse: {
    paths: () => [
      '',
      'request',
      'payload',
      'contentType',
      'ttl',
      'now',
      'padding',
      'limits',
      'backend',
    ],
    accepts: { ...SEAL_ACCEPTS, '': (v) => safe(() => isOptionsObject(v))() },
    run: (p) => {
      const base = { contentType: 'text/plain', ttl: 60, now: NOW, padding: 'padme', backend };
      const {
        options,
        request: r = opened,
        payload = PAYLOAD,
      } = split(base, p, ['request', 'payload']);
      return outcome(async () => ({
        produced: (await sealResponse(r as OpenResult, payload as string, options as never))
          .envelope,
      }));
    },
  },
  openResponse: {
    paths: () => ['', 'request', 'envelope', 'now', 'clockSkew', 'limits', 'backend'],
    accepts: { ...OPEN_ACCEPTS, '': (v) => safe(() => isOptionsObject(v))() },
    run: async (p) => {
      const response = await sealResponse(opened, PAYLOAD, { now: NOW, backend });
      const base = { now: NOW, clockSkew: 60, backend };
      const {
        options,
        request: r = request,
        envelope: env = response.envelope,
      } = split(base, p, ['request', 'envelope']);
      return outcome(async () => {
        const o = await openResponse(r as SealResult, env as Uint8Array, options as never);
        return { released: o.payload, sender: c.alice.name };
      });
    },
  },
  sealStream: {
    paths: () => [
      '',
      ...pathsOf(sealBase).filter((x) => !x.startsWith('padding')),
      'chunkSize',
      'limits.maxChunkBytes',
      'aead',
    ],
    accepts: SEAL_ACCEPTS,
    run: (p) => {
      const base = { ...sealBase, padding: undefined };
      return outcome(async () => ({
        produced: await drain(sealStream(place(base, p) as never), [utf8(PAYLOAD)]),
      }));
    },
  },
  openStream: {
    paths: () => [...pathsOf(openBase), 'replay.has', 'limits.maxStreamBytes'],
    accepts: { ...OPEN_ACCEPTS, 'replay.has': repliesBoolean },
    run: async (p) => {
      const released = await outcome(async () => ({
        released: await drain(openStream(place(openBase, p) as never), [streamed]),
        sender: c.alice.name,
      }));
      return released;
    },
  },
};

/** A `has` that answers a boolean for this message (a replay guard of the documented shape). */
function repliesBoolean(v: unknown): boolean {
  return safe(
    () => typeof v === 'function' && typeof v(toHex(new Uint8Array(16)), '') === 'boolean',
  )();
}

/** Every path of `base` down to its leaves (not into bytes, functions or the backend). */
function pathsOf(base: Record<string, unknown>, prefix = ''): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(base)) {
    const path = `${prefix}${k}`;
    out.push(path);
    if (k === 'backend' || typeof v !== 'object' || v === null || v instanceof Uint8Array) continue;
    out.push(...pathsOf(v as Record<string, unknown>, `${path}.`));
  }
  return out;
}

function check(name: string, codes: Set<string>, accepts: Accepts, p: Placement, o: Outcome) {
  const where = `${name} ${p.path}${p.throwingGetter ? ' (throwing getter)' : ''}`;
  if (o.error !== undefined) {
    const e = o.error;
    expect(e, `${where}: ${String(e)}`).toBeInstanceOf(BlindwireError);
    const code = (e as BlindwireError).code;
    expect(codes.has(code), `${where}: ${code} is not listed for ${name} in SPEC.md §9.1`).toBe(
      true,
    );
    const text = `${(e as Error).message} ${String((e as Error).cause ?? '')}`;
    expect(text, where).not.toContain(PAYLOAD);
    // What a failed open released, if anything, is a prefix of the genuine body.
    if (o.released && o.released.length > 0) {
      expect(GENUINE.subarray(0, o.released.length), where).toEqual(o.released);
    }
    return;
  }
  const accepted = !p.throwingGetter && (accepts[p.path] ?? (() => false))(p.value);
  expect(accepted, `${where}: succeeded with a value of the wrong shape`).toBe(true);
  if (o.produced) expect(Buffer.from(o.produced).includes(PAYLOAD), where).toBe(false);
  if (o.released) {
    const genuine = name.endsWith('Stream') ? GENUINE : utf8(PAYLOAD);
    expect(o.released, where).toEqual(genuine);
    expect(o.sender, where).toBe(c.alice.name);
  }
}

describe('every option, of any shape, fails closed', () => {
  const runs: Record<string, number> = { seal: 400, open: 400, 'open (resolver)': 100 };

  it('SPEC.md §9.1 lists the codes of every operation tested here', () => {
    for (const op of ['seal', 'open', 'sealResponse', 'openResponse', 'sealStream', 'openStream']) {
      expect(CODES.get(op)?.size, op).toBeGreaterThan(0);
    }
  });

  for (const [name, op] of Object.entries(OPERATIONS)) {
    it(`${name}`, async () => {
      const codes = CODES.get(name.split(' ')[0]!)!;
      await fc.assert(
        fc.asyncProperty(placements(op.paths()), async (spec) => {
          const p = made(spec);
          check(name, codes, op.accepts, p, await op.run(p));
        }),
        { numRuns: runs[name] ?? 300 },
      );
      await new Promise((r) => setTimeout(r, 20)); // let any stray rejection surface
      expect(unhandled, 'unhandled rejections').toEqual([]);
    }, 120_000);
  }
});
