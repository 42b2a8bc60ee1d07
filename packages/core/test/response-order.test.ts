/**
 * Responses, SPEC.md §6.3 and §6.4: arguments are checked before anything
 * is drawn, derived or read (a refused call leaves no trace: its response id
 * stays unused); issued-at is floor(now_ms / 1000) and expires-at
 * issued-at + ttl; and the requester's state rebuilt for the vectors
 * (`requesterFromSecrets`) accepts only the request's own recipients.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { errorCode } from '@blindwire/testkit';
import { fromBase64url, inspect } from '../src/index.js';
import { open } from '../src/envelope/open.js';
import type { OpenResult } from '../src/envelope/open-options.js';
import { seal } from '../src/envelope/seal.js';
import type { SealResult } from '../src/envelope/seal-options.js';
import {
  openResponse,
  requesterFromSecrets,
  sealResponse,
  sealResponseWithId,
} from '../src/envelope/response.js';
import { NOW, cast, fastestBackend, trusted, type Cast } from './helpers/fixtures.js';

const backend = fastestBackend();
const T = NOW / 1000;
let c: Cast;
let request: SealResult;
let opened: OpenResult;

beforeAll(async () => {
  c = await cast(backend);
  request = await seal('q', { sender: c.alice, recipients: [c.bob], now: NOW, backend });
  opened = await open(request.envelope, {
    recipient: c.bob,
    trustedSenders: trusted(c.alice),
    now: NOW,
    backend,
  });
});

describe('sealing a response (SPEC.md §6.4)', () => {
  it('issued-at = floor(now_ms / 1000), expires-at = issued-at + ttl', async () => {
    for (const [now, issuedAt] of [
      [NOW, T],
      [NOW + 999, T],
      [NOW + 1000, T + 1],
      [NOW + 1999, T + 1],
    ] as const) {
      const r = await sealResponse(opened, 'a', { now, ttl: 30, backend });
      expect([r.issuedAt, r.expiresAt], String(now)).toEqual([issuedAt, issuedAt + 30]);
      expect([inspect(r.envelope).issuedAt, inspect(r.envelope).expiresAt]).toEqual([
        issuedAt,
        issuedAt + 30,
      ]);
    }
    const last = 0xffffffff;
    expect(
      await errorCode(() => sealResponse(opened, 'a', { now: (last - 10) * 1000, ttl: 11 })),
    ).toBe('ERR_INVALID_ARGUMENT');
    const r = await sealResponse(opened, 'a', { now: (last - 10) * 1000, ttl: 10, backend });
    expect(r.expiresAt).toBe(last);
  });

  it('a refused argument (step 2) comes before the response id (step 3): the id stays unused', async () => {
    const id = new Uint8Array(16).fill(9);
    for (const bad of [{ contentType: '' }, { padding: { blockSize: 0 } }, { ttl: -1 }]) {
      expect(
        await errorCode(() =>
          sealResponseWithId(opened, 'a', { messageId: id, now: NOW, backend, ...bad }),
        ),
        JSON.stringify(bad),
      ).toBe('ERR_INVALID_ARGUMENT');
    }
    const r = await sealResponseWithId(opened, 'a', { messageId: id, now: NOW, backend });
    expect(r.messageId).toBe('09'.repeat(16));
  });
});

describe('opening a response (SPEC.md §6.3)', () => {
  it('the skew is checked before the envelope is read', async () => {
    const junk = new Uint8Array([1, 2, 3]);
    expect(await errorCode(() => openResponse(request, junk, { clockSkew: -1, backend }))).toBe(
      'ERR_INVALID_ARGUMENT',
    );
    expect(await errorCode(() => openResponse(request, junk, { backend }))).toBe(
      'ERR_ENVELOPE_MALFORMED',
    );
  });

  it('no maximum age: a response is valid until its own expiry plus skew', async () => {
    const r = await sealResponse(opened, 'late', { now: NOW, ttl: 86400, backend });
    const later = (T + 86400 + 60) * 1000;
    expect((await openResponse(request, r.envelope, { now: later, backend })).messageId).toBe(
      r.messageId,
    );
  });
});

describe('the requester rebuilt from secrets (vectors only)', () => {
  it("refuses a kid that is not one of the request's recipients, and a secret not 32 bytes", async () => {
    const bob = fromBase64url(c.bob.encryption.kid);
    const carol = fromBase64url(c.carol.encryption.kid);
    const rs = new Uint8Array(32);
    expect(
      await errorCode(() =>
        requesterFromSecrets(request.envelope, [{ kid: carol, responseSecret: rs }]),
      ),
    ).toBe('ERR_INVALID_ARGUMENT');
    expect(
      await errorCode(() =>
        requesterFromSecrets(request.envelope, [{ kid: bob, responseSecret: rs.subarray(1) }]),
      ),
    ).toBe('ERR_INVALID_ARGUMENT');
    // A wrong secret for the right kid is a state that opens nothing: ERR_OPEN_FAILED.
    const state = requesterFromSecrets(request.envelope, [{ kid: bob, responseSecret: rs }]);
    expect(state.messageId).toBe(request.messageId);
    const r = await sealResponse(opened, 'a', { now: NOW, backend });
    expect(await errorCode(() => openResponse(state, r.envelope, { now: NOW, backend }))).toBe(
      'ERR_OPEN_FAILED',
    );
  });
});
