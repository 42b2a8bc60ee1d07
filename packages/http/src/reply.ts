/**
 * The tool's answer as it leaves: the handler's status, body and chosen
 * headers sealed (SPEC.md §6.4, or §4.5 in stream mode), the outer response
 * carrying only our media type, hints (SPEC.md §11c), `Cache-Control:
 * no-store`, `Vary: *`, no validator derived from the plaintext, and the exact
 * Content-Length.
 */
import { CarrierHeader, MediaType } from '@blindwire/core';
import { readBounded } from './body.js';
import { STATUS_FIELD, fieldsOf, type HttpRecord } from './record.js';

/** Headers never copied from the handler's response to the outer one. */
const DROPPED = new Set([
  'content-type',
  'content-length',
  'content-encoding',
  'transfer-encoding',
  'etag',
  'last-modified',
  'content-md5',
  'digest',
  'content-digest',
  'repr-digest',
  'cache-control',
  'vary',
  'connection',
  'keep-alive',
]);

/** Reads the handler's response into a record: status, content type, chosen headers, body. */
export async function recordOf(
  res: Response,
  sealHeaders: readonly string[],
  limit: number,
): Promise<HttpRecord> {
  const body = await readBounded(res.body, limit, 'the response body');
  const headers: [string, string][] = [
    [STATUS_FIELD, String(res.status)],
    ...fieldsOf(res.headers, sealHeaders, true),
  ];
  return { body, headers };
}

/**
 * The outer response around `envelope`: always 200 with no reason phrase,
 * whatever the handler answered (its status is sealed as `:status`, SPEC.md
 * §11d.3), so that a proxy cannot read the outcome of a call from it.
 */
export function outerResponse(
  res: Response,
  envelope: Uint8Array,
  mediaType: string,
  hints: { messageId: string; requestId?: string },
  sealHeaders: readonly string[],
): Response {
  const headers = new Headers();
  res.headers.forEach((v, k) => {
    if (!DROPPED.has(k) && !sealHeaders.includes(k)) headers.append(k, v);
  });
  headers.set('content-type', mediaType);
  headers.set('content-length', String(envelope.length));
  headers.set('cache-control', 'no-store');
  headers.set('vary', '*');
  headers.set(CarrierHeader.MessageId, hints.messageId);
  if (hints.requestId !== undefined) headers.set(CarrierHeader.RequestId, hints.requestId);
  return new Response(envelope as BodyInit, { status: 200, headers });
}

export const RESPONSE_MEDIA_TYPE = MediaType.Response;
