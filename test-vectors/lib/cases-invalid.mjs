/**
 * Cases 020-048 (and 200): envelopes that must be rejected, each with the exact code.
 * Every negative case differs from a valid envelope (or valid open inputs) by
 * one thing; crafted envelopes are otherwise fully valid and authenticated.
 * The shape of a case is described in cases-valid.mjs.
 */
import { toBase64url, toHex } from '@blindwire/core';
import { concat, decodeInner, encodeMessageHeader, utf8 } from '@blindwire/core/internal';
import { threeRecipients } from './cases-valid.mjs';
import {
  craft,
  flipBit,
  headerPairs,
  nestedClaim,
  rawMap,
  recipientView,
  withByte,
} from './craft.mjs';
import { SKEW, T, TTL, fail, messageIdFor, sealHonest } from './fixtures.mjs';

/** An honest envelope opened with some open inputs changed (`open` may be a function of the cast). */
const openedWith = (id, name, description, spec, code, open) => ({
  id,
  name,
  description,
  spec,
  build: async ({ c, b, messageId }) => ({
    envelope: await sealHonest(c, b, messageId),
    open: typeof open === 'function' ? open(c) : open,
    expect: fail(code),
  }),
});

/** An honest envelope, then `mutate` applied to its bytes. */
const mutated = (id, name, description, spec, code, mutate) => ({
  id,
  name,
  description,
  spec,
  build: async ({ c, b, messageId }) => ({
    envelope: mutate(await sealHonest(c, b, messageId), messageId),
    expect: fail(code),
  }),
});

/** A crafted envelope (see craft.mjs) with the given attacker choices. */
const crafted = (id, name, description, spec, code, choices) => ({
  id,
  name,
  description,
  spec,
  build: async ({ c, b, messageId }) => ({
    envelope: await craft(b, c, {
      messageId,
      ...(typeof choices === 'function' ? choices(c) : choices),
    }),
    expect: fail(code),
  }),
});

const withHeaderPairs = (edit) => ({ rewriteHeader: (h) => rawMap(edit(headerPairs(h))) });

