/**
 * SPEC.md §7 step 8 and §4.5 step 1: tombstoned kids (keys erased after a
 * compromise) answer ERR_KEY_REVOKED, distinct from ERR_KEY_NOT_FOUND; an
 * empty key list is ERR_KEY_NOT_FOUND; seal refuses a recipient key outside
 * its validity window.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { errorCode } from '@blindwire/testkit';
import { open } from '../src/envelope/open.js';
import { openStream } from '../src/stream/open-stream.js';
import { sealStream } from '../src/stream/seal-stream.js';
import type { OpenOptions } from '../src/envelope/open-options.js';
import { seal } from '../src/envelope/seal.js';
import { generateIdentity, publicIdentity } from '../src/identity/identity.js';
import { NOW, cast, fastestBackend, trusted, type Cast } from './helpers/fixtures.js';

const backend = fastestBackend();
const T = Math.floor(NOW / 1000);
let c: Cast;
let toBob: Uint8Array;

beforeAll(async () => {
  c = await cast(backend);
  toBob = (
    await seal('queued before the compromise', {
      sender: c.alice,
      recipients: publicIdentity(c.bob),
      now: NOW,
      backend,
    })
  ).envelope;
});

const openAs = (env: Uint8Array, o: Partial<OpenOptions>) =>
  open(env, { recipient: c.bob, trustedSenders: trusted(c.alice), now: NOW, backend, ...o });

describe('open: tombstones (SPEC.md §7 step 8)', () => {
  it('an envelope addressed only to a tombstoned kid is ERR_KEY_REVOKED', async () => {
    const other = await generateIdentity('spiffe://t/other', { backend });
    const e = await errorCode(() =>
      openAs(toBob, { recipient: other, revokedKids: [c.bob.encryption.kid] }),
    );
    expect(e).toBe('ERR_KEY_REVOKED');
  });

  it('without the tombstone the same envelope is ERR_KEY_NOT_FOUND (past retention)', async () => {
    const other = await generateIdentity('spiffe://t/other', { backend });
    expect(await errorCode(() => openAs(toBob, { recipient: other }))).toBe('ERR_KEY_NOT_FOUND');
    expect(
      await errorCode(() =>
        openAs(toBob, { recipient: other, revokedKids: [other.encryption.kid] }),
      ),
    ).toBe('ERR_KEY_NOT_FOUND');
  });

  it('an empty key list is ERR_KEY_NOT_FOUND, or ERR_KEY_REVOKED with the tombstone', async () => {
    expect(await errorCode(() => openAs(toBob, { recipient: [] }))).toBe('ERR_KEY_NOT_FOUND');
    expect(
      await errorCode(() => openAs(toBob, { recipient: [], revokedKids: [c.bob.encryption.kid] })),
    ).toBe('ERR_KEY_REVOKED');
  });

  it('a held key wins over a tombstone of another recipient of the same envelope', async () => {
    const carol = await generateIdentity('spiffe://t/carol', { backend });
    const env = (
      await seal('to both', {
        sender: c.alice,
        recipients: [publicIdentity(carol), publicIdentity(c.bob)],
        now: NOW,
        backend,
      })
    ).envelope;
    const r = await openAs(env, { revokedKids: [carol.encryption.kid] });
    expect(new TextDecoder().decode(r.payload)).toBe('to both');
  });

  it('is decided before any secret is used: a tombstone answers even for a corrupted ciphertext', async () => {
    const bad = toBob.slice();
    bad[bad.length - 1]! ^= 1;
    const other = await generateIdentity('spiffe://t/other', { backend });
    expect(
      await errorCode(() => openAs(bad, { recipient: other, revokedKids: [c.bob.encryption.kid] })),
    ).toBe('ERR_KEY_REVOKED');
    // With the key held, the same bytes are the one ERR_OPEN_FAILED.
    expect(await errorCode(() => openAs(bad, { revokedKids: [c.bob.encryption.kid] }))).toBe(
      'ERR_OPEN_FAILED',
    );
  });

  it('streams answer the same', async () => {
    const s = sealStream({
      sender: c.alice,
      recipients: publicIdentity(c.bob),
      now: NOW,
      backend,
    });
    const w = s.writable.getWriter();
    await w.write(new Uint8Array(10));
    await w.close();
    const chunks: Uint8Array[] = [];
    const reader = s.readable.getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      chunks.push(value);
    }
    const bytes = new Uint8Array(chunks.reduce((n, x) => n + x.length, 0));
    let off = 0;
    for (const x of chunks) bytes.set(x, (off += x.length) - x.length);
    const o = openStream({
      recipient: [],
      revokedKids: [c.bob.encryption.kid],
      trustedSenders: trusted(c.alice),
      now: NOW,
      backend,
    });
    const ow = o.writable.getWriter();
    const written = ow.write(bytes).catch(() => undefined);
    await expect(o.result).rejects.toMatchObject({ code: 'ERR_KEY_REVOKED' });
    await written;
  });

  it('checks its argument', async () => {
    expect(await errorCode(() => openAs(toBob, { revokedKids: 'abc' as never }))).toBe(
      'ERR_INVALID_ARGUMENT',
    );
    expect(await errorCode(() => openAs(toBob, { revokedKids: [''] }))).toBe(
      'ERR_INVALID_ARGUMENT',
    );
  });
});

describe('seal: the recipient key validity window (SPEC.md §4.5 step 1)', () => {
  const sealTo = (notBefore: number, notAfter: number, now = NOW) =>
    seal('x', {
      sender: c.alice,
      recipients: { ...c.bob.encryption, notBefore, notAfter },
      now,
      backend,
    });

  it('a resolved key an hour past its not-after is ERR_EXPIRED', async () => {
    expect(await errorCode(() => sealTo(T - 86_400, T - 3600))).toBe('ERR_EXPIRED');
  });

  it('a key not valid for an hour yet is ERR_NOT_YET_VALID', async () => {
    expect(await errorCode(() => sealTo(T + 3600, T + 86_400))).toBe('ERR_NOT_YET_VALID');
  });

  it('the window holds with the skew, to the second', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: -200, max: 200 }), async (d) => {
        const notAfter = T + d;
        if (T > notAfter + 60)
          expect(await errorCode(() => sealTo(notAfter - 3600, notAfter))).toBe('ERR_EXPIRED');
        else expect((await sealTo(notAfter - 3600, notAfter)).envelope.length).toBeGreaterThan(0);
      }),
      { numRuns: 40 },
    );
    expect(
      await errorCode(() =>
        seal('x', {
          sender: c.alice,
          recipients: { encryption: { ...c.bob.encryption, notAfter: T - 10 } },
          clockSkew: 5,
          now: NOW,
          backend,
        }),
      ),
    ).toBe('ERR_EXPIRED');
  });

  it('a malformed window is ERR_INVALID_ARGUMENT', async () => {
    expect(await errorCode(() => sealTo(T, Number.NaN))).toBe('ERR_INVALID_ARGUMENT');
  });
});
