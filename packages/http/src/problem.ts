/**
 * Failures as RFC 9457 problem details with only `{type, title, status,
 * code}`: the stable code, never the request, the sender or a message. The
 * status follows the code (SPEC.md §9); a failed open is 400.
 */
import { ErrorCode, isBlindwireError } from '@blindwire/core';

/** The media type of a refusal body (`{ type, title, status, code }`). */
export const PROBLEM_MEDIA_TYPE = 'application/problem+json';

/** The code of a failure: a Blindwire code, else `ERR_HANDLER` (the handler threw). */
export function codeOf(e: unknown): string {
  return isBlindwireError(e) ? e.code : 'ERR_HANDLER';
}

const STATUS: Record<string, [number, string]> = {
  [ErrorCode.LimitExceeded]: [413, 'Content Too Large'],
  [ErrorCode.SenderNotAllowed]: [403, 'Forbidden'],
  ERR_NO_POLICY: [403, 'Forbidden'],
  ERR_UNSUPPORTED_MEDIA_TYPE: [415, 'Unsupported Media Type'],
  [ErrorCode.ReplayInFlight]: [409, 'Conflict'],
  [ErrorCode.Transport]: [503, 'Service Unavailable'],
  [ErrorCode.KeyRollback]: [503, 'Service Unavailable'],
  [ErrorCode.RecordMalformed]: [503, 'Service Unavailable'],
  ERR_HANDLER: [500, 'Internal Server Error'],
  ERR_RESPONSE: [500, 'Internal Server Error'],
};

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  415: 'Unsupported Media Type',
  500: 'Internal Server Error',
};

/** The status and title of a code: 400 Bad Request unless listed above. */
export function statusOf(code: string): [number, string] {
  return STATUS[code] ?? [400, 'Bad Request'];
}

/** A problem response carrying only the code (Content-Length fixed, not cacheable). */
export function problem(code: string, statusOverride?: number): Response {
  const [defaultStatus, defaultTitle] = statusOf(code);
  const status = statusOverride ?? defaultStatus;
  const title = statusOverride === undefined ? defaultTitle : (TITLES[statusOverride] ?? 'Error');
  const body = new TextEncoder().encode(
    JSON.stringify({ type: `urn:blindwire:error:${code}`, title, status, code }),
  );
  const headers: Record<string, string> = {
    'content-type': PROBLEM_MEDIA_TYPE,
    'content-length': String(body.length),
    'cache-control': 'no-store',
  };
  if (code === ErrorCode.ReplayInFlight || status === 503) headers['retry-after'] = '1';
  return new Response(body, { status, headers });
}

/** Reads a problem body's code, if it is one (unauthenticated: for reporting only). */
export function problemCode(text: string): string | undefined {
  try {
    const p = JSON.parse(text) as unknown;
    const code = typeof p === 'object' && p !== null ? (p as { code?: unknown }).code : undefined;
    // Only what a code looks like: a forged one never carries text into a message or a log.
    if (typeof code === 'string' && /^ERR_[A-Z_]{1,60}$/.test(code)) return code;
  } catch {
    return undefined;
  }
  return undefined;
}
