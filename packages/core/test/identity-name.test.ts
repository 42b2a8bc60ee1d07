/**
 * The identity-name grammar of SPEC.md §10, written once and applied by
 * `generateIdentity`, `seal` (the sender name), `open` (pinned senders and
 * the sender name inside the ciphertext, §4.2 and §7a.4) and the directory.
 */
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
  ['more than 1024 bytes', `spiffe://acme.example/${'é'.repeat(510)}`],
  ['a number', 42],
  ['null', null],
];

describe('the grammar (SPEC.md §10)', () => {
  it.each(VALID)('%s is an identity name', (name) => {
    expect(isIdentityName(name)).toBe(true);
    expect(() => assertIdentityName(name)).not.toThrow();
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
    // Escaped: no raw control, line break or bidirectional override reaches a log line.
    expect(message).not.toMatch(
      // eslint-disable-next-line no-control-regex -- looking for raw controls
      /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]/,
    );
  });
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
