/**
 * Cases 100-121: messages that pin rules an implementer would otherwise have
 * to guess (framing heads, the order of limit and truncation, the inner
 * record's keys and limits, the message secret's length, the time range,
 * claim names, the context limit, PADMÉ lengths, strict Ed25519). Each
 * differs from a valid envelope or valid inputs in one thing, and most are
 * built so that an opener without the rule accepts them (or reaches another
 * code). The shape of a case is described in cases-valid.mjs; `why` (not
 * written to the files) pins the opener's message where a code has several
 * causes.
 */
import { pureBackend, signingKid } from '@blindwire/core';
import { concat, encodeMessageHeader, utf8 } from '@blindwire/core/internal';
import { craft, frameParts, headerPairs, rawMap, widerHead } from './craft.mjs';
import {
  IDENTITY,
  IDENTITY_Y_PLUS_P,
  ORDER_8,
  identityKeySignature,
  identityNonceSignature,
  sPlusL,
  smallOrderKeySignature,
} from './ed25519-bad.mjs';
import { deterministicBackend, fail, ok, sealHonest } from './fixtures.mjs';

/** An honest envelope with its frame rebuilt by `reframe(parts)` (craft.mjs `frameParts`). */
const reframed = (id, name, description, spec, code, reframe) => ({
  id,
  name,
  description,
  spec,
  build: async ({ c, b, messageId }) => ({
    envelope: reframe(frameParts(await sealHonest(c, b, messageId))),
    expect: fail(code),
  }),
});

/** A crafted envelope (craft.mjs) with the attacker's `choices(c, b)` and the open inputs `open(c)`. */
const crafted = (id, name, description, spec, code, choices, open) => ({
  id,
  name,
  description,
  spec,
  build: async ({ c, b, messageId }) => ({
    envelope: await craft(b, c, { messageId, ...(await choices(c, b)) }),
    open: open ? await open(c) : undefined,
    expect: fail(code),
  }),
});

/** alice's name, bound to the signing key `publicKey`: what a trust source that holds that key returns. */
async function aliceWithKey(c, publicKey) {
  return {
    name: c.alice.name,
    signing: { kid: await signingKid(publicKey, { backend: pureBackend }), publicKey },
    encryption: c.alice.encryption,
  };
}

/** The body that makes alice's inner record `total` bytes before padding (meta is 126 bytes + the head of len(body)). */
function bodyForInner(total) {
  const meta = (n) => 126 + (n < 24 ? 1 : n < 256 ? 2 : 3);
  let n = total - 127;
  while (meta(n) + n !== total) n--;
  return utf8('b'.repeat(n));
}

const padmeCase = (id, total, padded, literal) => ({
  id,
  name: `padding-padme-${total}`,
  description: `PADMÉ padding of an inner record of L = len(meta) + len(body) = ${total} bytes to ${padded}: E = floor(log2 L), S = floor(log2 E) + 1, L rounded up to a multiple of 2^(E - S). (Rounding L up to the next value with at most S significant bits would give ${literal}.) The opener accepts any zero padding; intermediates.inner shows the length.`,
  spec: '§7 step 13, §4.2',
  build: async ({ c, b, messageId }) => {
    const payload = bodyForInner(total);
    return {
      envelope: await sealHonest(c, b, messageId, { padding: 'padme' }, payload),
      expect: ok(c, { payload }),
    };
  },
});

