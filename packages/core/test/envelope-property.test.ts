/**
 * Property tests (fast-check): any payload, context, recipient set and suite
 * round-trips; any bit flip or truncation is rejected with a BlindwireError
 * and never yields plaintext.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { BlindwireError } from '../src/errors.js';
import { open } from '../src/envelope/open.js';
import { seal } from '../src/envelope/seal.js';
import { AEAD_NAMES } from '../src/wire/suites.js';
import { publicIdentity } from '../src/identity/identity.js';
import { NOW, cast, fastestBackend, trusted, type Cast } from './helpers/fixtures.js';

const backend = fastestBackend();
let c: Cast;
beforeAll(async () => {
  c = await cast(backend);
});

const input = fc.record({
  payload: fc.uint8Array({ maxLength: 2048 }),
  context: fc.oneof(fc.string({ maxLength: 64 }), fc.uint8Array({ maxLength: 64 })),
  aead: fc.constantFrom(...AEAD_NAMES),
  recipients: fc.subarray(['bob', 'carol', 'mallory'] as const, { minLength: 1 }),
  padding: fc.constantFrom('none', 'padme', { blockSize: 64 }) as fc.Arbitrary<
    'none' | 'padme' | { blockSize: number }
  >,
});

describe(`envelope properties (${backend.name} backend)`, () => {
  it('round-trips for every recipient', async () => {
    await fc.assert(
      fc.asyncProperty(input, async (x) => {
        const s = await seal(x.payload, {
          sender: c.alice,
          recipients: x.recipients.map((r) => publicIdentity(c[r])),
          context: x.context,
          aead: x.aead,
          padding: x.padding,
          now: NOW,
          backend,
        });
        for (const r of x.recipients) {
          const o = await open(s.envelope, {
            recipient: c[r],
            context: x.context,
            trustedSenders: trusted(c.alice),
            now: NOW,
            backend,
          });
          expect(o.payload).toEqual(x.payload);
          expect(o.sender).toBe(c.alice.name);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('rejects any bit flip or truncation with a BlindwireError and no plaintext', async () => {
    await fc.assert(
      fc.asyncProperty(input, fc.nat(), fc.nat(7), fc.boolean(), async (x, pos, bit, truncate) => {
        const s = await seal(x.payload, {
          sender: c.alice,
          recipients: x.recipients.map((r) => publicIdentity(c[r])),
          context: x.context,
          aead: x.aead,
          now: NOW,
          backend,
        });
        const i = pos % s.envelope.length;
        const env = truncate ? s.envelope.subarray(0, i) : s.envelope.slice();
        if (!truncate) env[i]! ^= 1 << bit;
        let result: unknown;
        let error: unknown;
        try {
          result = await open(env, {
            recipient: c[x.recipients[0]!],
            context: x.context,
            trustedSenders: trusted(c.alice),
            now: NOW,
            backend,
          });
        } catch (e) {
          error = e;
        }
        expect(result).toBeUndefined();
        expect(error).toBeInstanceOf(BlindwireError);
      }),
      { numRuns: 300 },
    );
  });
});
