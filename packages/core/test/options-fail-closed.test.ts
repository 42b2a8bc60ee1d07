/**
 * Options that used to fail open when a JavaScript caller passed a value of
 * the wrong shape: each is now refused (ERR_INVALID_ARGUMENT before any
 * work) or fails closed (ERR_TRANSPORT for a callback's wrong answer), never
 * a pass (SPEC.md §7 steps 6, 14 and 18, §4.5 step 1, §8, SECURITY.md).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { errorCode, expectCode, outcomeOf, rejection } from '@blindwire/testkit';
import { open } from '../src/envelope/open.js';
import type { OpenOptions } from '../src/envelope/open-options.js';
import { type ReplayGuard } from '../src/envelope/replay.js';
import { createMemoryReplayStore } from '../src/envelope/memory-replay-store.js';
import { openResponse, sealResponse } from '../src/envelope/response.js';
import { seal } from '../src/envelope/seal.js';
import type { Recipient, SealOptions } from '../src/envelope/seal-options.js';
import { limitsOf } from '../src/envelope/common-options.js';
import { inspect } from '../src/envelope/inspect.js';
import { publicIdentity } from '../src/identity/identity.js';
import { streamLimitsOf } from '../src/stream/limits.js';
import { openStream } from '../src/stream/open-stream.js';
import { sealStream } from '../src/stream/seal-stream.js';
import type { OpenStreamOptions } from '../src/stream/open-stream-options.js';
import { NOW, cast, fastestBackend, trusted, type Cast } from './helpers/fixtures.js';
import { body, openAll, sealAll } from './helpers/streams.js';

const backend = fastestBackend();
let c: Cast;
let envelope: Uint8Array;
let streamed: Uint8Array;
let openOpts: OpenOptions;
const PAYLOAD = 'SECRET-PAYLOAD-do-not-leak';

beforeAll(async () => {
  c = await cast(backend);
  const sealOpts: SealOptions = { sender: c.alice, recipients: c.bob, now: NOW, backend };
  envelope = (await seal(PAYLOAD, sealOpts)).envelope;
  streamed = (await sealAll(sealOpts, [body(3000)])).sealed;
  openOpts = { recipient: c.bob, trustedSenders: trusted(c.alice), now: NOW, backend };
});

const bad = <T>(o: unknown) => o as T;
/** The guard a caller wrote: it has recorded every id, and answers `answer` for it. */
const guardAnswering = (answer: unknown): ReplayGuard => ({
  has: () => answer as boolean,
  record: () => undefined,
});
const openStreamed = (o: Partial<OpenStreamOptions>) =>
  openAll({ ...openOpts, ...o } as OpenStreamOptions, [streamed]);

describe('the replay guard: only true or false is an answer', () => {
  const answers: [string, unknown][] = [
    ['1', 1],
    ['"1"', '1'],
    ['{}', {}],
    ['Promise.resolve(1)', Promise.resolve(1)],
    ['"true"', 'true'],
    ['null', null],
    ['undefined', undefined],
    ['a function', () => true],
  ];

  it.each(answers)(
    'has() answering %s for a recorded id is ERR_TRANSPORT, never an open',
    async (_, a) => {
      const e = await expectCode(
        () => open(envelope, { ...openOpts, replay: guardAnswering(a) }),
        'ERR_TRANSPORT',
      );
      // The cause names the answer's type, never its value.
      expect(e.cause).toBeInstanceOf(TypeError);
      const why = (e.cause as Error).message;
      expect(why).toMatch(/^the replay guard answered (null|an? [a-z ]+); expected true or false$/);
      expect(e.message).not.toContain(PAYLOAD);
    },
  );

  it.each(answers)('the same for a stream: has() answering %s', async (_, a) => {
    const { released, error, result } = await openStreamed({ replay: guardAnswering(a) });
    expect(released.length).toBe(0);
    expect(error).toMatchObject({ code: 'ERR_TRANSPORT' });
    expect(result).toBe(error);
  });

  it('true is ERR_REPLAY, false opens, a rejection is ERR_TRANSPORT with its cause', async () => {
    expect(
      await errorCode(() => open(envelope, { ...openOpts, replay: guardAnswering(true) })),
    ).toBe('ERR_REPLAY');
    const r = await open(envelope, { ...openOpts, replay: guardAnswering(false) });
    expect(new TextDecoder().decode(r.payload)).toBe(PAYLOAD);
    const down = new Error('store down');
    const e = await rejection(() =>
      open(envelope, {
        ...openOpts,
        replay: { has: () => Promise.reject(down), record: () => {} },
      }),
    );
    expect(e).toMatchObject({ code: 'ERR_TRANSPORT', cause: down });
  });

  it('a guard without has() and record() functions is ERR_INVALID_ARGUMENT', async () => {
    for (const replay of [{}, { has: true, record: () => {} }, { has: () => false }, 5, 'guard']) {
      expect(await errorCode(() => open(envelope, bad({ ...openOpts, replay })))).toBe(
        'ERR_INVALID_ARGUMENT',
      );
      expect(await errorCode(() => openStream(bad({ ...openOpts, replay })))).toBe(
        'ERR_INVALID_ARGUMENT',
      );
    }
  });

  it('the memory store refuses a truthy non-boolean perSender and other wrong shapes', () => {
    for (const o of [{ perSender: 1 }, { perSender: 'yes' }, { maxEntries: 0 }, { now: 5 }]) {
      expect(() => createMemoryReplayStore(bad(o))).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
      );
    }
  });
});