const CASES = [
  // --- Framing heads, and a limit before the end of the input (§3, §7 steps 3-4) --
  reframed(
    100,
    'header-head-not-shortest',
    "An honest envelope whose header byte-string head is one size wider than the shortest form (same length). The header bytes, hence the AEAD's associated data and the signature, are unchanged: an opener that accepts any head opens it.",
    '§7 step 3, §3, §3.1 rule 2',
    'ERR_ENVELOPE_MALFORMED',
    (f) => concat(f.prefix, widerHead(f.header.length), f.header, f.rest),
  ),
  reframed(
    101,
    'ciphertext-head-not-shortest',
    'An honest envelope whose ciphertext byte-string head is one size wider than the shortest form (same length). Nothing authenticated changes: an opener that accepts any head opens it.',
    '§7 step 4, §3, §3.1 rule 2',
    'ERR_ENVELOPE_MALFORMED',
    (f) => concat(f.prefix, f.headerHead, f.header, widerHead(f.ciphertext.length), f.ciphertext),
  ),
  reframed(
    102,
    'header-indefinite-length',
    'An honest envelope whose header is an indefinite-length byte string (0x5f) of one definite chunk, the header bytes, then the break (0xff). The chunks concatenate to the same header bytes: an opener that accepts indefinite lengths opens it.',
    '§7 step 3, §3, §3.1 rule 1',
    'ERR_ENVELOPE_MALFORMED',
    (f) =>
      concat(f.prefix, Uint8Array.of(0x5f), f.headerHead, f.header, Uint8Array.of(0xff), f.rest),
  ),
  reframed(
    103,
    'header-length-over-limit-short-input',
    'An honest envelope whose header head says 65537 bytes (0x5a 00 01 00 01), one over the default maxHeaderBytes, in an input of a few hundred bytes: the limit is checked before the remaining input, so this is ERR_LIMIT_EXCEEDED, not a truncation.',
    '§7 step 3, §3.1, §8',
    'ERR_LIMIT_EXCEEDED',
    (f) => concat(f.prefix, Uint8Array.of(0x5a, 0x00, 0x01, 0x00, 0x01), f.header, f.rest),
  ),
  reframed(
    104,
    'header-length-2-pow-63',
    'An honest envelope whose header head says 2^63 bytes in the 8-byte form (0x5b 80 00 00 00 00 00 00 00): a length, not an integer, so SPEC.md §3.1 rule 4 does not apply; it is over maxHeaderBytes, which is checked before the remaining input.',
    '§7 step 3, §3.1, §8',
    'ERR_LIMIT_EXCEEDED',
    (f) => concat(f.prefix, Uint8Array.of(0x5b, 0x80, 0, 0, 0, 0, 0, 0, 0), f.header, f.rest),
  ),

  // --- Header fields (§4.1, §7 step 5) ------------------------------------------
  crafted(
    105,
    'claim-name-empty',
    'The header carries claims {"": "acme"}: a claim name is a non-empty text string. Otherwise valid and authenticated.',
    '§7 step 5, §4.1',
    'ERR_ENVELOPE_MALFORMED',
    () => ({ rewriteHeader: (h) => rawMap([...headerPairs(h), [9, new Map([['', 'acme']])]]) }),
  ),
  crafted(
    106,
    'expires-at-over-32-bits',
    "The header's expires-at is 2^32 (one past the largest time), issued-at as usual; otherwise valid and authenticated. An opener that accepts any unsigned integer opens it (the clock is well before it).",
    '§7 step 5, §4.1, §1',
    'ERR_ENVELOPE_MALFORMED',
    () => ({ rewriteHeader: (h) => encodeMessageHeader({ ...h, expiresAt: 2 ** 32 }) }),
  ),

  // --- The message secret and the inner record (§4.2, §4.3, §7 steps 9, 13) ------
  crafted(
    107,
    'inner-meta-extra-key',
    "The inner record's meta map has a fifth key, 5 => 0, after keys 1-4 (in order, deterministic), otherwise valid: properly encrypted, committed and signed. meta has exactly keys 1-4.",
    '§7 step 13, §4.2',
    'ERR_OPEN_FAILED',
    () => ({
      inner: (r) =>
        concat(
          rawMap([
            [1, r.sender],
            [2, r.senderKid],
            [3, r.signature],
            [4, r.body.length],
            [5, 0],
          ]),
          r.body,
        ),
    }),
  ),
  ...[
    [108, 33, (shared) => concat(shared, Uint8Array.of(0))],
    [109, 31, (shared) => shared.subarray(0, 31)],
  ].map(([id, n, secret]) =>
    crafted(
      id,
      `message-secret-${n}-bytes`,
      `Two recipients (bob, carol); the sender wraps a ${n}-byte message secret for both, and the commitment, content key and context check are derived from it (HKDF-Expand takes any key length), so an opener that does not check the length of the unwrapped secret opens it. ms is 32 bytes.`,
      '§7 step 9, §4.3',
      'ERR_OPEN_FAILED',
      (c) => ({
        recipients: [c.bob.encryption, c.carol.encryption],
        secretFor: (_i, shared) => secret(shared),
      }),
    ),
  ),
  {
    id: 110,
    name: 'sender-name-max-string-bytes',
    description:
      'An honest envelope from frank, whose identity name is exactly 1024 bytes (the default maxStringBytes): the inner record is decoded under the same limits as the header, and this name is within them.',
    spec: '§7 step 13, §4.2, §8',
    messageIdLabel: 'sender-name-max-string-bytes',
    build: async ({ c, messageId }) => ({
      envelope: await frankEnvelope(c, messageId),
      open: { trustedSenders: [c.frank] },
      expect: ok(c, { sender: c.frank.name, senderKid: c.frank.signing.kid }),
    }),
  },
  {
    id: 111,
    name: 'sender-name-over-max-string-bytes',
    description:
      "Case 110's envelope opened with maxStringBytes lowered to 1023: the sender name in the inner record is over the limit. A failure in the inner record is ERR_OPEN_FAILED, not ERR_LIMIT_EXCEEDED.",
    spec: '§7 step 13, §4.2, §8',
    messageIdLabel: 'sender-name-max-string-bytes',
    build: async ({ c, messageId }) => ({
      envelope: await frankEnvelope(c, messageId),
      open: { trustedSenders: [c.frank], limits: { maxStringBytes: 1023 } },
      expect: fail('ERR_OPEN_FAILED'),
    }),
  },
  crafted(
    112,
    'sender-name-1025-bytes',
    "Frank's envelope with a sender name one byte longer (1025 bytes, over the default maxStringBytes), signed with frank's key, otherwise valid: the inner record fails before the trust source is asked (no identity document can carry such a name, SPEC.md §10, so the opener trusts frank).",
    '§7 step 13, §4.2, §8',
    'ERR_OPEN_FAILED',
    (c) => ({ sender: `${c.frank.name}f`, senderKid: c.frank.signing.kid, signer: c.frank }),
    (c) => ({ trustedSenders: [c.frank] }),
  ),

  // --- The context limit (§4.3, §8) ---------------------------------------------
  {
    id: 113,
    name: 'context-over-limit',
    description:
      "An honest envelope opened with maxContextBytes lowered to 10 and the expected context 'tool:refund' (11 bytes): the caller's context is checked against the limit before the envelope is read.",
    spec: '§4.3, §8',
    build: async ({ c, b, messageId }) => ({
      envelope: await sealHonest(c, b, messageId),
      open: { limits: { maxContextBytes: 10 } },
      expect: fail('ERR_LIMIT_EXCEEDED'),
    }),
  },

  // --- PADMÉ lengths where the algorithm and "S significant bits" differ (§4.2) --
  padmeCase(114, 129, 144, 160),
  padmeCase(115, 961, 992, 1024),

  // --- Strict Ed25519 (§5.3), each satisfying [S]B = R + [k]A -------------------
  crafted(
    116,
    'ed25519-small-order-public-key',
    "The opener trusts, for alice's name, a signing key A of order 8 (c7176a70...ac037a), and the inner record names its kid. The signature is R = [r]B, S = r, with r chosen so that 8 divides k: [k]A is the identity and the equation holds (OpenSSL 3.0's Ed25519 verification accepts it). A is one of the eight small-order points.",
    '§7 step 15, §5.3 rule 2',
    'ERR_OPEN_FAILED',
    async (c) => ({
      senderKid: (await aliceWithKey(c, ORDER_8)).signing.kid,
      sign: (tbs) => smallOrderKeySignature(tbs),
    }),
    async (c) => ({ trustedSenders: [await aliceWithKey(c, ORDER_8)] }),
  ),
  crafted(
    117,
    'ed25519-small-order-r',
    "Alice's trusted key; the signature's R is the identity point (01 00 ... 00) and S = k·a mod L for alice's secret scalar a, so [S]B - [k]A is the identity: the equation holds (OpenSSL 3.0's Ed25519 verification accepts it). R is one of the eight small-order points.",
    '§7 step 15, §5.3 rule 2',
    'ERR_OPEN_FAILED',
    (c) => ({
      sign: (tbs) =>
        identityNonceSignature(
          c.alice.signing.privateKey,
          c.alice.signing.publicKey,
          IDENTITY,
          tbs,
        ),
    }),
  ),
  crafted(
    118,
    'ed25519-non-canonical-r',
    "Alice's trusted key; the signature's R is ee ff ... ff 7f, y = p + 1, a non-canonical encoding of the identity, and S = k·a mod L (k over these R bytes): a verifier that reduces y mod p and compares points finds the equation holds.",
    '§7 step 15, §5.3 rule 1',
    'ERR_OPEN_FAILED',
    (c) => ({
      sign: (tbs) =>
        identityNonceSignature(
          c.alice.signing.privateKey,
          c.alice.signing.publicKey,
          IDENTITY_Y_PLUS_P,
          tbs,
        ),
    }),
  ),
  crafted(
    119,
    'ed25519-non-canonical-public-key',
    "The opener trusts, for alice's name, the signing key A = ee ff ... ff 7f (y = p + 1, a non-canonical encoding of the identity), and the inner record names its kid. The signature is R = [r]B, S = r: with A decoded mod p, [k]A vanishes and the equation holds for any message (OpenSSL 3.0's Ed25519 verification accepts it).",
    '§7 step 15, §5.3 rule 1',
    'ERR_OPEN_FAILED',
    async (c) => ({
      senderKid: (await aliceWithKey(c, IDENTITY_Y_PLUS_P)).signing.kid,
      sign: () => identityKeySignature('non-canonical-public-key'),
    }),
    async (c) => ({ trustedSenders: [await aliceWithKey(c, IDENTITY_Y_PLUS_P)] }),
  ),
  crafted(
    120,
    'ed25519-s-not-below-l',
    "Alice's genuine signature with S replaced by S + L (still 32 bytes): the same scalar mod L, so a verifier that reduces S accepts it. S must be below L.",
    '§7 step 15, §5.3 rule 3',
    'ERR_OPEN_FAILED',
    (c, b) => ({
      sign: async (tbs) => sPlusL(await b.ed25519Sign(c.alice.signing.privateKey, tbs)),
    }),
  ),
  crafted(
    121,
    'ed25519-identity-key-and-signature',
    "The opener trusts, for alice's name, the signing key A = 01 00 ... 00 (the identity), and the signature is R = the identity, S = 0: [0]B - [k]A = R for every message. Verification by the equation alone (OpenSSL 3.0's, for one) accepts it; only the small-order rule refuses it.",
    '§7 step 15, §5.3 rule 2',
    'ERR_OPEN_FAILED',
    async (c) => ({
      senderKid: (await aliceWithKey(c, IDENTITY)).signing.kid,
      signature: concat(IDENTITY, new Uint8Array(32)),
    }),
    async (c) => ({ trustedSenders: [await aliceWithKey(c, IDENTITY)] }),
  ),
];

/** Case 110's envelope: frank to bob, honest, on its own DRBG. */
function frankEnvelope(c, messageId) {
  return sealHonest(c, deterministicBackend('sender-name-max-string-bytes'), messageId, {
    sender: c.frank,
  });
}

const WHY = {
  'header-head-not-shortest': /non-shortest/,
  'ciphertext-head-not-shortest': /non-shortest/,
  'header-indefinite-length': /indefinite length/,
  'header-length-over-limit-short-input': /header of 65537 bytes exceeds maxHeaderBytes/,
  'header-length-2-pow-63': /exceeds maxHeaderBytes/,
  'claim-name-empty': /claim names must be non-empty/,
  'expires-at-over-32-bits': /expires-at must be an unsigned integer up to 4294967295/,
  'context-over-limit': /context of 11 bytes exceeds maxContextBytes 10/,
};

export const MESSAGE_RULE_CASES = CASES.map((d) => (WHY[d.name] ? { ...d, why: WHY[d.name] } : d));