export const INVALID_CASES = [
  // --- After decryption: context, policy, trust, signature, replay ------------
  openedWith(
    20,
    'wrong-context',
    "The recipient expects context 'tool:transfer'; the sender bound 'tool:refund'.",
    '§7 step 17, §4.3',
    'ERR_CONTEXT_MISMATCH',
    { context: utf8('tool:transfer') },
  ),
  openedWith(
    21,
    'missing-context',
    "The sender bound 'tool:refund'; the recipient gives no context (empty).",
    '§7 step 17, §4.3',
    'ERR_CONTEXT_MISMATCH',
    { context: new Uint8Array(0) },
  ),
  openedWith(
    22,
    'sender-not-allowed',
    "allowedSenders ['spiffe://acme.example/tools/*'] does not match 'spiffe://acme.example/agents/planner'.",
    '§7 step 16',
    'ERR_SENDER_NOT_ALLOWED',
    { allowedSenders: ['spiffe://acme.example/tools/*'] },
  ),
  openedWith(
    23,
    'sender-not-trusted',
    'An honest message from alice; the recipient trusts only carol.',
    '§7 step 14',
    'ERR_KEY_UNTRUSTED',
    (c) => ({ trustedSenders: [c.carol] }),
  ),
  crafted(
    24,
    'untrusted-sender-key',
    "Mallory names alice as the sender but signs with her own key under her own kid: there is no trusted key for (alice's name, mallory's kid).",
    '§7 step 14',
    'ERR_KEY_UNTRUSTED',
    (c) => ({ senderKid: c.mallory.signing.kid, signer: c.mallory }),
  ),
  crafted(
    25,
    'bad-signature',
    "Signed with mallory's key but labelled with alice's name and alice's trusted kid: the signature does not verify.",
    '§7 step 15, §4.4',
    'ERR_OPEN_FAILED',
    (c) => ({ signer: c.mallory }),
  ),
  {
    id: 26,
    name: 'surreptitious-forwarding',
    description:
      "Bob opened alice's message and re-sealed her signed inner record (same body, same signature) to carol under a new header. The signature covers the original header, so carol rejects it.",
    spec: '§7 step 15, §4.4',
    build: async ({ c, b, messageId }) => {
      const original = await sealHonest(c, b, messageIdFor('forwarded-original'));
      const inner = decodeInner((await recipientView(original, [c.bob.encryption])).inner, true);
      const envelope = await craft(b, c, {
        messageId,
        recipients: [c.carol.encryption],
        sender: inner.sender,
        body: inner.body,
        signature: inner.signature,
      });
      return {
        envelope,
        open: { recipient: [c.carol.encryption] },
        expect: fail('ERR_OPEN_FAILED'),
      };
    },
  },
  {
    id: 27,
    name: 'replay',
    description: "The recipient's replay guard already holds this message id as processed.",
    spec: '§7 step 18',
    build: async ({ c, b, messageId }) => ({
      envelope: await sealHonest(c, b, messageId),
      open: { seenMessageIds: [toHex(messageId)] },
      expect: fail('ERR_REPLAY'),
    }),
  },

  // --- The cryptographic checks -------------------------------------------------
  mutated(
    28,
    'tag-flipped',
    'The last byte of the AEAD tag has one bit flipped.',
    '§7 step 12',
    'ERR_OPEN_FAILED',
    (env) => flipBit(env, env.length - 1),
  ),
  mutated(
    29,
    'header-tampered',
    'One bit of the message id in the header is flipped: the header is authenticated as associated data.',
    '§7 step 12, §4.3',
    'ERR_OPEN_FAILED',
    (env, id) => flipBit(env, Buffer.from(env).indexOf(Buffer.from(id)) + 15),
  ),
  openedWith(
    30,
    'wrong-private-key',
    "The recipient presents carol's private key under bob's kid: decapsulation yields another secret.",
    '§7 steps 9-11',
    'ERR_OPEN_FAILED',
    (c) => ({ recipient: [{ ...c.carol.encryption, kid: c.bob.encryption.kid }] }),
  ),

  // --- Before any secret is used: time, addressing, suite ---------------------
  openedWith(
    31,
    'expired',
    'Opened one second after expires-at + clockSkew.',
    '§7 step 7',
    'ERR_EXPIRED',
    { now: (T + TTL + SKEW + 1) * 1000 },
  ),
  openedWith(
    32,
    'max-age-exceeded',
    "Not expired, but older than the recipient's maxAge (300 s) plus clockSkew.",
    '§7 step 7',
    'ERR_EXPIRED',
    { now: (T + 300 + SKEW + 1) * 1000, maxAge: 300 },
  ),
  openedWith(
    33,
    'not-yet-valid',
    "The recipient's clock is clockSkew + 1 seconds before issued-at.",
    '§7 step 7',
    'ERR_NOT_YET_VALID',
    { now: (T - SKEW - 1) * 1000 },
  ),
  openedWith(
    34,
    'not-a-recipient',
    "Opened with carol's key; only bob is a recipient.",
    '§7 step 8',
    'ERR_KEY_NOT_FOUND',
    (c) => ({ recipient: [c.carol.encryption] }),
  ),
  {
    id: 35,
    name: 'suite-not-allowed',
    description: 'A ChaCha20-Poly1305 envelope; the recipient allows only AES-256-GCM.',
    spec: '§7 step 6, §5',
    build: async ({ c, b, messageId }) => ({
      envelope: await sealHonest(c, b, messageId, { aead: 'ChaCha20-Poly1305' }),
      open: { allowedSuites: ['AES-256-GCM'] },
      expect: fail('ERR_UNSUPPORTED_SUITE'),
    }),
  },
  crafted(
    36,
    'unknown-suite',
    'The header names suite (0x0020, 0x0001, 0xFFFF): the export-only AEAD is not an envelope suite.',
    '§7 step 6, §5',
    'ERR_UNSUPPORTED_SUITE',
    {
      rewriteHeader: (h) =>
        encodeMessageHeader({ ...h, suite: { kem: 0x20, kdf: 1, aead: 0xffff } }),
    },
  ),

  // --- Framing and header parsing ----------------------------------------------
  mutated(
    37,
    'truncated',
    'The last byte of the envelope is missing: the ciphertext byte string runs past the end.',
    '§7 step 4, §3',
    'ERR_ENVELOPE_MALFORMED',
    (env) => env.subarray(0, env.length - 1),
  ),
  mutated(
    38,
    'trailing-byte',
    'One zero byte after the ciphertext byte string.',
    '§7 step 4, §3',
    'ERR_ENVELOPE_MALFORMED',
    (env) => concat(env, Uint8Array.of(0)),
  ),
  mutated(
    39,
    'bad-magic',
    "The magic is 'BX' instead of 'BW'.",
    '§7 step 2, §3',
    'ERR_ENVELOPE_MALFORMED',
    (env) => withByte(env, 1, 0x58),
  ),
  mutated(
    40,
    'bad-version',
    'The version byte is 0x02.',
    '§7 step 2, §3',
    'ERR_UNSUPPORTED_VERSION',
    (env) => withByte(env, 2, 0x02),
  ),
  mutated(
    41,
    'wrong-kind',
    'A message whose kind byte says response (0x02), given to a message opener.',
    '§7 step 2, §3',
    'ERR_ENVELOPE_MALFORMED',
    (env) => withByte(env, 3, 0x02),
  ),
  crafted(
    42,
    'duplicate-header-key',
    'The header map has key 4 (issued-at) twice with the same value; the AEAD and signature cover these exact bytes.',
    '§7 step 5, §3.1 rule 6',
    'ERR_ENVELOPE_MALFORMED',
    withHeaderPairs((pairs) => pairs.flatMap((p) => (p[0] === 4 ? [p, p] : [p]))),
  ),
  crafted(
    43,
    'unordered-header-keys',
    'The header map has keys 4 and 5 swapped (not in ascending order), otherwise valid and authenticated.',
    '§7 step 5, §3.1 rule 6',
    'ERR_ENVELOPE_MALFORMED',
    withHeaderPairs((pairs) => {
      const i = pairs.findIndex((p) => p[0] === 4);
      [pairs[i], pairs[i + 1]] = [pairs[i + 1], pairs[i]];
      return pairs;
    }),
  ),
  crafted(
    44,
    'unknown-header-field',
    'The header carries an unknown field 12 (an unsigned integer), otherwise valid and authenticated.',
    '§7 step 5, §4.1',
    'ERR_ENVELOPE_MALFORMED',
    withHeaderPairs((pairs) => [...pairs, [12, 1]]),
  ),
  crafted(
    45,
    'cbor-depth-at-limit',
    'A claim value nested to depth 8 (the header map is depth 1): within maxCborDepth, so decoding succeeds and validation rejects the claim value (neither text nor an integer).',
    '§7 step 5, §3.1, §4.1, §8',
    'ERR_ENVELOPE_MALFORMED',
    withHeaderPairs((pairs) => [...pairs, [9, nestedClaim(8)]]),
  ),
  crafted(
    46,
    'cbor-too-deep',
    'A claim value nested to depth 9, one past the default maxCborDepth of 8.',
    '§7 step 5, §3.1, §8',
    'ERR_LIMIT_EXCEEDED',
    withHeaderPairs((pairs) => [...pairs, [9, nestedClaim(9)]]),
  ),
  {
    id: 47,
    name: 'envelope-too-large',
    description:
      'maxEnvelopeBytes lowered to one byte less than the envelope (case 016 is the boundary).',
    spec: '§7 step 1, §8',
    build: async ({ c, b, messageId }) => {
      const envelope = await sealHonest(c, b, messageId);
      const limits = { maxEnvelopeBytes: envelope.length - 1 };
      return { envelope, open: { limits }, expect: fail('ERR_LIMIT_EXCEEDED') };
    },
  },
  {
    id: 48,
    name: 'too-many-recipients',
    description:
      "Case 004's three-recipient envelope opened by bob with maxRecipients lowered to 2.",
    spec: '§7 step 5, §8',
    messageIdLabel: 'three-recipients',
    build: async ({ c, messageId }) => ({
      envelope: await threeRecipients(c, messageId),
      open: { limits: { maxRecipients: 2 } },
      expect: fail('ERR_LIMIT_EXCEEDED'),
    }),
  },
  crafted(
    200,
    'sender-kid-not-thumbprint',
    "Alice signs with her own trusted key, but names it by the 15-byte kid 'alice/signing/1' instead of its thumbprint: a sender signing kid MUST be the thumbprint of its key, and no trusted key has that kid.",
    '§7 step 14, §5.2, §1',
    'ERR_KEY_UNTRUSTED',
    () => ({ senderKid: toBase64url(utf8('alice/signing/1')) }),
  ),
];
