/**
 * A response's default lifetime (SPEC.md §6.4): without a `ttl`, what is left
 * of the request's lifetime at the responder's clock, at most 3600 seconds
 * and `maxTtlSeconds`, at least one second; an explicit `ttl` still wins.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectCode } from '@blindwire/testkit';
import { ErrorCode } from '../src/errors.js';
import { open } from '../src/envelope/open.js';
import { openResponse, sealResponse } from '../src/envelope/response.js';
import { seal } from '../src/envelope/seal.js';
import { publicIdentity } from '../src/identity/identity.js';
import { NOW, cast, fastestBackend, trusted, type Cast } from './helpers/fixtures.js';

const backend = fastestBackend();
const NOW_S = Math.floor(NOW / 1000);
let c: Cast;

beforeAll(async () => {
  c = await cast(backend);
});

/** A request sealed at NOW with `ttl`, as sealed and as opened by bob. */
async function exchange(ttl: number) {
  const request = await seal('q', {
    sender: c.alice,
    recipients: publicIdentity(c.bob),
    now: NOW,
    ttl,
    backend,
  });
  const opened = await open(request.envelope, {
    recipient: c.bob,
    trustedSenders: trusted(c.alice),
    now: NOW,
    backend,
  });
  return { request, opened };
}

describe('sealResponse default lifetime (SPEC.md §6.4)', () => {
  it('is the request remaining lifetime when that is under an hour', async () => {
    const { request, opened } = await exchange(600);
    const reply = await sealResponse(opened, 'a', { now: NOW + 100_000, backend });
    expect(reply.issuedAt).toBe(NOW_S + 100);
    expect(reply.expiresAt).toBe(request.expiresAt);
    const answer = await openResponse(request, reply.envelope, { now: NOW + 100_000, backend });
    expect(answer.header.expiresAt).toBe(NOW_S + 600);
  });

  it("follows the request's expiry as opened, not the caller's copy of its header", async () => {
    const { request, opened } = await exchange(600);
    for (const forged of [NOW_S + 7 * 24 * 3600, undefined]) {
      (opened.header as { expiresAt?: number }).expiresAt = forged;
      const reply = await sealResponse(opened, 'a', { now: NOW, backend });
      expect(reply.expiresAt).toBe(request.expiresAt);
    }
  });

  it('is capped at 3600 seconds for a long-lived request', async () => {
    const { opened } = await exchange(7 * 24 * 3600);
    const reply = await sealResponse(opened, 'a', { now: NOW, backend });
    expect(reply.expiresAt - reply.issuedAt).toBe(3600);
  });

  it('is capped at limits.maxTtlSeconds when that is lower', async () => {
    const { opened } = await exchange(3000);
    const reply = await sealResponse(opened, 'a', {
      now: NOW,
      backend,
      limits: { maxTtlSeconds: 120 },
    });
    expect(reply.expiresAt - reply.issuedAt).toBe(120);
  });

  it('is one second for a request already past its expiry at the responder clock', async () => {
    const { opened } = await exchange(60);
    const reply = await sealResponse(opened, 'a', { now: NOW + 90_000, backend });
    expect(reply.expiresAt - reply.issuedAt).toBe(1);
  });

  it('an explicit ttl wins, even past the request expiry', async () => {
    const { opened } = await exchange(60);
    const reply = await sealResponse(opened, 'a', { now: NOW, ttl: 900, backend });
    expect(reply.expiresAt - reply.issuedAt).toBe(900);
  });

  it('a response past the request lifetime plus skew does not open', async () => {
    const { request, opened } = await exchange(600);
    const reply = await sealResponse(opened, 'a', { now: NOW, backend });
    await expectCode(
      openResponse(request, reply.envelope, { now: NOW + 661_000, backend }),
      ErrorCode.Expired,
    );
    // Within the request's lifetime plus the 60 s skew it still opens.
    await openResponse(request, reply.envelope, { now: NOW + 659_000, backend });
  });

  it('property: min(3600, remaining) clamped to at least 1, for any request ttl and delay', async () => {
    const { request, opened } = await exchange(5000);
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 6000 }), async (delay) => {
        const now = NOW + delay * 1000;
        const reply = await sealResponse(opened, 'a', { now, backend });
        const remaining = request.expiresAt - (NOW_S + delay);
        expect(reply.expiresAt - reply.issuedAt).toBe(Math.max(1, Math.min(3600, remaining)));
      }),
      { numRuns: 40 },
    );
  });
});