describe('allowedSuites: a non-empty array of known suite names', () => {
  const wrong: [string, unknown][] = [
    ["a string that contains a name ('not AES-256-GCM')", 'not AES-256-GCM'],
    ['the name as a string', 'AES-256-GCM'],
    ['an unknown name', ['AES-512-GCM']],
    ['a name in the wrong case', ['aes-256-gcm']],
    ['an empty array', []],
    ['an object', { 0: 'AES-256-GCM', length: 1 }],
    ['a number', 2],
  ];

  it.each(wrong)('%s is ERR_INVALID_ARGUMENT for open and openStream', async (_, allowedSuites) => {
    expect(await errorCode(() => open(envelope, bad({ ...openOpts, allowedSuites })))).toBe(
      'ERR_INVALID_ARGUMENT',
    );
    expect(await errorCode(() => openStream(bad({ ...openOpts, allowedSuites })))).toBe(
      'ERR_INVALID_ARGUMENT',
    );
  });

  it('a known list allows its suites and refuses the others (ERR_UNSUPPORTED_SUITE)', async () => {
    const r = await open(envelope, { ...openOpts, allowedSuites: ['AES-256-GCM'] });
    expect(r.sender).toBe(c.alice.name);
    expect(
      await errorCode(() => open(envelope, { ...openOpts, allowedSuites: ['AES-128-GCM'] })),
    ).toBe('ERR_UNSUPPORTED_SUITE');
  });
});

describe('trusted senders: each kid is the thumbprint of its key (SPEC.md §5.2)', () => {
  it('an entry whose kid names another key is ERR_INVALID_ARGUMENT naming the entry', async () => {
    const forged = { name: c.alice.name, signing: { ...publicIdentity(c.alice).signing } };
    forged.signing.kid = c.mallory.signing.kid;
    const trustedSenders = [publicIdentity(c.carol), forged];
    for (const run of [
      () => open(envelope, { ...openOpts, trustedSenders }),
      () => openStream({ ...openOpts, trustedSenders }),
    ]) {
      await expectCode(run, 'ERR_INVALID_ARGUMENT', /^"trustedSenders\[1\]\.signing\.kid"/);
    }
  });

  it("a pinned alice kid over mallory's key is refused before any message is read", async () => {
    const swapped = {
      name: c.alice.name,
      signing: { kid: c.alice.signing.kid, publicKey: c.mallory.signing.publicKey },
    };
    await expectCode(
      () => open(envelope, { ...openOpts, trustedSenders: [swapped] }),
      'ERR_INVALID_ARGUMENT',
      /trustedSenders\[0\]/,
    );
  });

  it('a key of the wrong length or type is ERR_INVALID_ARGUMENT', async () => {
    for (const publicKey of [new Uint8Array(31), 'key', [1, 2], null]) {
      const t = { name: c.alice.name, signing: { kid: c.alice.signing.kid, publicKey } };
      expect(await errorCode(() => open(envelope, bad({ ...openOpts, trustedSenders: [t] })))).toBe(
        'ERR_INVALID_ARGUMENT',
      );
    }
  });
});

