/**
 * The agent's side: `sealedFetch(fetch, options)` returns a fetch-compatible
 * function that seals each request body (with the body's content type and the
 * headers chosen for sealing) to the tool, binds the method and path (SPEC.md
 * §11b), sends our media type (§11c) and opens the tool's sealed answer with
 * the request's response key (§6.3). An answer that is not sealed is never
 * presented as the tool's: it is ERR_TRANSPORT, with the status and the
 * problem code (unauthenticated) in its cause.
 */
import {
  BlindwireError,
  ErrorCode,
  MediaType,
  exportResponseState,
  importResponseState,
  openResponse,
  seal,
  sealedSize,
  type PendingRequest,
  type RecipientKey,
} from '@blindwire/core';
import { resolveRecipients } from '@blindwire/core/internal';
import { BODY_HEADERS, mediaTypeOfHeader, readBounded, readPrefix } from './body.js';
import { contextOf } from './context.js';
import { PROBLEM_MEDIA_TYPE, problemCode } from './problem.js';
import { decodeRecord, encodeRecord, fieldsOf, sealableNames } from './record.js';
import { responseOf } from './answer.js';
import { DEFAULT_MAX_MESSAGE_BYTES } from './scope.js';
import { streamFetch } from './stream-client.js';
import type { FetchLike, SealedFetchOptions } from './types.js';

/** The largest sealed response `sealedFetch` reads, by default: 16 MiB. */
export const DEFAULT_MAX_RESPONSE_BYTES = 16 * 1024 * 1024;
/** The lifetime of a sealed request, by default: 60 seconds. */
export const DEFAULT_REQUEST_TTL = 60;

/**
 * The agent side: wraps `fetch` so that each request body is sealed to the tool and bound to the
 * method and path, and each answer is opened and verified before it is returned.
 */
export function sealedFetch(fetch: FetchLike, options: SealedFetchOptions): FetchLike {
  if (typeof fetch !== 'function')
    throw new BlindwireError(ErrorCode.InvalidArgument, '"fetch" expected a function');
  if (typeof options !== 'object' || options === null || options.to === undefined)
    throw new BlindwireError(
      ErrorCode.InvalidArgument,
      '"options" expected an object with sender and to',
    );
  const o = {
    ...options,
    sealHeaders: sealableNames(options.sealHeaders, 'sealHeaders'),
    maxMessageBytes: options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
    maxResponseBytes: options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
  };
  return async (input, init) => {
    refuseBodiless(input, init);
    const signal = init?.signal ?? (input instanceof Request ? input.signal : undefined);
    const isStream = init?.body instanceof ReadableStream;
    const request = new Request(
      input,
      isStream ? ({ ...init, duplex: 'half' } as RequestInit) : init,
    );
    const url = new URL(request.url);
    const method = request.method.toUpperCase();
    const path = url.pathname;
    const context = contextOf(o.context, method, path);
    const recipients = await resolveRecipients(o.to, o.resolveRecipient, context);
    if (isStream)
      return streamFetch(fetch, request, { o, url, method, path, context, recipients, signal });
    // A body above the message limit streams, whatever its size: it is never held whole.
    const { bytes: body, rest } = await readPrefix(request.body, o.maxMessageBytes);
    if (rest !== undefined)
      return streamFetch(fetch, request, {
        o,
        url,
        method,
        path,
        context,
        recipients,
        source: rest,
        signal,
      });
    const headers = fieldsOf(request.headers, o.sealHeaders, body.length > 0);
    const record = encodeRecord({ body, headers });
    const sealOptions = {
      sender: o.sender,
      recipients,
      context,
      ttl: o.ttl ?? DEFAULT_REQUEST_TTL,
      ...(o.padding !== undefined && { padding: o.padding }),
      ...(o.now !== undefined && { now: o.now() }),
    };
    // The server applies the limit to the envelope (SPEC.md §11d.2 step 4):
    // a body whose envelope would exceed it streams, however small the body.
    if (sealedSize(record, sealOptions) > o.maxMessageBytes)
      return streamFetch(fetch, request, {
        o,
        url,
        method,
        path,
        context,
        recipients,
        source: new Blob([body as BlobPart]).stream(),
        signal,
      });
    const sealed = await seal(record, sealOptions);
    await exportState(o, sealed, method, path);
    const outer = publicHeaders(request.headers, o.sealHeaders);
    outer.set('content-type', MediaType.Envelope);
    outer.set('accept', `${MediaType.Response}, ${PROBLEM_MEDIA_TYPE}`);
    outer.set('bw-message-id', sealed.messageId);
    const res = await fetch(url, {
      method,
      headers: outer,
      body: sealed.envelope as BodyInit,
      ...(signal ? { signal } : {}),
      redirect: 'manual',
    });
    return openSealedResponse(res, sealed, { maxResponseBytes: o.maxResponseBytes });
  };
}

