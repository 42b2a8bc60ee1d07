/**
 * The tool server's side: a Transport decorator between the SDK's server and
 * its transport (stdio, Streamable HTTP). On the way in, below the SDK, so
 * before its input-schema validation: our `_meta` keys are stripped from
 * every request; a `tools/call` for a sealed tool is opened (SPEC.md §7,
 * context §11b, under the tool's allowed senders, with a replay reservation),
 * its `arguments` replaced by the plaintext and the verified caller put in
 * `_meta["blindwire/caller"]`; a call that does not open is answered here
 * with `-32602` and never reaches the SDK. On the way out, the whole answer
 * to such a call is sealed with its response key (SPEC.md §6.4, §11e) and
 * the reservation committed, whatever the answer (and on a cancel); a
 * request whose id is already in flight is refused; `tools/list` advertises
 * the sealed tools and loses their `x-mcp-header` marks.
 */
import {
  BlindwireError,
  ErrorCode,
  createMemoryReplayStore,
  open,
  sealResponse,
  type OpenResult,
  type ReplayStore,
} from '@blindwire/core';
import {
  CALLER_META,
  fromBase64,
  isObject,
  isSealedArguments,
  sealedResult,
  RESPONSE_FIELD,
  SEALED_META,
  stripMeta,
  toBase64,
  withoutHeaderMarks,
} from './carrier.js';
import { contextOf } from './context.js';
import { INVALID_REQUEST, codeOf, refusal } from './errors.js';
import { decodeObject, encodeJson } from './payload.js';
import { Relay } from './relay.js';
import type {
  JsonRpcMessage,
  McpEvent,
  McpTransport,
  RequestId,
  SealedCaller,
  SealedServerOptions,
} from './types.js';

/** The largest sealed arguments a server accepts by default, in envelope bytes: 1 MiB. */
export const DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024;
/** The lifetime of a sealed result by default, in seconds. */
export const DEFAULT_RESPONSE_TTL = 60;

/**
 * A request in flight, by id: a sealed call opened (its answer is sealed), a
 * `tools/list` (its sealed tools are rewritten), or any other request.
 */
type InFlight =
  | { kind: 'call'; opened: OpenResult; tool: string; bytes: number; committed: boolean }
  | { kind: 'list' }
  | { kind: 'other' };

/** What the steps of one decorator share: the options with defaults, and the requests in flight. */
export interface Scope {
  o: SealedServerOptions &
    Required<Pick<SealedServerOptions, 'replay' | 'maxMessageBytes' | 'responseTtl'>>;
  inFlight: Map<string, InFlight>;
  emit(e: Omit<McpEvent, 'binding'>): void;
}

/** Whether an answer in flight needs rewriting (a sealed call or a `tools/list`). */
export const rewrites = (s: Scope): boolean =>
  [...s.inFlight.values()].some((f) => f.kind !== 'other');

const key = (id: RequestId) => `${typeof id}:${id}`;

/** Decorates the server's transport; connect the SDK server to what it returns. */
export function createSealedServerTransport(
  inner: McpTransport,
  options: SealedServerOptions,
): McpTransport {
  if (!isObject(inner) || typeof inner.send !== 'function')
    throw new BlindwireError(ErrorCode.InvalidArgument, '"transport" expected an MCP Transport');
  const s = scopeOf(options);
  return new Relay(
    inner,
    (m) => incoming(s, m, (r) => inner.send(r)),
    (m) => outgoing(s, m),
    () => closed(s),
  );
}

/** The transport closed: nothing in flight will be answered; opened calls stay committed. */
async function closed(s: Scope): Promise<void> {
  const calls = [...s.inFlight.values()];
  s.inFlight.clear();
  for (const f of calls)
    if (f.kind === 'call' && !f.committed)
      await f.opened.reservation?.commit().catch(() => undefined);
}

/**
 * The default replay store: one memory store for the process, shared by every
 * decorator, so that decorators made per request (stateless Streamable HTTP)
 * still refuse a replay. Replicas need a shared store passed as `replay`.
 */
let defaultReplay: ReplayStore | undefined;
const processReplay = (): ReplayStore =>
  (defaultReplay ??= createMemoryReplayStore({ perSender: true }));

export function scopeOf(options: SealedServerOptions): Scope {
  if (!isObject(options) || !isObject(options.tools))
    throw new BlindwireError(ErrorCode.InvalidArgument, '"options.tools" expected an object');
  for (const [name, p] of Object.entries(options.tools))
    if (!Array.isArray(p?.allowedSenders) || p.allowedSenders.length === 0)
      throw new BlindwireError(
        ErrorCode.InvalidArgument,
        `"tools.${name}.allowedSenders" expected a non-empty array of patterns`,
      );
  const o = {
    ...options,
    replay: options.replay ?? processReplay(),
    maxMessageBytes: options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
    responseTtl: options.responseTtl ?? DEFAULT_RESPONSE_TTL,
  };
  return {
    o,
    inFlight: new Map(),
    emit: (e) => {
      try {
        o.onEvent?.({ binding: 'mcp', ...e });
      } catch {
        // a throwing listener never changes the answer
      }
    },
  };
}

