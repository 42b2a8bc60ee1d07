/**
 * The tool server's side for a Web-standard MCP handler, `(Request, options)
 * => Promise<Response>`, such as the `fetch` of the v2 SDK's
 * `createMcpHandler` (the 2026-07-28 stateless protocol), which builds its
 * own transport per request so that no Transport can be decorated. The same
 * steps as the transport decorator (SPEC.md §11e), on the HTTP body: the
 * request's JSON-RPC message is opened before the SDK parses it (given to it
 * as `parsedBody`), and the answer to a sealed call, in a JSON body or an SSE
 * event, is sealed before it leaves. Routing headers (`Mcp-Method`,
 * `Mcp-Name`) are left as they came: the method and the tool name are not
 * sealed.
 */
import { BlindwireError, ErrorCode } from '@blindwire/core';
import { concat } from '@blindwire/core/internal';
import { isObject } from './carrier.js';
import { INVALID_REQUEST } from './errors.js';
import { incoming, outgoing, rewrites, scopeOf, type Scope } from './server.js';
import type { JsonRpcMessage, SealedServerOptions } from './types.js';

/** A Web-standard MCP handler; `parsedBody` is how the SDK takes a body read before it. */
export type McpFetch = (
  request: Request,
  options?: { parsedBody?: unknown; [key: string]: unknown },
) => Promise<Response>;

/** Decorates a Web-standard MCP handler: sealed tools' calls are opened, their answers sealed. */
export function createSealedMcpHandler(handler: McpFetch, options: SealedServerOptions): McpFetch {
  if (typeof handler !== 'function')
    throw new BlindwireError(ErrorCode.InvalidArgument, '"handler" expected a function');
  const base = scopeOf(options);
  const limit = Math.ceil((base.o.maxMessageBytes * 4) / 3) + 64 * 1024;
  return async (request, requestOptions) => {
    if (request.method.toUpperCase() !== 'POST') return handler(request, requestOptions);
    // One scope per request: the requests in flight are this request's; the replay store is shared.
    const s: Scope = { ...base, inFlight: new Map() };
    const { parsedBody, ...rest } = requestOptions ?? {};
    let message: unknown = parsedBody;
    let text: string | undefined;
    if (message === undefined) {
      text = await readText(request, limit);
      if (text === undefined)
        return invalid(413, 'Blindwire: the request is too large', ErrorCode.LimitExceeded);
      try {
        message = JSON.parse(text);
      } catch {
        // Not JSON: the SDK answers its parse error; nothing was opened.
        return handler(rebuilt(request, text), rest);
      }
    }
    // Batches (removed from MCP in 2025-06-18) would carry calls past the steps.
    if (Array.isArray(message))
      return invalid(400, 'Blindwire: JSON-RPC batches are not accepted', ErrorCode.Unsupported);
    if (!isObject(message)) return handler(rebuilt(request, text ?? JSON.stringify(message)), rest);
    let refusal: JsonRpcMessage | undefined;
    const opened = await incoming(s, message as JsonRpcMessage, async (r) => {
      refusal = r;
    });
    if (opened === undefined) return Response.json(refusal, { status: 200 });
    const body = JSON.stringify(opened);
    const res = await handler(rebuilt(request, body), { ...rest, parsedBody: opened });
    return sealedResponse(s, res);
  };
}

/** A refusal before any step: `-32600` with the code only. */
function invalid(status: number, message: string, code: string): Response {
  return Response.json(
    { jsonrpc: '2.0', id: null, error: { code: INVALID_REQUEST, message, data: { code } } },
    { status },
  );
}

function rebuilt(request: Request, body: string): Request {
  const headers = new Headers(request.headers);
  headers.delete('content-length');
  return new Request(request.url, {
    method: request.method,
    headers,
    body,
    signal: request.signal,
  });
}

/** The body as text, read up to `limit` bytes; undefined past it (the rest is never read). */
async function readText(request: Request, limit: number): Promise<string | undefined> {
  if (request.body === null) return '';
  const reader = request.body.getReader();
  const parts: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > limit) {
      await reader.cancel().catch(() => undefined);
      return undefined;
    }
    parts.push(value);
  }
  return new TextDecoder().decode(concat(...parts));
}

/** The SDK's answer with each JSON-RPC response to a sealed call sealed: JSON or SSE. */
async function sealedResponse(s: Scope, res: Response): Promise<Response> {
  if (!rewrites(s)) return res;
  const type = (res.headers.get('content-type') ?? '').split(';', 1)[0]!.trim().toLowerCase();
  const headers = new Headers(res.headers);
  headers.delete('content-length');
  if (type === 'application/json') {
    const m = (await res.json()) as JsonRpcMessage;
    return new Response(JSON.stringify(await outgoing(s, m)), {
      status: res.status,
      headers,
    });
  }
  if (type === 'text/event-stream' && res.body !== null)
    return new Response(res.body.pipeThrough(sseRewriter(s)), { status: res.status, headers });
  return res;
}

/** Rewrites the `data:` of each SSE event that is a JSON-RPC message through `outgoing`. */
function sseRewriter(s: Scope): TransformStream<Uint8Array, Uint8Array> {
  const decoder = new TextDecoder();
  const encoder = new TextEncoder();
  let buffer = '';
  const rewrite = async (event: string): Promise<string> => {
    const lines = event.split(/\r?\n/);
    const data = lines.filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trimStart());
    if (data.length === 0) return event;
    let m: unknown;
    try {
      m = JSON.parse(data.join('\n'));
    } catch {
      return event;
    }
    if (!isObject(m)) return event;
    const out = JSON.stringify(await outgoing(s, m as JsonRpcMessage));
    return [...lines.filter((l) => !l.startsWith('data:')), `data: ${out}`].join('\n');
  };
  return new TransformStream({
    async transform(chunk, controller) {
      buffer += decoder.decode(chunk, { stream: true });
      for (let i = buffer.search(/\r?\n\r?\n/); i >= 0; i = buffer.search(/\r?\n\r?\n/)) {
        const sep = /\r?\n\r?\n/.exec(buffer.slice(i))![0];
        const event = buffer.slice(0, i);
        buffer = buffer.slice(i + sep.length);
        controller.enqueue(encoder.encode(`${await rewrite(event)}\n\n`));
      }
    },
    async flush(controller) {
      if (buffer.length > 0) controller.enqueue(encoder.encode(await rewrite(buffer)));
    },
  });
}