describe("a resolver's answer: a key that hashes to the sender kid, or nothing", () => {
  const withResolver = (resolveSender: unknown) =>
    open(envelope, bad({ recipient: c.bob, resolveSender, now: NOW, backend }));

  it("a key that is not the sender kid's is ERR_KEY_UNTRUSTED", async () => {
    const mallorysKey = c.mallory.signing.publicKey;
    expect(await errorCode(() => withResolver(() => mallorysKey))).toBe('ERR_KEY_UNTRUSTED');
    expect(
      await errorCode(() =>
        withResolver((_: string, kid: string) => ({ kid, publicKey: mallorysKey })),
      ),
    ).toBe('ERR_KEY_UNTRUSTED');
  });

  it.each([
    ['1', 1],
    ['a string', 'key'],
    ['true', true],
    ['an array', [1, 2]],
    ['an object without a key', {}],
    ['31 bytes', new Uint8Array(31)],
  ])('answering %s is ERR_TRANSPORT, never a pass', async (_, answer) => {
    const e = await expectCode(() => withResolver(async () => answer), 'ERR_TRANSPORT');
    expect((e.cause as Error).message).toMatch(/^the sender resolver answered /);
  });

  it("the sender's own key opens; a key for another kid is not trusted", async () => {
    const r = await withResolver(() => c.alice.signing.publicKey);
    expect(r.sender).toBe(c.alice.name);
    expect(
      await errorCode(() =>
        withResolver(() => ({ kid: c.carol.signing.kid, publicKey: c.carol.signing.publicKey })),
      ),
    ).toBe('ERR_KEY_UNTRUSTED');
  });

  it('a resolver that is not a function is ERR_INVALID_ARGUMENT', async () => {
    for (const r of ['resolver', 1, {}, true]) {
      expect(await errorCode(() => withResolver(r))).toBe('ERR_INVALID_ARGUMENT');
    }
  });
});

describe('now: milliseconds since the epoch', () => {
  const seconds = Math.floor(NOW / 1000);

  it('a time in seconds is refused by every verb, and said to look like seconds', async () => {
    const opened = await open(envelope, openOpts);
    const sealed = await seal('q', { sender: c.alice, recipients: c.bob, now: NOW, backend });
    const runs: (() => unknown)[] = [
      () => seal('x', { sender: c.alice, recipients: c.bob, now: seconds }),
      () => sealStream({ sender: c.alice, recipients: c.bob, now: seconds }),
      () => open(envelope, { ...openOpts, now: seconds }),
      () => openStream({ ...openOpts, now: seconds }),
      () => sealResponse(opened, 'r', { now: seconds }),
      () => openResponse(sealed, envelope, { now: seconds }),
    ];
    for (const run of runs) {
      const e = await expectCode(
        run,
        'ERR_INVALID_ARGUMENT',
        /^"now" expected milliseconds since the epoch/,
      );
      expect(e.message).toContain(`got ${seconds} (number)`);
      expect(e.message).toContain('looks like seconds');
    }
  });

  it.each([
    ['0', 0],
    ['-1', -1],
    ['NaN', NaN],
    ['Infinity', Infinity],
    ['a time past 2106', 2 ** 32 * 1000],
    ['a numeric string', String(NOW)],
    ['an invalid Date', new Date(NaN)],
    ['a Date in 1970', new Date(5000)],
  ])('%s is ERR_INVALID_ARGUMENT', async (_, now) => {
    const e = await expectCode(
      () => seal('x', bad({ sender: c.alice, recipients: c.bob, now })),
      'ERR_INVALID_ARGUMENT',
    );
    expect(e.message).toContain('milliseconds since the epoch');
    expect(e.message).not.toContain('looks like seconds');
  });

  it('milliseconds (a number, fractional or not, or a Date) are taken', async () => {
    for (const now of [NOW, NOW + 0.5, new Date(NOW), 1e12, (2 ** 32 - 1) * 1000 - 7200_000]) {
      const s = await seal('x', { sender: c.alice, recipients: c.bob, now, ttl: 60, backend });
      expect(s.issuedAt).toBe(Math.floor(+now / 1000));
    }
  });
});

