/**
 * The tool's side, Web-standard: `(Request) => Promise<Response>`. In order:
 * the route's policy (before the body is read), the media type, the size, the
 * open with the context and a replay reservation (SPEC.md §7 step 18), then
 * the route's allowed senders, the handler with the plaintext and the verified agent, the
 * sealed response (SPEC.md §6.4); the reservation is committed after any
 * answer of the handler and released only when the handler threw or its
 * answer could not be sealed. Every refusal is a problem body with only its code.
 */
import {
  BlindwireError,
  ErrorCode,
  MediaType,
  createMemoryReplayStore,
  open,
  sealResponse,
  type OpenResult,
} from '@blindwire/core';
import { declaredOver, mediaTypeOfHeader, readBounded } from './body.js';
import { contextOf } from './context.js';
import { compileRoutes, routeFor, senderAllowed } from './policy.js';
import { codeOf, problem } from './problem.js';
import { isResponse } from './answer.js';
import { decodeRecord, encodeRecord, sealableNames } from './record.js';
import { outerResponse, recordOf } from './reply.js';
import { settle } from './settle.js';
import { handleStream } from './stream-server.js';
import type { CallScope } from './scope.js';
import type { HttpEvent, SealedCall, SealedHandlerOptions } from './types.js';

export { DEFAULT_MAX_MESSAGE_BYTES, DEFAULT_RESPONSE_TTL } from './scope.js';
import { DEFAULT_MAX_MESSAGE_BYTES, DEFAULT_RESPONSE_TTL } from './scope.js';

/** A sealed tool endpoint: `(Request) => Promise<Response>`, mountable on any Web-standard server. */
export type SealedHandler = (request: Request) => Promise<Response>;

export type { CallScope } from './scope.js';

/**
 * The tool side: a Web-standard `(Request) => Promise<Response>` that opens each sealed call under
 * its route's policy, runs `handler` with the plaintext and the verified agent, and seals the
 * answer for that agent alone.
 */
export function createSealedHandler(options: SealedHandlerOptions): SealedHandler {
  if (typeof options !== 'object' || options === null)
    throw new BlindwireError(ErrorCode.InvalidArgument, '"options" expected an options object');
  if (typeof options.handler !== 'function')
    throw new BlindwireError(ErrorCode.InvalidArgument, '"handler" expected a function');
  const routes = compileRoutes(options.routes);
  const o = {
    ...options,
    replay: options.replay ?? createMemoryReplayStore({ perSender: true }),
    maxMessageBytes: options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
    responseTtl: options.responseTtl ?? DEFAULT_RESPONSE_TTL,
    sealHeaders: sealableNames(options.sealHeaders, 'sealHeaders'),
  };
  return async (request) => {
    const started = Date.now();
    const url = new URL(request.url);
    const method = request.method.toUpperCase();
    const path = url.pathname;
    const destination = `${method} ${path}`;
    const emit: CallScope['emit'] = (e) => {
      try {
        o.onEvent?.({ binding: 'http', destination, ms: Date.now() - started, ...e });
      } catch {
        // a throwing listener never changes the answer
      }
    };
    const refuse = (code: string, mode: HttpEvent['mode'], status?: number): Response => {
      const r = problem(code, status);
      emit({ outcome: 'refused', code, status: r.status, mode, bytes: 0 });
      return r;
    };
    const route = routeFor(routes, method, path);
    if (route === undefined) return refuse('ERR_NO_POLICY', 'message');
    let context: string | Uint8Array;
    try {
      context = contextOf(o.context, method, path);
    } catch (e) {
      return refuse(codeOf(e), 'message');
    }
    const type = mediaTypeOfHeader(request.headers.get('content-type'));
    const scope: CallScope = { o, request, method, path, route, context, emit };
    if (type === MediaType.Stream) {
      if (!o.streamHandler) return refuse(ErrorCode.Unsupported, 'stream', 415);
      return handleStream(scope);
    }
    if (type !== MediaType.Envelope) return refuse(ErrorCode.Unsupported, 'message', 415);
    if (declaredOver(request.headers.get('content-length'), o.maxMessageBytes))
      return refuse(ErrorCode.LimitExceeded, 'message');
    return handleMessage(scope, refuse);
  };
}

