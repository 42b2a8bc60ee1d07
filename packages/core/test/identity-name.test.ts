/**
 * The identity-name grammar of SPEC.md §10, written once and applied by
 * `generateIdentity`, `seal` (the sender name), `open` (pinned senders and
 * the sender name inside the ciphertext, §4.2 and §7a.4) and the directory.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { errorCode, expectCode } from '@blindwire/testkit';
import { utf8 } from '../src/bytes.js';
import { checkSealOptions } from '../src/envelope/check-seal.js';
import { open } from '../src/envelope/open.js';
import { seal } from '../src/envelope/seal.js';
import {
  generateIdentity,
  importPublicIdentity,
  exportPublicIdentity,
  publicIdentity,
} from '../src/identity/identity.js';
import { assertIdentityName, isIdentityName } from '../src/identity/name.js';
import { DEFAULT_LIMITS } from '../src/limits.js';
import { createChannel } from '../src/stream/channel.js';
import { DEFAULT_STREAM_LIMITS } from '../src/stream/limits.js';
import { StreamSealer } from '../src/stream/sealer.js';
import { encodeMeta } from '../src/wire/stream-keys.js';
import { craft } from './helpers/craft.js';
import { NOW, cast, fastestBackend } from './helpers/fixtures.js';
import { body, openAll } from './helpers/streams.js';

/**
 * SPEC.md §10's excluded characters, written from the SPEC's own list rather
 * than imported from the code under test.
 */
const INVISIBLE =
  // eslint-disable-next-line no-misleading-character-class -- the lone combining characters are what it finds
  /[\p{Cc}\p{Cf}\p{Z}\u034f\u115f\u1160\u3164\uffa0\ufe00-\ufe0f\u{e0000}-\u{e007f}\u{e0100}-\u{e01ef}]/u;

/** Any scalar value, and often one of the rarer invisible ones. */
const CHARACTER = fc.oneof(
  fc
    .integer({ min: 0, max: 0x10ffff })
    .filter((cp) => cp < 0xd800 || cp > 0xdfff)
    .map((cp) => String.fromCodePoint(cp)),
  fc.constantFrom('a', '\u034f', '\ufe0f', '\u{e0101}', '\u{e0041}', '\u3164', '\u200b', '\u2800'),
);

const backend = fastestBackend();
const c = await cast(backend);
const T = Math.floor(NOW / 1000);