/** With `onRequestState`: the request's response state, exported before it is sent (SPEC.md §11a). */
async function exportState(
  o: SealedFetchOptions,
  sealed: PendingRequest,
  method: string,
  path: string,
): Promise<void> {
  if (!o.onRequestState) return;
  if (o.stateKey === undefined)
    throw new BlindwireError(ErrorCode.InvalidArgument, '"stateKey" expected with onRequestState');
  const state = await exportResponseState(sealed, { to: o.stateKey });
  await o.onRequestState(state, { messageId: sealed.messageId, method, path });
}

/** The envelope travels as the request body, which GET and HEAD cannot carry (SPEC.md §11d.2). */
function refuseBodiless(input: Request | string | URL, init: RequestInit | undefined): void {
  const asked = String(init?.method ?? (input instanceof Request ? input.method : 'GET'));
  if (/^(GET|HEAD)$/i.test(asked))
    throw new BlindwireError(
      ErrorCode.InvalidArgument,
      `"method" expected one that carries a body (the envelope), not ${asked.toUpperCase()}: use POST`,
    );
}

/** The same as a middleware: `(next) => fetch`. */
export function sealedFetchMiddleware(options: SealedFetchOptions): (next: FetchLike) => FetchLike {
  return (next) => sealedFetch(next, options);
}

/** The request's headers that travel in the clear: all but the body's and the sealed ones. */
export function publicHeaders(h: Headers, sealed: readonly string[]): Headers {
  const out = new Headers();
  h.forEach((v, k) => {
    if (!BODY_HEADERS.includes(k) && !sealed.includes(k)) out.append(k, v);
  });
  return out;
}

/**
 * Opens the tool's answer to `pending` (a `seal` result, or a state brought
 * back with `importResponseState`). A response that is not sealed is
 * ERR_TRANSPORT (cause: `{ status, code }` as the server claimed them).
 */
export async function openSealedResponse(
  res: Response,
  pending: PendingRequest,
  options: { maxResponseBytes?: number } = {},
): Promise<Response> {
  const type = mediaTypeOfHeader(res.headers.get('content-type'));
  if (type !== MediaType.Response) throw await unsealed(res);
  const bytes = await readBounded(
    res.body,
    options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
    'the response',
  );
  const opened = await openResponse(pending, bytes);
  return responseOf(decodeRecord(opened.payload, 'response'), res);
}

/**
 * After a restart: opens `res` (or its raw bytes) with a state exported by
 * `onRequestState`, imported with the agent's own encryption key(s).
 */
export async function openWithState(
  res: Response,
  state: Uint8Array,
  options: { keys: RecipientKey | RecipientKey[]; maxResponseBytes?: number },
): Promise<Response> {
  const pending = await importResponseState(state, { keys: options.keys });
  return openSealedResponse(res, pending, options);
}

async function unsealed(res: Response): Promise<BlindwireError> {
  const type = mediaTypeOfHeader(res.headers.get('content-type'));
  let code: string | undefined;
  if (type === PROBLEM_MEDIA_TYPE) {
    code = problemCode(
      new TextDecoder().decode(
        await readBounded(res.body, 4096, 'a problem').catch(() => new Uint8Array()),
      ),
    );
  } else {
    await res.body?.cancel().catch(() => undefined);
  }
  return new BlindwireError(
    ErrorCode.Transport,
    `the server answered ${res.status} without a sealed response${code ? ` (${code}, unauthenticated)` : ''}`,
    { cause: { status: res.status, code } },
  );
}
