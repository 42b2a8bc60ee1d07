/**
 * Cases 170-176: responses that open (SPEC.md §6), each a request from alice
 * that bob opens (the case's `envelope` and `expect`), and the caller's side
 * (`caller`): the responses alice opens with her state, in order. Where bob
 * answers honestly, `response` also lets a responder re-seal his answer byte
 * for byte. The shape of a case is described in cases-valid.mjs; `build`
 * also returns `caller` (response-case.mjs).
 */
import { utf8 } from '@blindwire/core/internal';
import { flipBit } from './craft.mjs';
import { SKEW, ok } from './fixtures.mjs';
import {
  RESPONSE_NOW,
  RESPONSE_TTL,
  answer,
  callerJson,
  rejected,
  request,
} from './response-case.mjs';

const JSON_BODY = utf8('{"refund":"accepted","id":"R-77"}');

/** A response case: `make({ c, req })` returns { response?, responses, now? }. */
export const responseCase = (id, name, description, spec, requestOptions, make) => ({
  id,
  name,
  kind: 'response',
  description,
  spec,
  build: async ({ c, b, messageId }) => {
    const req = await request(c, b, messageId, requestOptions);
    const made = await make({ c, req });
    return {
      envelope: req.sealed.envelope,
      expect: ok(c),
      ...(made.response ? { response: made.response.inputs } : {}),
      caller: await callerJson(req, made.responses, made.now),
    };
  },
});

/** One honest answer from bob, opened once by the caller: it must succeed. */
const bobAnswers = (id, name, description, spec, requestOptions, r) =>
  responseCase(id, name, description, spec, requestOptions, async ({ req }) => {
    const a = await answer(req, 'bob', { label: name, ...r });
    return { response: a, responses: [a] };
  });

export const RESPONSE_VALID_CASES = [
  bobAnswers(
    170,
    'response-content-type',
    `Bob answers alice's request with a content type and PADMÉ padding, at ${RESPONSE_NOW} ms: issued-at is floor(now_ms / 1000), expires-at issued-at + ${RESPONSE_TTL}. Re-seal response.payload as bob (byte for byte); open caller.responses with alice's state.`,
    '§6.2, §6.3, §6.4',
    {},
    { payload: JSON_BODY, contentType: 'application/json', padding: 'padme' },
  ),
  bobAnswers(
    171,
    'response-empty-body',
    'Bob answers with an empty body, no content type and no padding: the inner record is the meta record {4: 0} alone.',
    '§6.1, §6.3 step 7, §6.4 step 6',
    {},
    { payload: new Uint8Array(0), padding: 'none' },
  ),
  bobAnswers(
    172,
    'response-aes-128-gcm',
    "A request under AES-128-GCM: the response uses the request's suite, and its key is 16 bytes (Nk of the suite).",
    '§6.1, §6.2, §6.4',
    { aead: 'AES-128-GCM' },
    { payload: JSON_BODY },
  ),
  responseCase(
    173,
    'response-several-recipients',
    "A request to bob, carol and dave; bob and carol answer, each under its own response secret (header key 11 names the responder). Alice's state holds all three secrets; both responses open, in order. response is bob's answer.",
    '§6.1, §6.3 step 5',
    { who: ['bob', 'carol', 'dave'] },
    async ({ req }) => {
      const fromBob = await answer(req, 'bob', { label: 'several bob', payload: utf8('bob') });
      const fromCarol = await answer(req, 'carol', {
        label: 'several carol',
        payload: utf8('carol'),
      });
      return { response: fromBob, responses: [fromBob, fromCarol] };
    },
  ),
  responseCase(
    174,
    'response-same-id-other-responder',
    "A request to bob and carol; carol answers with the response id bob used. What opens once is the pair (responder kid, response id), so both open: one recipient cannot block another's answer by copying its public id.",
    '§6.3 step 8',
    { who: ['bob', 'carol'] },
    async ({ req }) => {
      const fromBob = await answer(req, 'bob', { label: 'same id', payload: utf8('bob') });
      const fromCarol = await answer(req, 'carol', {
        label: 'same id',
        responseId: fromBob.fields.responseId,
        payload: utf8('carol'),
      });
      return { response: fromBob, responses: [fromBob, fromCarol] };
    },
  ),
  responseCase(
    175,
    'response-expiry-boundary',
    "Alice opens bob's answer exactly at expires-at + clockSkew: still valid (expired means now > expires-at + skew).",
    '§6.3 step 4',
    {},
    async ({ req }) => {
      const a = await answer(req, 'bob', { label: 'boundary', payload: JSON_BODY });
      return { response: a, responses: [a], now: (a.fields.expiresAt + SKEW) * 1000 };
    },
  ),
  responseCase(
    176,
    'response-forged-copy-first',
    "A copy of bob's answer with its last byte flipped reaches alice first (ERR_OPEN_FAILED); the genuine answer, same responder and response id, then opens: only authenticated responses are remembered.",
    '§6.3 step 6, §6.3 step 8',
    {},
    async ({ req }) => {
      const a = await answer(req, 'bob', { label: 'forged first', payload: JSON_BODY });
      const forged = flipBit(a.envelope, a.envelope.length - 1);
      return {
        response: a,
        responses: [{ envelope: forged, expect: rejected('ERR_OPEN_FAILED') }, a],
      };
    },
  ),
];