const VALID = [
  'spiffe://acme.example/tools/payments',
  'urn:blindwire:agent:7',
  'mailto:ops@acme.example',
  'x:y',
  'https://acme.example/agents/planner?env=prod#1',
  'spiffe://acme.example/é/日本',
  `spiffe://acme.example/${'a'.repeat(1024 - 'spiffe://acme.example/'.length)}`,
];
const INVALID: [string, unknown][] = [
  ['empty', ''],
  ['no scheme', 'acme.example/tools'],
  ['a scheme and nothing more', 'spiffe:'],
  ['a scheme starting with a digit', '1x://acme.example'],
  ['a line feed', 'spiffe://acme.example/a\nspiffe://acme.example/admin'],
  ['a carriage return', 'spiffe://acme.example/a\r'],
  ['a tab', 'spiffe://acme.example/a\tb'],
  ['a space', 'spiffe://acme.example/a b'],
  ['NUL', 'spiffe://acme.example/a\u0000'],
  ['BEL', 'spiffe://acme.example/a\u0007'],
  ['DEL', 'spiffe://acme.example/a\u007f'],
  ['a C1 control (NEL)', 'spiffe://acme.example/a\u0085'],
  ['a no-break space', 'spiffe://acme.example/a\u00a0b'],
  ['a line separator', 'spiffe://acme.example/a\u2028'],
  ['a paragraph separator', 'spiffe://acme.example/a\u2029'],
  ['a right-to-left override', 'spiffe://acme.example/\u202egnp.exe'],
  ['a right-to-left isolate', 'spiffe://acme.example/\u2067x'],
  ['a zero-width space', 'spiffe://acme.example/ad\u200bmin'],
  ['a zero-width joiner', 'spiffe://acme.example/a\u200db'],
  ['a byte order mark', 'spiffe://acme.example/\ufeffa'],
  ['an ideographic space', 'spiffe://acme.example/a\u3000b'],
  ['a lone surrogate', 'spiffe://acme.example/\ud800'],
  ['a variation selector (U+FE0F)', 'spiffe://acme.example/ad\ufe0fmin'],
  ['a supplementary variation selector (U+E0100)', 'spiffe://acme.example/ad\u{e0100}min'],
  ['a combining grapheme joiner (U+034F)', 'spiffe://acme.example/ad\u034fmin'],
  ['a Hangul choseong filler (U+115F)', 'spiffe://acme.example/a\u115fb'],
  ['a Hangul jungseong filler (U+1160)', 'spiffe://acme.example/a\u1160b'],
  ['a Hangul filler (U+3164)', 'spiffe://acme.example/a\u3164b'],
  ['a halfwidth Hangul filler (U+FFA0)', 'spiffe://acme.example/a\uffa0b'],
  ['a tag character (U+E0041)', 'spiffe://acme.example/admin\u{e0041}'],
  ['the language tag (U+E0001)', 'spiffe://acme.example/\u{e0001}admin'],
  ['an Arabic number sign (U+0600, Cf)', 'spiffe://acme.example/\u0600a'],
  ['a musical format character (U+1D173, Cf)', 'spiffe://acme.example/a\u{1d173}'],
  ['an Ogham space mark (U+1680, Zs)', 'spiffe://acme.example/a\u1680b'],
  ['more than 1024 bytes', `spiffe://acme.example/${'é'.repeat(510)}`],
  ['a number', 42],
  ['null', null],
];

describe('the grammar (SPEC.md §10)', () => {
  it.each(VALID)('%s is an identity name', (name) => {
    expect(isIdentityName(name)).toBe(true);
    expect(() => assertIdentityName(name)).not.toThrow();
  });

  it('the 1024-byte limit holds for 3-byte characters near the short-name cut-off (342 units)', () => {
    const over = `a:${'€'.repeat(342)}`; // 344 units, 1028 bytes
    const exact = `a:${'€'.repeat(340)}aa`; // 344 units, 1024 bytes
    expect([over.length, utf8(over).length]).toEqual([344, 1028]);
    expect([exact.length, utf8(exact).length]).toEqual([344, 1024]);
    expect(isIdentityName(over)).toBe(false);
    expect(() => assertIdentityName(over, 'sender.name')).toThrow(/more than 1024 bytes/);
    expect(isIdentityName(exact)).toBe(true);
  });

  it.each(INVALID)('%s is not, and the error shows it escaped', (_, name) => {
    expect(isIdentityName(name)).toBe(false);
    let e: unknown;
    try {
      assertIdentityName(name, 'sender.name');
    } catch (x) {
      e = x;
    }
    expect(e).toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    const message = (e as Error).message;
    expect(message).toMatch(
      /^"sender\.name" expected a URI such as spiffe:\/\/example\.org\/agent \(an identity name/,
    );
    // Escaped: no raw control, line break, format character, invisible space,
    // variation selector, filler or tag reaches a log line (the space aside).
    expect(message.replaceAll(' ', '')).not.toMatch(INVISIBLE);
  });

  it('no name holding a control, format character or separator is accepted (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: CHARACTER, minLength: 1 }), (a) => {
        const name = `spiffe://acme.example/${a}`;
        if (isIdentityName(name)) expect(name).not.toMatch(INVISIBLE);
        else expect(() => assertIdentityName(name)).toThrow();
      }),
    );
  });

  it.each(['0000', '007F', '00AD', '200B', '2060', 'FE00', 'E0020', 'E01EF', '3164'])(
    'U+%s is refused anywhere in a name',
    (hex) => {
      const ch = String.fromCodePoint(parseInt(hex, 16));
      for (const name of [`spiffe://acme.example/${ch}`, `spiffe://acme.example/a${ch}b`])
        expect(isIdentityName(name)).toBe(false);
    },
  );
});

