/**
 * The caller's side of the response vectors (test-vectors/README.md,
 * "Response cases", `caller`; SPEC.md §6.3), on every backend: the
 * requester's state is rebuilt from the request envelope and the recorded
 * response secrets alone, and each response opens, in order and with that
 * one state, to exactly its expected outcome. The request and the responder's
 * side are checked by envelope-vectors.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { CallerJson, MessageCase, ResponseExpect } from '@blindwire/testkit';
import {
  OPEN_FAILED_MESSAGE,
  fromBase64url,
  fromHex,
  isBlindwireError,
  toHex,
  type CryptoBackend,
} from '../src/index.js';
import { openResponse, requesterFromSecrets } from '../src/envelope/response.js';
import { backends } from './helpers/backends.js';
import { messageCases } from './helpers/vector-inputs.js';

const withCaller = messageCases.filter(
  (x): x is { file: string; c: MessageCase & { caller: CallerJson } } =>
    x.c.kind === 'response' && x.c.caller !== undefined,
);

/** Every code §6.3 can give a well-formed response, each with its vector. */
const RESPONSE_CODES = [
  'ERR_ENVELOPE_MALFORMED',
  'ERR_EXPIRED',
  'ERR_KEY_NOT_FOUND',
  'ERR_NOT_YET_VALID',
  'ERR_OPEN_FAILED',
  'ERR_REPLAY',
  'ERR_UNSUPPORTED_SUITE',
];

/** Opens the case's responses in order with one rebuilt state; the outcome of each. */
async function openAll(c: MessageCase & { caller: CallerJson }, backend: CryptoBackend) {
  const state = requesterFromSecrets(
    fromHex(c.envelope),
    c.caller.responseSecrets.map((s) => ({
      kid: fromBase64url(s.kid),
      responseSecret: fromHex(s.responseSecret),
    })),
  );
  const out: { got: ResponseExpect; message?: string; cause?: unknown }[] = [];
  for (const r of c.caller.responses) {
    try {
      const o = await openResponse(state, fromHex(r.envelope), {
        now: c.caller.now,
        clockSkew: c.caller.clockSkew,
        backend,
      });
      const got: ResponseExpect = {
        result: 'success',
        payload: toHex(o.payload),
        responder: o.responder,
        messageId: o.messageId,
      };
      if (o.contentType !== undefined) got.contentType = o.contentType;
      out.push({ got });
    } catch (e) {
      if (!isBlindwireError(e)) throw e;
      out.push({ got: { result: 'error', code: e.code }, message: e.message, cause: e.cause });
    }
  }
  return out;
}

describe('response vectors: the caller side', () => {
  it('cover every code of §6.3, success with several responders, and replay', () => {
    const expects = withCaller.flatMap(({ c }) => c.caller.responses.map((r) => r.expect));
    const codes = new Set(expects.flatMap((e) => (e.result === 'error' ? [e.code] : [])));
    expect([...codes].sort()).toEqual(RESPONSE_CODES);
    expect(withCaller.some(({ c }) => c.caller.responseSecrets.length > 1)).toBe(true);
    expect(withCaller.some(({ c }) => c.caller.responses.length > 1)).toBe(true);
  });

  describe.each(backends.map((b) => [b.name, b] as const))('on the %s backend', (_n, backend) => {
    it.each(withCaller.map(({ file, c }) => [file, c] as const))('%s', async (file, c) => {
      const outcomes = await openAll(c, backend);
      c.caller.responses.forEach((r, i) => {
        const { got, message, cause } = outcomes[i]!;
        expect(got, `${file} response ${i}`).toEqual(r.expect);
        if (got.result === 'error' && got.code === 'ERR_OPEN_FAILED') {
          expect(message).toBe(OPEN_FAILED_MESSAGE);
          expect(cause).toBeUndefined();
        }
      });
    });
  });
});