const isSealedTool = (s: Scope, name: unknown): name is string =>
  typeof name === 'string' && Object.hasOwn(s.o.tools, name);

/**
 * SPEC.md §11e, the server's steps in order: strip our `_meta` keys; for a
 * sealed tool's call, refuse a plaintext call, decode, open, parse, then hand
 * the SDK the plaintext arguments and the verified caller. A refusal is sent
 * with `reply` and the message never reaches the SDK (undefined).
 */
export async function incoming(
  s: Scope,
  m: JsonRpcMessage,
  reply: (r: JsonRpcMessage) => Promise<void>,
): Promise<JsonRpcMessage | undefined> {
  if (typeof m.method !== 'string') return m;
  if (m.method === 'notifications/cancelled' && isObject(m.params))
    await cancelled(s, m.params.requestId);
  if (m.id === undefined) return isObject(m.params) ? { ...m, params: stripMeta(m.params) } : m;
  const id = m.id;
  const k = key(id);
  // An id already in flight would take the answer meant for the first request.
  if (s.inFlight.has(k)) {
    s.emit({
      destination: m.method,
      outcome: 'refused',
      code: ErrorCode.InvalidArgument,
      bytes: 0,
    });
    await reply(duplicate(id));
    return undefined;
  }
  if (!isObject(m.params)) {
    s.inFlight.set(k, { kind: m.method === 'tools/list' ? 'list' : 'other' });
    return m;
  }
  const msg = { ...m, params: stripMeta(m.params) };
  const tool = msg.params.name;
  if (msg.method !== 'tools/call' || !isSealedTool(s, tool)) {
    s.inFlight.set(k, { kind: msg.method === 'tools/list' ? 'list' : 'other' });
    return msg;
  }
  const refuse = async (code: string) => {
    s.emit({ destination: `tools/call ${tool}`, outcome: 'refused', code, bytes: 0 });
    await reply(refusal(id, code));
    return undefined;
  };
  const args = msg.params.arguments;
  if (!isSealedArguments(args)) return refuse(ErrorCode.Unsupported);
  let opened: OpenResult;
  try {
    opened = await openCall(s, tool, args['blindwire/envelope']);
  } catch (e) {
    return refuse(codeOf(e));
  }
  let plain: Record<string, unknown>;
  try {
    plain = decodeObject(opened.payload, 'arguments');
  } catch (e) {
    // The call never reaches the SDK: its reservation is released.
    await opened.reservation?.release().catch(() => undefined);
    return refuse(codeOf(e));
  }
  if (s.inFlight.has(k)) {
    // Another request took this id while the call was being opened.
    await opened.reservation?.release().catch(() => undefined);
    await reply(duplicate(id));
    return undefined;
  }
  const bytes = fromBase64Length(args['blindwire/envelope']);
  s.inFlight.set(k, { kind: 'call', opened, tool, bytes, committed: false });
  s.emit({
    destination: `tools/call ${tool}`,
    outcome: 'delivered',
    messageId: opened.messageId,
    bytes,
  });
  const caller: SealedCaller = {
    sender: opened.sender,
    senderKid: opened.senderKid,
    messageId: opened.messageId,
  };
  const meta = isObject(msg.params._meta) ? msg.params._meta : {};
  return {
    ...msg,
    params: { ...msg.params, arguments: plain, _meta: { ...meta, [CALLER_META]: caller } },
  };
}

/** The envelope's size in bytes from its base64 text (what the `delivered` event reports). */
const fromBase64Length = (b64: string): number =>
  (b64.length / 4) * 3 - (b64.endsWith('==') ? 2 : b64.endsWith('=') ? 1 : 0);

/** The answer to a request whose id is already in flight: `-32600`, never forwarded. */
function duplicate(id: RequestId): JsonRpcMessage {
  return {
    jsonrpc: '2.0',
    id,
    error: {
      code: INVALID_REQUEST,
      message: 'Blindwire: a request with this id is already in flight',
      data: { code: ErrorCode.InvalidArgument },
    },
  };
}

/**
 * `notifications/cancelled` is not authenticated, and the SDK only signals
 * the tool, which may go on running: a sealed call's reservation is committed
 * (a replay of its envelope is refused) and its entry kept, so that whatever
 * answer still leaves is sealed. Another request is simply forgotten.
 */
async function cancelled(s: Scope, id: unknown): Promise<void> {
  if (typeof id !== 'string' && typeof id !== 'number') return;
  const f = s.inFlight.get(key(id));
  if (f === undefined) return;
  if (f.kind !== 'call') {
    s.inFlight.delete(key(id));
    return;
  }
  if (f.committed) return;
  f.committed = true;
  await f.opened.reservation?.commit().catch(() => undefined);
}