describe('applied everywhere a name enters', () => {
  const forged = 'spiffe://acme.example/agents/planner\nspiffe://acme.example/admin';

  it('generateIdentity and importPublicIdentity refuse a name outside the grammar', async () => {
    expect(await errorCode(() => generateIdentity('spiffe://acme.example/\u202eevil'))).toBe(
      'ERR_INVALID_ARGUMENT',
    );
    const doc = { ...exportPublicIdentity(c.alice), name: forged };
    expect(await errorCode(() => importPublicIdentity(doc))).toBe('ERR_INVALID_ARGUMENT');
  });

  it('seal refuses a sender name with a line break (it would be signed and shown as two)', async () => {
    await expectCode(
      () => seal('x', { sender: { ...c.alice, name: forged }, recipients: c.bob, now: NOW }),
      'ERR_INVALID_ARGUMENT',
      /^"sender\.name" expected a URI such as spiffe:\/\/example\.org\/agent \(an identity name/,
    );
  });

  it('open refuses pinned senders whose name is outside the grammar, naming the entry', async () => {
    const s = await seal('x', { sender: c.alice, recipients: c.bob, now: NOW, backend });
    const pinned = [publicIdentity(c.alice), { ...publicIdentity(c.carol), name: 'carol' }];
    await expectCode(
      () => open(s.envelope, { recipient: c.bob, trustedSenders: pinned, now: NOW }),
      'ERR_INVALID_ARGUMENT',
      /^"trustedSenders\[1\]\.name"/,
    );
  });

  it('a signed inner record whose sender name is outside the grammar is ERR_OPEN_FAILED', async () => {
    for (const sender of [forged, 'spiffe://acme.example/\u202eevil', 'planner']) {
      const env = await craft({
        backend,
        recipients: [c.bob.encryption],
        sender,
        senderKid: c.alice.signing.kid,
        // a genuine signature by the key the resolver trusts for that name
        sign: (tbs) => backend.ed25519Sign(c.alice.signing.privateKey, tbs),
        body: utf8('x'),
        issuedAt: T,
        expiresAt: T + 60,
      });
      const resolveSender = () => c.alice.signing.publicKey;
      expect(await errorCode(() => open(env, { recipient: c.bob, resolveSender, now: NOW }))).toBe(
        'ERR_OPEN_FAILED',
      );
    }
  });

  it('a stream whose meta record names a sender outside the grammar is ERR_OPEN_FAILED, nothing released', async () => {
    const resolveSender = () => c.alice.signing.publicKey;
    const opts = { recipient: c.bob, resolveSender, now: NOW };
    const control = await openAll(opts, await sealStreamAs(c.alice.name));
    expect(control.error).toBeUndefined();
    expect(control.released).toEqual(body(5000));
    const { released, error } = await openAll(opts, await sealStreamAs(forged));
    expect(released.length).toBe(0);
    expect(error).toMatchObject({ code: 'ERR_OPEN_FAILED' });
  });
});

/** A stream from the sealer's own pieces, past seal's argument checks: what a key holder could send. */
async function sealStreamAs(name: string): Promise<Uint8Array[]> {
  const limits = { ...DEFAULT_LIMITS, ...DEFAULT_STREAM_LIMITS };
  const checked = checkSealOptions(
    { sender: c.alice, recipients: c.bob, now: NOW },
    limits,
    backend,
  );
  checked.sender = { ...checked.sender, text: name, name: utf8(name) };
  const meta = encodeMeta(name, checked.sender.kid);
  const s = createChannel(new StreamSealer({ b: backend, limits, checked, meta, chunkSize: 4096 }));
  const parts: Uint8Array[] = [];
  const reading = (async () => {
    for await (const p of s.readable as unknown as AsyncIterable<Uint8Array>) parts.push(p);
  })();
  const w = s.writable.getWriter();
  await w.write(body(5000));
  await w.close();
  await reading;
  return parts;
}
