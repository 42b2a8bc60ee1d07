/**
 * The fast-check inputs and the outcome probe shared by the property tests of
 * the fixed-layout header and inner-record writers and readers
 * (wire/header-fast.ts, wire/inner.ts) against the strict generic path.
 */
import fc from 'fast-check';
import { DEFAULT_LIMITS, type Limits } from '../../src/limits.js';
import { MAX_TIME, type MessageHeader } from '../../src/wire/header.js';

const u16 = fc.integer({ min: 0, max: 0xffff });
const time = fc.oneof(
  fc.integer({ min: 0, max: MAX_TIME }),
  fc.constantFrom(0, 23, 24, 255, 256, 65535, 65536, MAX_TIME),
);
export const bytes = (min: number, max = min) => fc.uint8Array({ minLength: min, maxLength: max });

/**
 * Headers of every shape `encodeMessageHeader` takes, mostly the common one;
 * `ordered` false also gives expires-at before issued-at (which no reader may accept).
 */
export const headerOf = (ordered: boolean): fc.Arbitrary<MessageHeader> =>
  fc
    .record({
      suite: fc.oneof(
        fc.record({ kem: fc.constant(0x20), kdf: fc.constant(1), aead: fc.constantFrom(1, 2, 3) }),
        fc.record({ kem: u16, kdf: u16, aead: u16 }),
      ),
      recipients: fc.oneof(
        { weight: 4, arbitrary: fc.tuple(fc.record({ kid: bytes(1, 64), enc: bytes(32) })) },
        fc.uniqueArray(fc.record({ kid: bytes(1, 64), enc: bytes(32), wrapped: bytes(1, 60) }), {
          minLength: 2,
          maxLength: 3,
          selector: (r) => r.kid.join(','),
        }),
      ),
      messageId: bytes(16),
      t: fc.tuple(time, time),
      contentType: fc.option(
        fc.oneof(
          fc.string({ minLength: 1, maxLength: 30 }),
          fc.string({ unit: 'binary', minLength: 1, maxLength: 5 }),
        ),
        { nil: undefined },
      ),
      contextCheck: bytes(16),
      commitment: bytes(32),
      claims: fc.option(
        fc.dictionary(fc.string({ minLength: 1, maxLength: 5 }), fc.oneof(fc.string(), fc.nat())),
        { nil: undefined },
      ),
    })
    .map(({ t, contentType, claims, recipients, ...h }) => {
      const out: MessageHeader = {
        ...h,
        recipients: [...recipients],
        issuedAt: ordered ? Math.min(...t) : t[0],
        expiresAt: ordered ? Math.max(...t) : t[1],
      };
      if (contentType !== undefined) out.contentType = contentType;
      if (claims !== undefined) out.claims = new Map(Object.entries(claims));
      return out;
    });

/** What a decoder does with `input`: its value, or its error's code and message. */
export function outcome(decode: () => unknown): unknown {
  try {
    return { ok: decode() };
  } catch (e) {
    const err = e as { code?: string; message: string; constructor: { name: string } };
    return { error: err.constructor.name, code: err.code, message: err.message };
  }
}

/** Limits around the thresholds the fast reader checks (fields, depth, string bytes). */
export const limits: fc.Arbitrary<Limits> = fc.oneof(
  { weight: 3, arbitrary: fc.constant(DEFAULT_LIMITS) },
  fc
    .record({
      maxHeaderFields: fc.integer({ min: 1, max: 10 }),
      maxRecipients: fc.integer({ min: 1, max: 4 }),
      maxCborDepth: fc.integer({ min: 1, max: 5 }),
      maxStringBytes: fc.integer({ min: 1, max: 40 }),
    })
    .map((l) => ({ ...DEFAULT_LIMITS, ...l })),
);

const name = fc.constantFrom(
  'spiffe://example.org/sender',
  'urn:blindwire:x',
  'spiffe://bench.example/s',
  'a',
  'x'.repeat(30),
  'spiffe://é.example/s',
);

export const inner = fc.record({
  sender: name,
  senderKid: bytes(1, 64),
  signature: bytes(64),
  body: bytes(0, 300),
  padding: fc.constantFrom(undefined, 'padme' as const, { blockSize: 32 }),
});