/** SPEC.md §7 with the tool's policy, the §11b context and a replay reservation. */
function openCall(s: Scope, tool: string, base64: string): Promise<OpenResult> {
  const { o } = s;
  const policy = o.tools[tool]!;
  return open(fromBase64(base64, o.maxMessageBytes), {
    recipient: o.recipient,
    ...(o.revokedKids !== undefined && { revokedKids: o.revokedKids }),
    ...(o.resolveSender !== undefined && { resolveSender: o.resolveSender }),
    ...(o.trustedSenders !== undefined && { trustedSenders: o.trustedSenders }),
    ...(o.allowedSuites !== undefined && { allowedSuites: o.allowedSuites }),
    ...(o.clockSkew !== undefined && { clockSkew: o.clockSkew }),
    ...(policy.maxAge !== undefined && { maxAge: policy.maxAge }),
    ...(o.replayLeaseMs !== undefined && { replayLeaseMs: o.replayLeaseMs }),
    ...(o.now !== undefined && { now: o.now() }),
    allowedSenders: policy.allowedSenders,
    context: contextOf(o.context, 'tools/call', tool),
    replay: o.replay,
  });
}

/**
 * SPEC.md §11e, the answer: a `tools/list` result loses the sealed tools'
 * `x-mcp-header` marks and gains their advertisement; the answer to an
 * opened call is sealed whole and its reservation committed, whatever the
 * answer (the tool ran, or the SDK refused it: a replay is refused either way).
 */
export async function outgoing(s: Scope, m: JsonRpcMessage): Promise<JsonRpcMessage> {
  if (m.id === undefined || m.method !== undefined) return m;
  const k = key(m.id);
  const f = s.inFlight.get(k);
  s.inFlight.delete(k);
  if (f === undefined || f.kind === 'other') return m;
  if (f.kind === 'list') {
    if (isObject(m.result) && Array.isArray(m.result.tools))
      return { ...m, result: { ...m.result, tools: m.result.tools.map((t) => unmarked(s, t)) } };
    return m;
  }
  const { opened, tool } = f;
  const destination = `tools/call ${tool}`;
  let outcome: McpEvent['outcome'] = 'answered';
  if (!f.committed)
    try {
      await opened.reservation?.commit();
    } catch {
      // The SDK answered: the answer is sealed and sent. A failed commit leaves
      // the lease, so a replay is in flight until it ends (SPEC.md §7b).
      outcome = 'commit-failed';
    }
  const answer = m.error !== undefined ? { error: m.error } : { result: m.result ?? {} };
  let envelope: Uint8Array;
  try {
    ({ envelope } = await sealResponse(opened, encodeJson(answer), {
      ttl: s.o.responseTtl,
      ...(s.o.padding !== undefined && { padding: s.o.padding }),
      ...(s.o.now !== undefined && { now: s.o.now() }),
    }));
  } catch (e) {
    s.emit({ destination, outcome: 'refused', code: codeOf(e), bytes: 0 });
    return refusal(m.id, codeOf(e));
  }
  s.emit({ destination, outcome, messageId: opened.messageId, bytes: envelope.length });
  if (m.error === undefined) return { jsonrpc: '2.0', id: m.id, result: sealedResult(envelope) };
  return {
    jsonrpc: '2.0',
    id: m.id,
    error: {
      code: m.error.code,
      message: 'Blindwire: sealed error',
      data: { [RESPONSE_FIELD]: toBase64(envelope) },
    },
  };
}

/** A sealed tool as listed: no `x-mcp-header` mark, advertised in `_meta` (SPEC.md §11e). */
function unmarked(s: Scope, t: unknown): unknown {
  if (!isObject(t) || !isSealedTool(s, t.name)) return t;
  const meta = isObject(t._meta) ? t._meta : {};
  return {
    ...t,
    ...(t.inputSchema !== undefined && { inputSchema: withoutHeaderMarks(t.inputSchema) }),
    _meta: { ...meta, [SEALED_META]: true },
  };
}

/**
 * The verified caller of a sealed tool call, from the handler's `extra` (v1)
 * or `ctx` (v2): undefined for an unsealed call. Only the server decorator
 * writes this key; it strips whatever a peer sent under it.
 */
export function sealedCaller(extra: unknown): SealedCaller | undefined {
  if (!isObject(extra)) return undefined;
  const meta = isObject(extra._meta)
    ? extra._meta
    : isObject(extra.mcpReq) && isObject(extra.mcpReq._meta)
      ? extra.mcpReq._meta
      : undefined;
  const c = meta?.[CALLER_META];
  return isObject(c) && typeof c.sender === 'string' ? (c as unknown as SealedCaller) : undefined;
}
