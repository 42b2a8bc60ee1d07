/**
 * Cases 180-199: responses alice must reject, each with the exact code of
 * SPEC.md §6.3. Each starts from bob's honest answer to alice's request
 * (application/json) and changes one thing: a header field, the frame, the
 * caller's clock, the AEAD or the inner record, or the order of arrival.
 * Crafted responses (craft-response.mjs) are otherwise complete: the key is
 * bob's real response key and the AEAD covers the header as written, so only
 * the change can be what fails. A few cases pin the order of §6.3 on purpose
 * (192: the times before the request; 199: authentication before replay).
 */
import { fromBase64url, pureBackend } from '@blindwire/core';
import { concat, encodeCbor, suiteByName, utf8 } from '@blindwire/core/internal';
import { responseCase } from './cases-response.mjs';
import { craftResponse, responseInner } from './craft-response.mjs';
import { flipBit, withByte } from './craft.mjs';
import { SKEW, messageIdFor } from './fixtures.mjs';
import { answer, rejected } from './response-case.mjs';

const JSON_BODY = utf8('{"refund":"accepted","id":"R-77"}');
const CONTENT_TYPE = 'application/json';

/**
 * Bob's honest answer `a`, then `change({ c, req, a })` gives the one response
 * alice opens ({ envelope, now? }), which must fail with `code`.
 */
const changed = (id, name, description, spec, code, change, requestOptions = {}) =>
  responseCase(id, name, description, spec, requestOptions, async ({ c, req }) => {
    const a = await answer(req, 'bob', {
      label: name,
      payload: JSON_BODY,
      contentType: CONTENT_TYPE,
    });
    const { envelope, now } = await change({ c, req, a });
    return { responses: [{ envelope, expect: rejected(code) }], now };
  });

/** Bob's answer crafted with some of its fields replaced (craft-response.mjs). */
const crafted = (id, name, description, spec, code, fields) =>
  changed(id, name, description, spec, code, async ({ c, a }) => ({
    envelope: await craftResponse(pureBackend, {
      ...a.fields,
      ...(typeof fields === 'function' ? fields({ c, a }) : fields),
    }),
  }));

/** `bytes` with the one occurrence of `from` replaced by `to` (same length). */
function replaceOnce(bytes, from, to) {
  const hex = Buffer.from(bytes).toString('hex');
  const at = hex.indexOf(Buffer.from(from).toString('hex'));
  if (at < 0 || at % 2 !== 0 || hex.indexOf(Buffer.from(from).toString('hex'), at + 2) >= 0)
    throw new Error('replaceOnce: not exactly one occurrence');
  const out = bytes.slice();
  out.set(to, at / 2);
  return out;
}

/** Insert a header pair before key 10, keeping the keys in ascending order. */
const before10 = (pair) => (pairs) => {
  const i = pairs.findIndex(([k]) => k === 10);
  return [...pairs.slice(0, i), pair, ...pairs.slice(i)];
};

