/**
 * The making of response cases (test-vectors/README.md, "Response cases";
 * SPEC.md §6): a request sealed by alice with the public `seal`, opened by
 * each of its recipients with the public `open`; honest responses from the
 * public `sealResponse` (with a fixed id), each checked byte for byte against
 * craft-response.mjs; crafted ones from craft-response.mjs; and the caller's
 * side as the file writes it (`caller`), checked before it is written: every
 * response opens, in order, to its expected outcome both with the state
 * `seal` kept and with the state rebuilt from the file alone
 * (`requesterFromSecrets`).
 */
import {
  fromBase64url,
  fromHex,
  isBlindwireError,
  open,
  openResponse,
  pureBackend,
  seal,
  toHex,
} from '@blindwire/core';
import { equalBytes, requesterFromSecrets, sealResponseWithId } from '@blindwire/core/internal';
import { recipientView } from './craft.mjs';
import { craftResponse } from './craft-response.mjs';
import { CONTEXT, NOW, PAYLOAD, SKEW, TTL, messageIdFor } from './fixtures.mjs';

/** The responder's clock of most responses: issued-at = floor(now_ms / 1000) = T + 1 (SPEC.md §6.4). */
export const RESPONSE_NOW = NOW + 1999;
/** The lifetime of most responses, seconds. */
export const RESPONSE_TTL = 300;
/** The caller's clock when it opens them, ms. */
export const CALLER_NOW = NOW + 5000;

/**
 * A request from alice to `who` (names in the cast, default bob), sealed with
 * the public `seal`, and each recipient's side: its kid, `rs_i` and the
 * `open` result it answers with.
 */
export async function request(c, b, messageId, { who = ['bob'], aead } = {}) {
  const sealed = await seal(PAYLOAD, {
    sender: c.alice,
    recipients: who.map((w) => c[w].encryption),
    context: CONTEXT,
    now: NOW,
    ttl: TTL,
    messageId,
    backend: b,
    ...(aead ? { aead } : {}),
  });
  const parties = {};
  let suite;
  for (const w of who) {
    const key = c[w].encryption;
    const view = await recipientView(sealed.envelope, [key]);
    suite = view.suite;
    const opened = await open(sealed.envelope, {
      recipient: key,
      trustedSenders: [c.alice],
      context: CONTEXT,
      now: NOW,
      backend: pureBackend,
    });
    parties[w] = { kid: key.kid, rs: view.responseSecret, opened };
  }
  return { sealed, who, parties, suite, requestId: messageId };
}

/** The response fields of craft-response.mjs for an answer by `w` with inputs `r`. */
export function fieldsOf(req, w, r) {
  const issuedAt = Math.floor(r.now / 1000);
  return {
    suite: req.suite,
    responseSecret: req.parties[w].rs,
    responseId: r.responseId,
    issuedAt,
    expiresAt: issuedAt + r.ttl,
    contentType: r.contentType,
    requestId: req.requestId,
    responder: fromBase64url(req.parties[w].kid),
    body: r.payload,
    padding: r.padding,
  };
}

/**
 * An honest answer by `w`: the public `sealResponse` with the id fixed
 * (`sealResponseWithId`), checked byte for byte against craftResponse. `r`:
 * label (names the response id), payload, and optionally now, ttl,
 * contentType, padding. Returns the inputs (as the `response` object of a
 * file wants them), the envelope, the fields, and the success it opens to.
 */
export async function answer(req, w, r) {
  const inputs = {
    payload: r.payload,
    now: r.now ?? RESPONSE_NOW,
    ttl: r.ttl ?? RESPONSE_TTL,
    messageId: r.responseId ?? messageIdFor(`response\0${r.label}`),
    ...(r.contentType !== undefined ? { contentType: r.contentType } : {}),
    ...(r.padding !== undefined ? { padding: r.padding } : {}),
  };
  const { payload, ...options } = inputs;
  const { envelope } = await sealResponseWithId(req.parties[w].opened, payload, {
    ...options,
    backend: pureBackend,
  });
  const fields = fieldsOf(req, w, { ...inputs, responseId: inputs.messageId });
  if (!equalBytes(await craftResponse(pureBackend, fields), envelope)) {
    throw new Error(`craftResponse does not reproduce sealResponse (${r.label})`);
  }
  const expect = {
    result: 'success',
    payload: toHex(payload),
    responder: req.parties[w].kid,
    messageId: toHex(inputs.messageId),
    ...(inputs.contentType !== undefined ? { contentType: inputs.contentType } : {}),
  };
  return { inputs: { ...inputs, envelope }, envelope, fields, expect };
}

export const rejected = (code) => ({ result: 'error', code });

/** One `openResponse`, as an outcome in the file's terms. */
async function outcome(state, envelope, now) {
  try {
    const r = await openResponse(state, envelope, { now, clockSkew: SKEW, backend: pureBackend });
    return {
      result: 'success',
      payload: toHex(r.payload),
      responder: r.responder,
      messageId: r.messageId,
      ...(r.contentType !== undefined ? { contentType: r.contentType } : {}),
    };
  } catch (e) {
    if (!isBlindwireError(e)) throw e;
    return rejected(e.code);
  }
}

/**
 * The `caller` object of a file: the response secrets of every recipient of
 * the request, in header order, the caller's clock, and `responses` (each
 * `{ envelope, expect }`, opened in order). Checked first, twice.
 */
export async function callerJson(req, responses, now = CALLER_NOW) {
  const responseSecrets = req.who.map((w) => ({
    kid: req.parties[w].kid,
    responseSecret: toHex(req.parties[w].rs),
  }));
  const rebuilt = requesterFromSecrets(
    req.sealed.envelope,
    responseSecrets.map((s) => ({
      kid: fromBase64url(s.kid),
      responseSecret: fromHex(s.responseSecret),
    })),
  );
  for (const state of [req.sealed, rebuilt]) {
    for (const [i, r] of responses.entries()) {
      const got = await outcome(state, r.envelope, now);
      if (JSON.stringify(got) !== JSON.stringify(r.expect)) {
        throw new Error(
          `response ${i}: expected ${JSON.stringify(r.expect)}, got ${JSON.stringify(got)}`,
        );
      }
    }
  }
  return {
    responseSecrets,
    now,
    clockSkew: SKEW,
    responses: responses.map((r) => ({ envelope: toHex(r.envelope), expect: r.expect })),
  };
}
