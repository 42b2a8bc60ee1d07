/**
 * The caller's side of a response case (test-vectors/README.md, "Response
 * cases", `caller`): the requester's state rebuilt from the request envelope
 * and the recorded response secrets, a clock, and the responses it opens in
 * order with their outcomes (SPEC.md §6.3). Types and the validating parser,
 * used by parse.ts for `"kind": "response"` cases.
 */
import {
  array,
  base64url,
  fail,
  hex,
  integer,
  object,
  oneOf,
  onlyKeys,
  string,
  type Json,
} from './fields.js';

/** `rs_i` of one recipient of the request, by its kid (SPEC.md §4.3). */
export interface ResponseSecretJson {
  /** base64url: the kid of a recipient entry of the request. */
  kid: string;
  /** Hex, 32 bytes. */
  responseSecret: string;
}

/** What `openResponse` releases (SPEC.md §6.3 step 9). */
export interface ResponseExpectSuccess {
  result: 'success';
  /** Hex: the body. */
  payload: string;
  /** base64url: the responder kid (header key 11). */
  responder: string;
  /** 32 hex digits: the response id (header key 3). */
  messageId: string;
  contentType?: string;
}

/** A rejected response: exactly this code (SPEC.md §9). */
export interface ResponseExpectError {
  result: 'error';
  code: string;
}

export type ResponseExpect = ResponseExpectSuccess | ResponseExpectError;

/** One response the caller opens, and what it must give. */
export interface CallerResponseJson {
  envelope: string;
  expect: ResponseExpect;
}

/** README "Response cases": the requester opening responses with one state, in order. */
export interface CallerJson {
  responseSecrets: ResponseSecretJson[];
  /** The requester's clock, ms. */
  now: number;
  /** Tolerated skew, seconds. */
  clockSkew: number;
  responses: CallerResponseJson[];
}

function parseResponseExpect(v: unknown, path: string): void {
  const e = object(v, path);
  if (oneOf(e, 'result', ['success', 'error'] as const, path) === 'error') {
    onlyKeys(e, path, ['result', 'code']);
    if (!/^ERR_[A-Z0-9_]+$/.test(string(e, 'code', path)))
      fail(`${path}.code`, 'an error code (ERR_...)', e['code']);
    return;
  }
  onlyKeys(e, path, ['result', 'payload', 'responder', 'messageId', 'contentType']);
  hex(e, 'payload', path);
  base64url(e, 'responder', path);
  hex(e, 'messageId', path, 16);
  if (e['contentType'] !== undefined) string(e, 'contentType', path);
}

/** Checks `caller` of a response case against README "Response cases". */
export function parseCaller(c: Json): void {
  const o = object(c['caller'], 'caller');
  onlyKeys(o, 'caller', ['responseSecrets', 'now', 'clockSkew', 'responses']);
  const secrets = array(o, 'responseSecrets', 'caller');
  if (secrets.length === 0) fail('caller.responseSecrets', 'at least one entry', secrets);
  secrets.forEach((x, i) => {
    const path = `caller.responseSecrets.${i}`;
    const s = object(x, path);
    onlyKeys(s, path, ['kid', 'responseSecret']);
    base64url(s, 'kid', path);
    hex(s, 'responseSecret', path, 32);
  });
  integer(o, 'now', 'caller', 0);
  integer(o, 'clockSkew', 'caller', 0);
  const responses = array(o, 'responses', 'caller');
  if (responses.length === 0) fail('caller.responses', 'at least one response', responses);
  responses.forEach((x, i) => {
    const path = `caller.responses.${i}`;
    const r = object(x, path);
    onlyKeys(r, path, ['envelope', 'expect']);
    hex(r, 'envelope', path);
    parseResponseExpect(r['expect'], `${path}.expect`);
  });
}
