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

/** Decorates the server's transport; connect the SDK server to what it returns. */
export function createSealedServerTransport(
  inner: McpTransport,
  options: SealedServerOptions,
): McpTransport {
  if (!isObject(inner) || typeof inner.send !== 'function')
    throw new BlindwireError(ErrorCode.InvalidArgument, '"transport" expected an MCP Transport');
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
  const calls = new Map<string, OpenCall>();
  const lists = new Set<string>();
  const key = (id: RequestId) => `${typeof id}:${id}`;
  const sealed = (name: unknown): name is string =>
    typeof name === 'string' && Object.hasOwn(o.tools, name);
  const emit = (e: Omit<McpEvent, 'binding'>) => {
    try {
      o.onEvent?.({ binding: 'mcp', ...e });
    } catch {
      // a throwing listener never changes the answer
    }
  };

  const incoming = async (m: JsonRpcMessage): Promise<JsonRpcMessage | undefined> => {
    if (m.id !== undefined && m.method === 'tools/list') lists.add(key(m.id));
    if (typeof m.method !== 'string' || !isObject(m.params)) return m;
    const msg = { ...m, params: stripMeta(m.params) };
    if (msg.method !== 'tools/call' || msg.id === undefined || !sealed(msg.params.name)) return msg;
    const id = msg.id;
    const tool = msg.params.name as string;
    const destination = `tools/call ${tool}`;
    const args = msg.params.arguments;
    const refuse = async (code: string) => {
      emit({ destination, outcome: 'refused', code, bytes: 0 });
      await inner.send(refusal(id, code));
      return undefined;
    };
    if (!isSealedArguments(args)) return refuse(ErrorCode.Unsupported);
    let opened: OpenResult;
    try {
      const envelope = fromBase64(args['blindwire/envelope'], o.maxMessageBytes);
      const policy = o.tools[tool]!;
      opened = await open(envelope, {
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
    calls.set(key(id), { opened, tool });
    emit({
      destination,
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
  };

  const outgoing = async (m: JsonRpcMessage): Promise<JsonRpcMessage> => {
    if (m.id === undefined || m.method !== undefined) return m;
    const k = key(m.id);
    if (lists.delete(k) && isObject(m.result) && Array.isArray(m.result.tools))
      return { ...m, result: { ...m.result, tools: m.result.tools.map(unmarked) } };
    const call = calls.get(k);
    if (call === undefined) return m;
    calls.delete(k);
    const { opened, tool } = call;
    const answer = m.error !== undefined ? { error: m.error } : { result: m.result ?? {} };
    const ok = m.error === undefined && m.result?.isError !== true;
    let envelope: Uint8Array;
    try {
      ({ envelope } = await sealResponse(opened, encodeJson(answer), {
        ttl: o.responseTtl,
        ...(o.padding !== undefined && { padding: o.padding }),
        ...(o.now !== undefined && { now: o.now() }),
      }));
    } catch (e) {
      await opened.reservation?.release().catch(() => undefined);
      emit({ destination: `tools/call ${tool}`, outcome: 'refused', code: codeOf(e), bytes: 0 });
      return refusal(m.id, codeOf(e));
    }
    let outcome: McpEvent['outcome'] = 'answered';
    try {
      if (ok) await opened.reservation?.commit();
      else await opened.reservation?.release();
    } catch {
      // The tool ran and its answer is sealed: send it. A failed commit leaves
      // the lease, so a replay is in flight until it ends (SPEC.md §7b).
      outcome = 'commit-failed';
    }
    emit({
      destination: `tools/call ${tool}`,
      outcome,
      messageId: opened.messageId,
      bytes: envelope.length,
    });
    if (m.error !== undefined)
      return {
        jsonrpc: '2.0',
        id: m.id,
        error: {
          code: m.error.code,
          message: 'Blindwire: sealed error',
          data: { [RESPONSE_FIELD]: toBase64(envelope) },
        },
      };
    return { jsonrpc: '2.0', id: m.id, result: sealedResult(envelope) };
  };

  const unmarked = (t: unknown): unknown =>
    isObject(t) && sealed(t.name) && t.inputSchema !== undefined
      ? { ...t, inputSchema: withoutHeaderMarks(t.inputSchema) }
      : t;

  return new Relay(inner, incoming, outgoing);
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
