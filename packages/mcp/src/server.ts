/**
 * The tool server's side: a Transport decorator between the SDK's server and
 * its transport (stdio, Streamable HTTP). On the way in, below the SDK, so
 * before its input-schema validation: our `_meta` keys are stripped from
 * every request; a `tools/call` for a sealed tool is opened (SPEC.md §7,
 * context §11b, under the tool's allowed senders, with a replay reservation),
 * its `arguments` replaced by the plaintext and the verified caller put in
 * `_meta["blindwire/caller"]`; a call that does not open is answered here
 * with `-32602` and never reaches the SDK. On the way out, the whole answer
 * to such a call is sealed with its response key (SPEC.md §6.4, §11d), the
 * reservation committed after a result without `isError` and released
 * otherwise; `tools/list` loses its `x-mcp-header` marks for sealed tools.
 */
import {
  BlindwireError,
  ErrorCode,
  createMemoryReplayStore,
  open,
  sealResponse,
  type OpenResult,
} from '@blindwire/core';
import {
  CALLER_META,
  fromBase64,
  isObject,
  isSealedArguments,
  sealedResult,
  RESPONSE_FIELD,
  stripMeta,
  toBase64,
  withoutHeaderMarks,
} from './carrier.js';
import { contextOf } from './context.js';
import { codeOf, refusal } from './errors.js';
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

export const DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024;
export const DEFAULT_RESPONSE_TTL = 60;

interface OpenCall {
  opened: OpenResult;
  tool: string;
}

/** What the steps of one decorator share: the options with defaults, and the calls in flight. */
export interface Scope {
  o: SealedServerOptions &
    Required<Pick<SealedServerOptions, 'replay' | 'maxMessageBytes' | 'responseTtl'>>;
  calls: Map<string, OpenCall>;
  lists: Set<string>;
  emit(e: Omit<McpEvent, 'binding'>): void;
}

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
  );
}

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
    replay: options.replay ?? createMemoryReplayStore({ perSender: true }),
    maxMessageBytes: options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
    responseTtl: options.responseTtl ?? DEFAULT_RESPONSE_TTL,
  };
  return {
    o,
    calls: new Map(),
    lists: new Set(),
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
 * SPEC.md §11d, the server's steps in order: strip our `_meta` keys; for a
 * sealed tool's call, refuse a plaintext call, decode, open, parse, then hand
 * the SDK the plaintext arguments and the verified caller. A refusal is sent
 * with `reply` and the message never reaches the SDK (undefined).
 */
export async function incoming(
  s: Scope,
  m: JsonRpcMessage,
  reply: (r: JsonRpcMessage) => Promise<void>,
): Promise<JsonRpcMessage | undefined> {
  if (m.id !== undefined && m.method === 'tools/list') s.lists.add(key(m.id));
  if (typeof m.method !== 'string' || !isObject(m.params)) return m;
  if (m.method === 'notifications/cancelled') await cancelled(s, m.params.requestId);
  const msg = { ...m, params: stripMeta(m.params) };
  const tool = msg.params.name;
  if (msg.method !== 'tools/call' || msg.id === undefined || !isSealedTool(s, tool)) return msg;
  const id = msg.id;
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
    await opened.reservation?.release().catch(() => undefined);
    return refuse(codeOf(e));
  }
  s.calls.set(key(id), { opened, tool });
  s.emit({
    destination: `tools/call ${tool}`,
    outcome: 'delivered',
    messageId: opened.messageId,
    bytes: opened.payload.length,
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

/** A cancelled call gets no answer: its reservation is released, so that it may be retried. */
async function cancelled(s: Scope, id: unknown): Promise<void> {
  if (typeof id !== 'string' && typeof id !== 'number') return;
  const call = s.calls.get(key(id));
  if (call === undefined) return;
  s.calls.delete(key(id));
  await call.opened.reservation?.release().catch(() => undefined);
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
 * SPEC.md §11d, the answer: a `tools/list` result loses the sealed tools'
 * `x-mcp-header` marks; the answer to an opened call is sealed whole, its
 * reservation committed after a result without `isError`, released otherwise.
 */
export async function outgoing(s: Scope, m: JsonRpcMessage): Promise<JsonRpcMessage> {
  if (m.id === undefined || m.method !== undefined) return m;
  const k = key(m.id);
  if (s.lists.delete(k) && isObject(m.result) && Array.isArray(m.result.tools))
    return { ...m, result: { ...m.result, tools: m.result.tools.map((t) => unmarked(s, t)) } };
  const call = s.calls.get(k);
  if (call === undefined) return m;
  s.calls.delete(k);
  const { opened, tool } = call;
  const destination = `tools/call ${tool}`;
  const answer = m.error !== undefined ? { error: m.error } : { result: m.result ?? {} };
  let envelope: Uint8Array;
  try {
    ({ envelope } = await sealResponse(opened, encodeJson(answer), {
      ttl: s.o.responseTtl,
      ...(s.o.padding !== undefined && { padding: s.o.padding }),
      ...(s.o.now !== undefined && { now: s.o.now() }),
    }));
  } catch (e) {
    await opened.reservation?.release().catch(() => undefined);
    s.emit({ destination, outcome: 'refused', code: codeOf(e), bytes: 0 });
    return refusal(m.id, codeOf(e));
  }
  let outcome: McpEvent['outcome'] = 'answered';
  try {
    if (m.error === undefined && m.result?.isError !== true) await opened.reservation?.commit();
    else await opened.reservation?.release();
  } catch {
    // The tool ran and its answer is sealed: send it. A failed commit leaves
    // the lease, so a replay is in flight until it ends (SPEC.md §7b).
    outcome = 'commit-failed';
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

function unmarked(s: Scope, t: unknown): unknown {
  return isObject(t) && isSealedTool(s, t.name) && t.inputSchema !== undefined
    ? { ...t, inputSchema: withoutHeaderMarks(t.inputSchema) }
    : t;
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
