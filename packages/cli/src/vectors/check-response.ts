/**
 * The caller's side of a response vector (test-vectors/README.md, "Response
 * cases", `caller`; SPEC.md §6.3): rebuild the requester's state from the
 * request envelope and the recorded response secrets, then open each
 * response in order with that one state and compare with its `expect`.
 * Written against the documented file format, not against the generator.
 */
import {
  OPEN_FAILED_MESSAGE,
  fromBase64url,
  fromHex,
  isBlindwireError,
  openResponse,
  toHex,
  type CryptoBackend,
} from '@blindwire/core';
import { requesterFromSecrets } from '@blindwire/core/internal';
import type { CallerJson, CallerResponseJson } from '@blindwire/testkit';

/** One response against its expectation; the mismatches, empty when it holds. */
function compare(r: CallerResponseJson, i: number, result: unknown, error: unknown): string[] {
  const e = r.expect;
  const where = `caller.responses.${i}`;
  if (e.result === 'error') {
    if (!isBlindwireError(error)) return [`${where}: expected ${e.code}, got a result`];
    if (error.code !== e.code) return [`${where}: expected ${e.code}, got ${error.code}`];
    if (e.code === 'ERR_OPEN_FAILED' && error.message !== OPEN_FAILED_MESSAGE)
      return [`${where}: ERR_OPEN_FAILED must carry the fixed message`];
    return [];
  }
  if (isBlindwireError(error)) return [`${where}: expected success, got ${error.code}`];
  const o = result as Awaited<ReturnType<typeof openResponse>>;
  const errs: string[] = [];
  if (toHex(o.payload) !== e.payload) errs.push(`${where}: payload differs`);
  if (o.responder !== e.responder) errs.push(`${where}: responder ${o.responder}`);
  if (o.messageId !== e.messageId) errs.push(`${where}: response id ${o.messageId}`);
  if (o.contentType !== e.contentType) errs.push(`${where}: contentType ${o.contentType}`);
  return errs;
}

/** Opens the responses of `caller` in order, with the state rebuilt from `request`. */
export async function checkCaller(
  request: string,
  caller: CallerJson,
  backend: CryptoBackend,
): Promise<string[]> {
  const state = requesterFromSecrets(
    fromHex(request),
    caller.responseSecrets.map((s) => ({
      kid: fromBase64url(s.kid),
      responseSecret: fromHex(s.responseSecret),
    })),
  );
  const errs: string[] = [];
  for (const [i, r] of caller.responses.entries()) {
    let result: unknown;
    let error: unknown;
    try {
      result = await openResponse(state, fromHex(r.envelope), {
        now: caller.now,
        clockSkew: caller.clockSkew,
        backend,
      });
    } catch (x) {
      if (!isBlindwireError(x)) throw x;
      error = x;
    }
    errs.push(...compare(r, i, result, error));
  }
  return errs;
}
