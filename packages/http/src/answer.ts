/**
 * The plaintext response an agent gets: the sealed status, the sealed
 * headers (the body's content type and those the tool chose to seal) and the
 * sealed body, nothing else. The outer headers, which any proxy may have
 * added or changed, are kept apart as `unsealedHeaders` (SPEC.md §11d.3).
 */
import { BlindwireError, ErrorCode } from '@blindwire/core';
import { STATUS_FIELD, type HttpRecord } from './record.js';

/** The tool's answer, opened: only what was sealed, and the outer headers apart. */
export type SealedResponse = Response & {
  /** The outer response's headers, unauthenticated: never the tool's word. */
  readonly unsealedHeaders: Headers;
};

/** The plaintext response: the sealed `:status` (required), the sealed fields and body. */
export function responseOf(record: HttpRecord, outer: Response): SealedResponse {
  const headers = new Headers();
  let status: number | undefined;
  for (const [k, v] of record.headers) {
    if (k === STATUS_FIELD) status = Number(v);
    else headers.append(k, v);
  }
  if (status === undefined || !Number.isInteger(status) || status < 200 || status > 599)
    throw new BlindwireError(
      ErrorCode.EnvelopeMalformed,
      'the sealed reply has no :status from 200 to 599',
    );
  const unsealed = new Headers();
  outer.headers.forEach((v, k) => unsealed.append(k, v));
  const nullBody = [204, 205, 304].includes(status);
  const res = new Response(nullBody ? null : (record.body as BodyInit), { status, headers });
  Object.defineProperty(res, 'unsealedHeaders', { value: unsealed, enumerable: false });
  return res as SealedResponse;
}

/**
 * Whether `r` is a Fetch Response: by shape, since servers such as
 * @hono/node-server install a Response class of their own.
 */
export function isResponse(r: unknown): r is Response {
  return (
    typeof r === 'object' &&
    r !== null &&
    typeof (r as Response).status === 'number' &&
    typeof (r as Response).headers?.get === 'function' &&
    'body' in r
  );
}
