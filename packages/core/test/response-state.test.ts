/**
 * Replies across processes (SPEC.md §11a): the requester's state of §6.3,
 * exported sealed to its own key and imported elsewhere, opens the responses
 * the original would, remembers the responses accepted before the export,
 * lives no longer than the request, and is never plaintext at rest.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectCode, rejection } from '@blindwire/testkit';
import { fromHex } from '../src/bytes.js';
import { isBlindwireError } from '../src/errors.js';
import { open } from '../src/envelope/open.js';
import type { OpenResult } from '../src/envelope/open-options.js';
import { openResponse, sealResponse } from '../src/envelope/response.js';
import { exportResponseState, importResponseState } from '../src/envelope/response-state.js';
import { seal } from '../src/envelope/seal.js';
import type { SealResult } from '../src/envelope/seal-options.js';
import { sealStateOf } from '../src/envelope/state.js';
import { generateEncryptionKey, publicIdentity } from '../src/identity/identity.js';
import { MAX_ACCEPTED_RESPONSES } from '../src/wire/response-state.js';
import { backends } from './helpers/backends.js';
import { NOW, cast, fastestBackend, trusted, type Cast } from './helpers/fixtures.js';

const backend = fastestBackend();
let c: Cast;
let request: SealResult;
let atBob: OpenResult;
let atCarol: OpenResult;

beforeAll(async () => {
  c = await cast(backend);
  request = await seal('{"refund":"A-1"}', {
    sender: c.alice,
    recipients: [publicIdentity(c.bob), publicIdentity(c.carol)],
    context: 'blindwire/nats/v1 refunds',
    now: NOW,
    ttl: 600,
    backend,
  });
  const opened = (who: Cast['bob']) =>
    open(request.envelope, {
      recipient: who,
      context: 'blindwire/nats/v1 refunds',
      trustedSenders: trusted(c.alice),
      now: NOW,
      backend,
    });
  [atBob, atCarol] = await Promise.all([opened(c.bob), opened(c.carol)]);
});

const LATER = NOW + 5_000;

async function exported(r: Parameters<typeof exportResponseState>[0] = request) {
  return exportResponseState(r, { to: c.alice, now: LATER, backend });
}

describe('exportResponseState and importResponseState (SPEC.md §11a)', () => {
  it('an imported state opens the responses, each once, on every backend', async () => {
    for (const b of backends) {
      const fresh = await seal('q', {
        sender: c.alice,
        recipients: publicIdentity(c.bob),
        now: NOW,
        backend: b,
      });
      const bytes = await exportResponseState(fresh, { to: c.alice, now: LATER, backend: b });
      const asBob = await open(fresh.envelope, {
        recipient: c.bob,
        trustedSenders: trusted(c.alice),
        now: NOW,
        backend: b,
      });
      const reply = await sealResponse(asBob, 'done', { now: LATER, backend: b });
      const imported = await importResponseState(bytes, { keys: c.alice, now: LATER, backend: b });
      expect(imported).toEqual({
        messageId: fresh.messageId,
        issuedAt: fresh.issuedAt,
        expiresAt: fresh.expiresAt,
      });
      const got = await openResponse(imported, reply.envelope, { now: LATER, backend: b });
      expect(new TextDecoder().decode(got.payload)).toBe('done');
      expect(got.responder).toBe(c.bob.encryption.kid);
      await expectCode(
        openResponse(imported, reply.envelope, { now: LATER, backend: b }),
        'ERR_REPLAY',
      );
    }
  });

  it('carries the responses accepted before the export; later ones stay where they were accepted', async () => {
    const fresh = await seal('q', {
      sender: c.alice,
      recipients: [publicIdentity(c.bob), publicIdentity(c.carol)],
      now: NOW,
      backend,
    });
    const as = async (who: Cast['bob']) =>
      open(fresh.envelope, { recipient: who, trustedSenders: trusted(c.alice), now: NOW, backend });
    const fromBob = await sealResponse(await as(c.bob), 'bob', { now: LATER, backend });
    const fromCarol = await sealResponse(await as(c.carol), 'carol', { now: LATER, backend });
    await openResponse(fresh, fromBob.envelope, { now: LATER, backend });
    const imported = await importResponseState(await exported(fresh), {
      keys: [c.carol, c.alice], // the one whose kid the state names is used
      now: LATER,
      backend,
    });
    await expectCode(
      openResponse(imported, fromBob.envelope, { now: LATER, backend }),
      'ERR_REPLAY',
    );
    await openResponse(imported, fromCarol.envelope, { now: LATER, backend });
    // Accepted after the export, in the other process: the original does not know it (SPEC.md §11a).
    await openResponse(fresh, fromCarol.envelope, { now: LATER, backend });
    // A state exported again from the imported one carries both.
    const again = await importResponseState(await exported(imported), {
      keys: c.alice,
      now: LATER,
      backend,
    });
    for (const r of [fromBob, fromCarol])
      await expectCode(openResponse(again, r.envelope, { now: LATER, backend }), 'ERR_REPLAY');
  });

  it('lives until the request expires: expires-at + skew opens, one second later is ERR_EXPIRED', async () => {
    const bytes = await exported();
    const edge = (request.expiresAt + 60) * 1000;
    await importResponseState(bytes, { keys: c.alice, now: edge + 999, backend });
    await expectCode(
      importResponseState(bytes, { keys: c.alice, now: edge + 1000, backend }),
      'ERR_EXPIRED',
    );
    await expectCode(
      importResponseState(bytes, { keys: c.alice, now: edge + 1000, clockSkew: 0, backend }),
      'ERR_EXPIRED',
    );
    await expectCode(
      exportResponseState(request, { to: c.alice, now: edge + 1000, backend }),
      'ERR_EXPIRED',
    );
  });

  it('opens only with the key it was sealed to', async () => {
    const bytes = await exported();
    await expectCode(
      importResponseState(bytes, { keys: [], backend, now: LATER }),
      'ERR_KEY_NOT_FOUND',
    );
    await expectCode(
      importResponseState(bytes, { keys: c.bob, backend, now: LATER }),
      'ERR_KEY_NOT_FOUND',
    );
    // The right kid with another private key: HPKE fails, one fixed ERR_OPEN_FAILED.
    const other = await generateEncryptionKey({ backend });
    const e = await rejection(
      importResponseState(bytes, {
        keys: { ...other, kid: c.alice.encryption.kid },
        backend,
        now: LATER,
      }),
    );
    expect(e.code).toBe('ERR_OPEN_FAILED');
    expect((e as Error).cause).toBeUndefined();
  });

  it('is never plaintext at rest: no response secret, kid list or accepted id appears in it', async () => {
    const bytes = await exported();
    const state = sealStateOf(request)!;
    const hex = Buffer.from(bytes).toString('hex');
    for (const [kid, rs] of state.responders) {
      expect(hex).not.toContain(Buffer.from(rs.subarray(0, 8)).toString('hex'));
      expect(hex).not.toContain(kid);
    }
    expect(hex).toContain(Buffer.from(fromHex(request.messageId)).toString('hex')); // public, as in the request
  });

  it('fails on any bit flip or truncation with a BlindwireError, never a state', async () => {
    const bytes = await exported();
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: bytes.length * 8 - 1 }),
        fc.boolean(),
        async (bit, truncate) => {
          const bad = truncate ? bytes.slice(0, bit >> 3) : bytes.slice();
          if (!truncate) bad[bit >> 3]! ^= 1 << (bit & 7);
          try {
            await importResponseState(bad, { keys: c.alice, now: LATER, backend });
          } catch (e) {
            expect(isBlindwireError(e)).toBe(true);
            return;
          }
          throw new Error('a changed state imported');
        },
      ),
      { numRuns: 300 },
    );
  });

  it('is not an envelope, and an envelope is not a state', async () => {
    const bytes = await exported();
    await expectCode(
      open(bytes, { recipient: c.alice, trustedSenders: trusted(c.alice), backend }),
      'ERR_ENVELOPE_MALFORMED',
    );
    await expectCode(
      importResponseState(request.envelope, { keys: c.bob, now: LATER, backend }),
      'ERR_ENVELOPE_MALFORMED',
    );
  });

  it('refuses arguments that are not a state or a key, naming them', async () => {
    const copy = JSON.parse(JSON.stringify(request)) as SealResult;
    await expectCode(exported(copy), 'ERR_INVALID_ARGUMENT', /"request"/);
    await expectCode(exported(atBob as never), 'ERR_INVALID_ARGUMENT', /"request"/);
    await expectCode(
      exportResponseState(request, {
        to: { ...c.alice.encryption, publicKey: new Uint8Array(31) },
      }),
      'ERR_INVALID_ARGUMENT',
      /"to\.publicKey"/,
    );
    await expectCode(
      exportResponseState(request, undefined as never),
      'ERR_INVALID_ARGUMENT',
      /"options"/,
    );
    const bytes = await exported();
    await expectCode(
      importResponseState(bytes, {
        keys: { ...c.alice.encryption, privateKey: new Uint8Array(3) },
      }),
      'ERR_INVALID_ARGUMENT',
      /"keys\[0\]\.privateKey"/,
    );
    await expectCode(
      importResponseState(bytes, { keys: c.alice, clockSkew: -1 }),
      'ERR_INVALID_ARGUMENT',
      /clockSkew/,
    );
  });

  it(`refuses to export more than ${MAX_ACCEPTED_RESPONSES} accepted responses`, async () => {
    const fresh = await seal('q', {
      sender: c.alice,
      recipients: c.bob.encryption,
      now: NOW,
      backend,
    });
    const accepted = sealStateOf(fresh)!.acceptedResponses;
    const kid = [...sealStateOf(fresh)!.responders.keys()][0]!;
    for (let i = 0; accepted.size < MAX_ACCEPTED_RESPONSES; i++)
      accepted.add(`${kid}/${i.toString(16).padStart(32, '0')}`);
    const bytes = await exported(fresh);
    const imported = await importResponseState(bytes, { keys: c.alice, now: LATER, backend });
    expect(sealStateOf(imported)!.acceptedResponses).toEqual(accepted);
    accepted.add(`${kid}/${'f'.repeat(32)}`);
    await expectCode(exported(fresh), 'ERR_LIMIT_EXCEEDED');
  });

  it('is bounded by the request: a response to another request is ERR_KEY_NOT_FOUND', async () => {
    const imported = await importResponseState(await exported(), {
      keys: c.alice,
      now: LATER,
      backend,
    });
    const other = await seal('q', {
      sender: c.alice,
      recipients: c.bob.encryption,
      now: NOW,
      backend,
    });
    const asBob = await open(other.envelope, {
      recipient: c.bob,
      trustedSenders: trusted(c.alice),
      now: NOW,
      backend,
    });
    const reply = await sealResponse(asBob, 'x', { now: LATER, backend });
    await expectCode(
      openResponse(imported, reply.envelope, { now: LATER, backend }),
      'ERR_KEY_NOT_FOUND',
    );
    const mine = await sealResponse(atCarol, 'y', { now: LATER, backend });
    await openResponse(imported, mine.envelope, { now: LATER, backend });
  });
});