describe('ttl: whole seconds from 1 to maxTtlSeconds (default 7 days)', () => {
  const sealWith = (o: Record<string, unknown>) =>
    seal('x', bad({ sender: c.alice, recipients: c.bob, now: NOW, backend, ...o }));

  it('"60" (a string) is refused and shown with its type', async () => {
    await expectCode(
      () => sealWith({ ttl: '60' }),
      'ERR_INVALID_ARGUMENT',
      /^"ttl" expected whole seconds from 1 to maxTtlSeconds \(604800\), got "60" \(string\)$/,
    );
  });

  it('0, 1.5, -1 and more than 7 days are refused; 7 days is taken', async () => {
    for (const ttl of [0, 1.5, -1, 604_801, 2 ** 32]) {
      expect(await errorCode(() => sealWith({ ttl })), String(ttl)).toBe('ERR_INVALID_ARGUMENT');
    }
    const s = await sealWith({ ttl: 604_800 });
    expect(s.expiresAt - s.issuedAt).toBe(604_800);
  });

  it('maxTtlSeconds may be lowered or raised up to 2^32 - 1, and bounds expiresAt too', async () => {
    expect(await errorCode(() => sealWith({ ttl: 61, limits: { maxTtlSeconds: 60 } }))).toBe(
      'ERR_INVALID_ARGUMENT',
    );
    const t = Math.floor(NOW / 1000);
    expect(
      await errorCode(() => sealWith({ expiresAt: t + 61, limits: { maxTtlSeconds: 60 } })),
    ).toBe('ERR_INVALID_ARGUMENT');
    expect(await errorCode(() => sealWith({ expiresAt: t + 604_801 }))).toBe(
      'ERR_INVALID_ARGUMENT',
    );
    const long = await sealWith({ ttl: 30 * 86_400, limits: { maxTtlSeconds: 30 * 86_400 } });
    expect(long.expiresAt - long.issuedAt).toBe(30 * 86_400);
    expect(await errorCode(() => sealWith({ limits: { maxTtlSeconds: 2 ** 32 } }))).toBe(
      'ERR_INVALID_ARGUMENT',
    );
    // the default lifetime never exceeds a lowered limit
    const short = await sealWith({ limits: { maxTtlSeconds: 60 } });
    expect(short.expiresAt - short.issuedAt).toBe(60);
  });

  it('responses and streams take the same ttl rule', async () => {
    const opened = await open(envelope, openOpts);
    expect(await errorCode(() => sealResponse(opened, 'r', bad({ ttl: '60', now: NOW })))).toBe(
      'ERR_INVALID_ARGUMENT',
    );
    expect(await errorCode(() => sealResponse(opened, 'r', { ttl: 604_801, now: NOW }))).toBe(
      'ERR_INVALID_ARGUMENT',
    );
    expect(
      await errorCode(() => sealStream({ sender: c.alice, recipients: c.bob, now: NOW, ttl: 0 })),
    ).toBe('ERR_INVALID_ARGUMENT');
  });
});

describe("seal honours the AEAD its recipients' key records name", () => {
  const chacha = (): Recipient => ({ ...c.bob.encryption, aead: 'ChaCha20-Poly1305' });

  it('with no aead option, the one the recipients name is used', async () => {
    const s = await seal('x', { sender: c.alice, recipients: chacha(), now: NOW, backend });
    expect(inspect(s.envelope).suite.name).toBe('ChaCha20-Poly1305');
    const both = await seal('x', {
      sender: c.alice,
      recipients: [chacha(), { encryption: { ...c.carol.encryption, aead: 'ChaCha20-Poly1305' } }],
      now: NOW,
      backend,
    });
    expect(inspect(both.envelope).suite.name).toBe('ChaCha20-Poly1305');
    const r = await open(s.envelope, openOpts);
    expect(r.sender).toBe(c.alice.name);
  });

  it('an explicit aead a recipient does not accept is ERR_UNSUPPORTED_SUITE naming it', async () => {
    const e = await expectCode(
      () => seal('x', { sender: c.alice, recipients: chacha(), aead: 'AES-256-GCM', now: NOW }),
      'ERR_UNSUPPORTED_SUITE',
    );
    expect(e.message).toContain(c.bob.encryption.kid);
    expect(e.message).toContain('ChaCha20-Poly1305');
  });

  it('recipients naming different AEADs are ERR_UNSUPPORTED_SUITE', async () => {
    const mixed = [chacha(), { ...c.carol.encryption, aead: 'AES-128-GCM' as const }];
    const e = await expectCode(
      () => seal('x', { sender: c.alice, recipients: mixed, now: NOW }),
      'ERR_UNSUPPORTED_SUITE',
    );
    expect(e.message).toContain(c.carol.encryption.kid);
    expect(e.message).toContain('AES-128-GCM');
    expect(
      await outcomeOf(
        Promise.resolve().then(() => sealStream({ sender: c.alice, recipients: mixed })),
      ),
    ).toBe('ERR_UNSUPPORTED_SUITE');
  });

  it('recipients that name no AEAD take the default or the one given', async () => {
    const plain = await seal('x', { sender: c.alice, recipients: c.bob, now: NOW, backend });
    expect(inspect(plain.envelope).suite.name).toBe('AES-256-GCM');
    const mixed = [chacha(), publicIdentity(c.carol)];
    const s = await seal('x', { sender: c.alice, recipients: mixed, now: NOW, backend });
    expect(inspect(s.envelope).suite.name).toBe('ChaCha20-Poly1305');
  });

  it('a stream is sealed with the AEAD its recipient names', async () => {
    const { sealed } = await sealAll({ sender: c.alice, recipients: chacha(), now: NOW, backend }, [
      body(10),
    ]);
    expect(inspect(sealed).suite.name).toBe('ChaCha20-Poly1305');
    expect(
      await errorCode(() =>
        sealStream({ sender: c.alice, recipients: chacha(), aead: 'AES-128-GCM', now: NOW }),
      ),
    ).toBe('ERR_UNSUPPORTED_SUITE');
  });

  it('a recipient aead that is not text is ERR_INVALID_ARGUMENT; an unknown name ERR_UNSUPPORTED_SUITE', async () => {
    const r = (aead: unknown) => bad<Recipient>({ ...c.bob.encryption, aead });
    expect(await errorCode(() => seal('x', { sender: c.alice, recipients: r(3), now: NOW }))).toBe(
      'ERR_INVALID_ARGUMENT',
    );
    expect(
      await errorCode(() => seal('x', { sender: c.alice, recipients: r('AES-512'), now: NOW })),
    ).toBe('ERR_UNSUPPORTED_SUITE');
    expect(
      await errorCode(() =>
        seal('x', bad({ sender: c.alice, recipients: c.bob, aead: 'toString' })),
      ),
    ).toBe('ERR_UNSUPPORTED_SUITE');
  });
});

