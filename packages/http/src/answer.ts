/**
 * The plaintext response an agent gets: the sealed status and headers (the
 * body's content type and those the tool chose to seal) over the outer,
 * public ones; our carrier headers dropped.
 */
import { BlindwireError, ErrorCode } from '@blindwire/core';
import { STATUS_FIELD, type HttpRecord } from './record.js';

/** The plaintext response: the sealed status and headers over the outer public ones. */
export function responseOf(record: HttpRecord, outer: Response): Response {
  const headers = new Headers();
  outer.headers.forEach((v, k) => {
    if (k !== 'content-type' && k !== 'content-length' && !k.startsWith('bw-'))
      headers.append(k, v);
  });
  let status = outer.status;
  for (const [k, v] of record.headers) {
    if (k === STATUS_FIELD) status = Number(v);
    else headers.set(k, v);
  }
  if (!Number.isInteger(status) || status < 200 || status > 599)
    throw new BlindwireError(ErrorCode.EnvelopeMalformed, 'the sealed status is not 200-599');
  const nullBody = [204, 205, 304].includes(status);
  return new Response(nullBody ? null : (record.body as BodyInit), { status, headers });
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