async function handleMessage(
  s: CallScope,
  refuse: (code: string, mode: 'message') => Response,
): Promise<Response> {
  const { o } = s;
  let opened: OpenResult;
  let call: SealedCall;
  try {
    const bytes = await readBounded(s.request.body, o.maxMessageBytes, 'the request body');
    opened = await open(bytes, {
      recipient: o.recipient,
      ...(o.revokedKids !== undefined && { revokedKids: o.revokedKids }),
      ...(o.resolveSender !== undefined && { resolveSender: o.resolveSender }),
      ...(o.trustedSenders !== undefined && { trustedSenders: o.trustedSenders }),
      ...(o.allowedSuites !== undefined && { allowedSuites: o.allowedSuites }),
      ...(o.clockSkew !== undefined && { clockSkew: o.clockSkew }),
      ...(s.route.maxAge !== undefined && { maxAge: s.route.maxAge }),
      ...(o.replayLeaseMs !== undefined && { replayLeaseMs: o.replayLeaseMs }),
      ...(o.now !== undefined && { now: o.now() }),
      context: s.context,
      replay: o.replay,
    });
  } catch (e) {
    return refuse(codeOf(e), 'message');
  }
  // The route's senders after the context (SPEC.md §11d.2 step 5), the reservation released.
  if (!senderAllowed(s.route, opened.sender)) {
    await opened.reservation?.release().catch(() => undefined);
    return refuse(ErrorCode.SenderNotAllowed, 'message');
  }
  try {
    const record = decodeRecord(opened.payload, 'request');
    call = callOf(s, opened, record.body, record.headers);
  } catch (e) {
    await opened.reservation?.release().catch(() => undefined);
    return refuse(codeOf(e), 'message');
  }
  let res: Response;
  try {
    res = await o.handler(call);
    if (!isResponse(res)) throw new TypeError('the handler must return a Response');
  } catch (error) {
    await opened.reservation?.release().catch(() => undefined);
    const r = problem('ERR_HANDLER');
    s.emit({
      outcome: 'handler-failed',
      code: 'ERR_HANDLER',
      error,
      status: 500,
      mode: 'message',
      bytes: 0,
      messageId: opened.messageId,
    });
    return r;
  }
  return finish(s, opened, res);
}

/** Seals the handler's answer and commits the reservation; releases it if the answer cannot be sealed. */
async function finish(s: CallScope, opened: OpenResult, res: Response): Promise<Response> {
  const { o } = s;
  let out: Response;
  try {
    const record = await recordOf(res, o.sealHeaders, o.maxMessageBytes);
    const sealed = await sealResponse(opened, encodeRecord(record), {
      ttl: o.responseTtl,
      ...(o.padding !== undefined && { padding: o.padding }),
      ...(o.now !== undefined && { now: o.now() }),
    });
    out = outerResponse(res, sealed.envelope, MediaType.Response, sealed, o.sealHeaders);
  } catch (e) {
    await opened.reservation?.release().catch(() => undefined);
    const code = codeOf(e);
    s.emit({
      outcome: 'handler-failed',
      code,
      status: 500,
      mode: 'message',
      bytes: 0,
      messageId: opened.messageId,
    });
    return problem(code, 500);
  }
  const failed = await settle(opened.reservation);
  const outcome: HttpEvent['outcome'] = failed === undefined ? 'delivered' : 'commit-failed';
  s.emit({
    outcome,
    ...(failed !== undefined && { code: failed }),
    status: out.status,
    mode: 'message',
    bytes: Number(out.headers.get('content-length')),
    messageId: opened.messageId,
  });
  return out;
}

function callOf(
  s: CallScope,
  opened: OpenResult,
  body: Uint8Array,
  headers: [string, string][],
): SealedCall {
  return {
    method: s.method,
    path: s.path,
    request: s.request,
    sender: opened.sender,
    senderKid: opened.senderKid,
    messageId: opened.messageId,
    headers: new Headers(headers),
    body,
    text: () => new TextDecoder().decode(body),
    json: () => JSON.parse(new TextDecoder().decode(body)) as unknown,
  };
}