describe('each option is read once: the value checked is the value used', () => {
  /** `o` behind a Proxy that counts the reads of each of its own keys. */
  function counted<T extends object>(o: T): { proxy: T; reads: Map<string, number> } {
    const reads = new Map<string, number>();
    const proxy = new Proxy(o, {
      get(t, k, r) {
        if (typeof k === 'string' && k in t) reads.set(k, (reads.get(k) ?? 0) + 1);
        return Reflect.get(t, k, r) as unknown;
      },
    });
    return { proxy, reads };
  }

  it('seal, open, sealStream and openStream read every option of theirs at most once', async () => {
    const sealOptions = counted<SealOptions>({
      sender: c.alice,
      recipients: [publicIdentity(c.bob)],
      context: 'ctx',
      clockSkew: 30,
      ttl: 60,
      now: NOW,
      claims: { tenant: 'acme' },
      backend,
    });
    const s = await seal(PAYLOAD, sealOptions.proxy);
    const openOptions = counted<OpenOptions>({
      recipient: c.bob,
      context: 'ctx',
      trustedSenders: trusted(c.alice),
      allowedSuites: ['AES-256-GCM'],
      replay: guardAnswering(false),
      now: NOW,
      backend,
    });
    await open(s.envelope, openOptions.proxy);
    const streamSeal = counted<SealOptions>({ sender: c.alice, recipients: c.bob, now: NOW });
    const sealed = await sealAll(streamSeal.proxy, [body(100)]);
    const streamOpen = counted<OpenStreamOptions>({
      recipient: c.bob,
      trustedSenders: trusted(c.alice),
      now: NOW,
    });
    const opened = await openAll(streamOpen.proxy, [sealed.sealed]);
    expect(opened.error).toBeUndefined();
    for (const { reads } of [sealOptions, openOptions, streamSeal, streamOpen]) {
      for (const [k, n] of reads) expect(n, k).toBe(1);
    }
  });

  it('a getter that answers a valid value first and a wrong one later cannot undo a check', async () => {
    let reads = 0;
    const options = {
      recipient: c.bob,
      now: NOW,
      backend,
      get trustedSenders() {
        // checked once; read again, it would pin alice's name to mallory's key
        return reads++ === 0
          ? trusted(c.alice)
          : [{ name: c.alice.name, signing: { ...c.mallory.signing, kid: c.alice.signing.kid } }];
      },
    } as OpenOptions;
    const r = await open(envelope, options);
    expect(r.sender).toBe(c.alice.name);
    expect(reads).toBe(1);
  });
});