export const RESPONSE_INVALID_CASES = [
  // --- The header (§6.2, §6.3 step 2): ERR_ENVELOPE_MALFORMED ------------------
  crafted(
    180,
    'response-unknown-header-key',
    'The response header has a key 13, which no header defines (an otherwise valid response, sealed with its AAD over the header as written).',
    '§6.2, §6.3 step 2',
    'ERR_ENVELOPE_MALFORMED',
    { editPairs: (pairs) => [...pairs, [13, 0]] },
  ),
  crafted(
    181,
    'response-header-has-claims',
    'The response header has public claims (key 9, {"tenant": "acme"}): a message field, not a response field, so an unknown key here.',
    '§6.2, §6.3 step 2',
    'ERR_ENVELOPE_MALFORMED',
    { editPairs: before10([9, new Map([['tenant', 'acme']])]) },
  ),
  crafted(
    182,
    'response-empty-content-type',
    'The content type (key 6) is the empty text string; when present it must be non-empty.',
    '§6.2, §6.3 step 2',
    'ERR_ENVELOPE_MALFORMED',
    { contentType: '' },
  ),
  crafted(
    183,
    'response-expires-before-issued',
    'expires-at is one second before issued-at.',
    '§6.2, §6.3 step 2',
    'ERR_ENVELOPE_MALFORMED',
    ({ a }) => ({ expiresAt: a.fields.issuedAt - 1 }),
  ),
  crafted(
    184,
    'response-time-over-32-bits',
    'expires-at is 2^32 (4294967296), one more than a time may be.',
    '§6.2, §6.3 step 2',
    'ERR_ENVELOPE_MALFORMED',
    { expiresAt: 2 ** 32 },
  ),
  crafted(
    185,
    'response-responder-kid-too-long',
    'The responder kid (key 11) is 65 bytes; a kid has 1 to 64.',
    '§6.2, §6.3 step 2',
    'ERR_ENVELOPE_MALFORMED',
    { responder: new Uint8Array(65).fill(0x42) },
  ),
  changed(
    186,
    'response-message-kind',
    "Bob's answer with its kind byte set to 0x01 (a message): a response opener expects kind 0x02.",
    '§6.3 step 1, §3',
    'ERR_ENVELOPE_MALFORMED',
    ({ a }) => ({ envelope: withByte(a.envelope, 3, 0x01) }),
  ),
  // --- Suite, times, request and responder (§6.3 steps 3-5), no secret used ---
  crafted(
    187,
    'response-suite-differs',
    "The response names and uses ChaCha20-Poly1305, a suite the requester supports, but the request's suite is AES-256-GCM.",
    '§6.3 step 3',
    'ERR_UNSUPPORTED_SUITE',
    { suite: suiteByName('ChaCha20-Poly1305') },
  ),
  changed(
    188,
    'response-expired',
    "Alice opens bob's answer one second after expires-at + clockSkew.",
    '§6.3 step 4',
    'ERR_EXPIRED',
    ({ a }) => ({ envelope: a.envelope, now: (a.fields.expiresAt + SKEW + 1) * 1000 }),
  ),
  changed(
    189,
    'response-not-yet-valid',
    "Alice's clock is one second before bob's issued-at - clockSkew.",
    '§6.3 step 4',
    'ERR_NOT_YET_VALID',
    ({ a }) => ({ envelope: a.envelope, now: (a.fields.issuedAt - SKEW - 1) * 1000 }),
  ),
  crafted(
    190,
    'response-wrong-request-id',
    "Sealed under bob's real response key, but the request id (key 10) names another request.",
    '§6.3 step 5',
    'ERR_KEY_NOT_FOUND',
    { requestId: messageIdFor('another request') },
  ),
  crafted(
    191,
    'response-responder-not-a-recipient',
    "The responder kid (key 11) is mallory's encryption kid, which is not among the request's recipients.",
    '§6.3 step 5',
    'ERR_KEY_NOT_FOUND',
    ({ c }) => ({ responder: fromBase64url(c.mallory.encryption.kid) }),
  ),
  changed(
    192,
    'response-expired-and-wrong-request-id',
    "Two defects: the request id names another request, and alice's clock is past expires-at + clockSkew. The times run first (step 4 before step 5).",
    '§6.3 steps 4-5',
    'ERR_EXPIRED',
    async ({ a }) => ({
      envelope: await craftResponse(pureBackend, {
        ...a.fields,
        requestId: messageIdFor('another request'),
      }),
      now: (a.fields.expiresAt + SKEW + 1) * 1000,
    }),
  ),
  // --- The AEAD and the inner record (§6.3 steps 6-7): ERR_OPEN_FAILED --------
  changed(
    193,
    'response-tag-flipped',
    "Bob's answer with the last bit of its AEAD tag flipped.",
    '§6.3 step 6',
    'ERR_OPEN_FAILED',
    ({ a }) => ({ envelope: flipBit(a.envelope, a.envelope.length - 1) }),
  ),
  changed(
    194,
    'response-header-tampered',
    "Bob's answer with its content type changed in transit from 'application/json' to 'application/jsoo': the header still parses, but it is the AEAD's associated data.",
    '§6.1, §6.3 step 6',
    'ERR_OPEN_FAILED',
    ({ a }) => ({
      envelope: replaceOnce(a.envelope, utf8(CONTENT_TYPE), utf8('application/jsoo')),
    }),
  ),
  responseCase(
    195,
    'response-responder-kid-swapped',
    "A request to bob and carol. Carol's honest answer with its responder kid (key 11) replaced by bob's: alice derives bob's response key, under which carol's ciphertext does not open.",
    '§6.1, §6.3 steps 5-6',
    { who: ['bob', 'carol'] },
    async ({ c, req }) => {
      const a = await answer(req, 'carol', { label: 'swapped', payload: JSON_BODY });
      const carol = fromBase64url(c.carol.encryption.kid);
      const bob = fromBase64url(c.bob.encryption.kid);
      return {
        responses: [
          { envelope: replaceOnce(a.envelope, carol, bob), expect: rejected('ERR_OPEN_FAILED') },
        ],
      };
    },
  ),
  crafted(
    196,
    'response-inner-extra-key',
    "The inner record's meta map has a sender name (key 1) besides the body length (key 4); a response's meta has key 4 alone.",
    '§6.1, §6.3 step 7',
    'ERR_OPEN_FAILED',
    ({ c }) => ({
      inner: concat(
        encodeCbor(
          new Map([
            [1, c.bob.name],
            [4, JSON_BODY.length],
          ]),
        ),
        JSON_BODY,
      ),
    }),
  ),
  crafted(
    197,
    'response-inner-nonzero-padding',
    'The inner record is followed by one padding byte 0x01; padding bytes must be zero.',
    '§6.3 step 7, §4.2',
    'ERR_OPEN_FAILED',
    { inner: concat(responseInner(JSON_BODY), Uint8Array.of(1)) },
  ),
  // --- Replay (§6.3 step 8) ----------------------------------------------------
  responseCase(
    198,
    'response-replayed',
    "Bob's answer reaches alice twice: the first opens, the second is the same (responder kid, response id) pair again.",
    '§6.3 step 8',
    {},
    async ({ req }) => {
      const a = await answer(req, 'bob', { label: 'replayed', payload: JSON_BODY });
      return { responses: [a, { envelope: a.envelope, expect: rejected('ERR_REPLAY') }] };
    },
  ),
  responseCase(
    199,
    'response-forged-copy-after-accepted',
    "Bob's answer opens; then a copy with its last byte flipped arrives. It fails authentication before the replay check: ERR_OPEN_FAILED, not ERR_REPLAY.",
    '§6.3 step 6, §6.3 step 8',
    {},
    async ({ req }) => {
      const a = await answer(req, 'bob', { label: 'forged after', payload: JSON_BODY });
      const forged = flipBit(a.envelope, a.envelope.length - 1);
      return { responses: [a, { envelope: forged, expect: rejected('ERR_OPEN_FAILED') }] };
    },
  ),
];
