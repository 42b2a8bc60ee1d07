/**
 * SPEC.md §6.3 step 7: `openResponse` reads the response's inner record under
 * the caller's limits (§8), as it reads the response header, not under the
 * defaults. A pass-through spy on `decodeInner` records the limits it is given.
 */
import { beforeAll, describe, expect, it, vi } from 'vitest';
import type * as Inner from '../src/wire/inner.js';
import { open } from '../src/envelope/open.js';
import { openResponse, sealResponse } from '../src/envelope/response.js';
import { seal } from '../src/envelope/seal.js';
import { publicIdentity } from '../src/identity/identity.js';
import { DEFAULT_LIMITS, type Limits } from '../src/limits.js';
import { NOW, cast, fastestBackend, trusted, type Cast } from './helpers/fixtures.js';

const seen = vi.hoisted(() => ({ unsigned: [] as (Limits | undefined)[] }));

vi.mock('../src/wire/inner.js', async (importOriginal) => {
  const m = await importOriginal<typeof Inner>();
  return {
    ...m,
    decodeInner: (...a: Parameters<typeof m.decodeInner>) => {
      if (!a[1]) seen.unsigned.push(a[2]);
      return m.decodeInner(...a);
    },
  };
});

const backend = fastestBackend();
let c: Cast;

beforeAll(async () => {
  c = await cast(backend);
});

describe("openResponse's inner record (SPEC.md §6.3 step 7, §8)", () => {
  it("is decoded under the caller's limits", async () => {
    const request = await seal('q', {
      sender: c.alice,
      recipients: publicIdentity(c.bob),
      now: NOW,
      backend,
    });
    const opened = await open(request.envelope, {
      recipient: c.bob,
      trustedSenders: trusted(c.alice),
      now: NOW,
      backend,
    });
    const reply = await sealResponse(opened, 'a', { now: NOW, backend });
    const limits = { maxStringBytes: 512, maxCborDepth: 6 };
    seen.unsigned.length = 0;
    const answer = await openResponse(request, reply.envelope, { now: NOW, backend, limits });
    expect(new TextDecoder().decode(answer.payload)).toBe('a');
    expect(seen.unsigned).toEqual([{ ...DEFAULT_LIMITS, ...limits }]);
  });
});