describe('inspect checks its options too', () => {
  it('options that are not an object of limits are ERR_INVALID_ARGUMENT', () => {
    for (const options of [
      5,
      'limits',
      [],
      new Date(),
      { limits: 'small' },
      { limits: { maxHeaderBytes: '64' } },
    ]) {
      expect(() => inspect(envelope, bad(options))).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
      );
    }
    expect(inspect(envelope, { limits: { maxHeaderBytes: 4096 } }).suite.name).toBe('AES-256-GCM');
  });
});

describe('limits are read by name (SPEC.md §8)', () => {
  const inherited = <T extends object>(proto: T): T => Object.create(proto) as T;

  it('a limit given through a prototype applies, not only an own one', () => {
    const limits = inherited({ maxHeaderBytes: 8 });
    expect(limitsOf({ limits }).maxHeaderBytes).toBe(8);
    expect(() => inspect(envelope, { limits })).toThrow(
      expect.objectContaining({ code: 'ERR_LIMIT_EXCEEDED' }),
    );
    expect(() => inspect(envelope, bad({ limits: inherited({ maxHeaderBytes: '8' }) }))).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
    );
    const stream = streamLimitsOf({ limits: inherited({ maxChunkBytes: 2048, maxRecipients: 3 }) });
    expect([stream.maxChunkBytes, stream.maxRecipients]).toEqual([2048, 3]);
  });

  it('an own key that names no limit is refused, even undefined; stream names only in streams', () => {
    for (const limits of [{ maxHeaderByte: 4096 }, { maxHeaderByte: undefined }]) {
      expect(() => limitsOf(bad({ limits }))).toThrow(
        /"limits\.maxHeaderByte" expected a known limit/,
      );
    }
    expect(() => limitsOf(bad({ limits: { maxChunkBytes: 2048 } }))).toThrow(
      /limits\.maxChunkBytes/,
    );
    expect(() => streamLimitsOf(bad({ limits: { maxChunkByte: 2048 } }))).toThrow(
      /limits\.maxChunkByte/,
    );
  });

  it('each limit is read once; a getter that throws is ERR_INVALID_ARGUMENT naming it', () => {
    let reads = 0;
    const limits = {
      get maxRecipients() {
        reads++;
        return 4;
      },
    };
    expect(limitsOf({ limits }).maxRecipients).toBe(4);
    expect(reads).toBe(1);
    const throwing = {
      get maxCborDepth(): number {
        throw new Error('no');
      },
    };
    expect(() => limitsOf({ limits: throwing })).toThrow(
      /"limits\.maxCborDepth" could not be read/,
    );
  });
});

describe('the identity functions check their options too', () => {
  it('a backend or options of the wrong shape is ERR_INVALID_ARGUMENT, not a TypeError', async () => {
    const { generateIdentity, signingKid, importIdentity, exportIdentity } =
      await import('../src/identity/identity.js');
    for (const options of [{ backend: 5 }, { backend: {} }, 'node', new Date()]) {
      expect(await errorCode(() => generateIdentity('spiffe://acme.example/x', bad(options)))).toBe(
        'ERR_INVALID_ARGUMENT',
      );
      expect(await errorCode(() => signingKid(c.alice.signing.publicKey, bad(options)))).toBe(
        'ERR_INVALID_ARGUMENT',
      );
      expect(await errorCode(() => importIdentity(exportIdentity(c.alice), bad(options)))).toBe(
        'ERR_INVALID_ARGUMENT',
      );
    }
  });
});

describe('the replay option: each of its functions is read once (SECURITY.md)', () => {
  it('a getter that answers a function to the check and something else later cannot fail the call', async () => {
    let reads = 0;
    const recorded = new Set<string>();
    const guard = {
      get has() {
        reads += 1;
        return reads === 1 ? (id: string) => recorded.has(id) : 42;
      },
      record: (id: string) => void recorded.add(id),
    };
    const r = await open(envelope, { ...openOpts, replay: guard as unknown as ReplayGuard });
    expect(r.payload).toBeInstanceOf(Uint8Array);
    expect(reads).toBe(1);
  });

  it('the functions are called on the caller object (this), as before', async () => {
    const guard = {
      ids: new Set<string>(),
      has(id: string) {
        return this.ids.has(id);
      },
      record(id: string) {
        this.ids.add(id);
      },
    };
    const r = await open(envelope, { ...openOpts, replay: guard });
    guard.record(r.messageId);
    expect(await errorCode(() => open(envelope, { ...openOpts, replay: guard }))).toBe(
      'ERR_REPLAY',
    );
  });
});
