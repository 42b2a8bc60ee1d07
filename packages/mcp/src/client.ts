/**
 * The agent's side: a Transport decorator between the SDK's client and its
 * transport. On the way out, a `tools/call` for a sealed tool has its
 * `arguments` sealed to the tool server (SPEC.md §4.5, context §11b) and
 * replaced by `{ "blindwire/envelope": base64 }` (§11e); method, id, tool
 * name and `_meta` (progress token) stay readable. The call's response state
 * is kept by JSON-RPC id (and exported sealed, §11a, when asked). On the way
 * in, below the SDK, so before it validates `structuredContent` against the
 * tool's output schema, the answer to that id is opened with the response
 * key (§6.3); an answer that is not sealed, or does not open, reaches the SDK
 * as a JSON-RPC error, never as the tool's result.
 */
import {
  BlindwireError,
  ErrorCode,
  exportResponseState,
  importResponseState,
  openResponse,
  seal,
  type PendingRequest,
  type RecipientKey,
  type SealResult,
} from '@blindwire/core';
import { resolveRecipients } from '@blindwire/core/internal';
import {
  fromBase64,
  hasHeaderMark,
  isObject,
  sealedArguments,
  sealedBlobOfError,
  sealedBlobOfResult,
  SEALED_META,
} from './carrier.js';
import { contextOf } from './context.js';
import { codeOf, messageOf } from './errors.js';
import { decodeAnswer, encodeJson } from './payload.js';
import { Relay } from './relay.js';
import type { JsonRpcMessage, McpTransport, RequestId, SealedClientOptions } from './types.js';

/** The largest arguments the client seals by default, in JSON bytes: 1 MiB. */
export const DEFAULT_MAX_ARGUMENT_BYTES = 1024 * 1024;
/** The largest sealed result the client opens by default, in envelope bytes: 16 MiB. */
export const DEFAULT_MAX_RESPONSE_BYTES = 16 * 1024 * 1024;
/** The lifetime of a sealed call by default, in seconds. */
export const DEFAULT_CALL_TTL = 60;

/** What a JSON-RPC answer becomes once opened: its `result` or its `error`. */
export type OpenedAnswer =
  | { result: Record<string, unknown> }
  | { error: { code: number; message: string; data?: unknown } };

/** Decorates the client's transport; connect the SDK client to what it returns. */
export function createSealedClientTransport(
  inner: McpTransport,
  options: SealedClientOptions,
): McpTransport {
  if (!isObject(inner) || typeof inner.send !== 'function')
    throw new BlindwireError(ErrorCode.InvalidArgument, '"transport" expected an MCP Transport');
  if (!isObject(options) || options.to === undefined || options.sender === undefined)
    throw new BlindwireError(
      ErrorCode.InvalidArgument,
      '"options" expected an object with sender, to and tools',
    );
  const list = options.tools;
  const isSealed =
    typeof list === 'function' ? list : (n: string) => Array.isArray(list) && list.includes(n);
  const maxArgs = options.maxMessageBytes ?? DEFAULT_MAX_ARGUMENT_BYTES;
  const maxResponse = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const pending = new Map<string, PendingRequest>();
  const lists = new Set<string>();
  const tools = new Catalog(inner, isSealed);

  const outgoing = async (m: JsonRpcMessage, sendOptions?: unknown): Promise<JsonRpcMessage> => {
    if (m.id !== undefined && m.method === 'tools/list') lists.add(key(m.id));
    if (m.method === 'notifications/cancelled' && isObject(m.params)) {
      const id = m.params.requestId;
      if (typeof id === 'string' || typeof id === 'number') {
        pending.delete(key(id));
        lists.delete(key(id));
      }
    }
    if (m.method !== 'tools/call' || m.id === undefined || !isObject(m.params)) return m;
    const tool = m.params.name;
    if (typeof tool !== 'string' || !isSealed(tool)) return m;
    await mustSeal(tools, tool, m.params._meta, sendOptions);
    const sealed = await sealCall(options, m.id, tool, m.params.arguments ?? {}, maxArgs);
    pending.set(key(m.id), sealed);
    return { ...m, params: { ...m.params, arguments: sealedArguments(sealed.envelope) } };
  };

  const incoming = async (m: JsonRpcMessage): Promise<JsonRpcMessage | undefined> => {
    if (m.id === undefined || m.method !== undefined) return m;
    const k = key(m.id);
    if (tools.answered(k, m)) return undefined;
    if (lists.delete(k)) tools.learn(m.result);
    const request = pending.get(k);
    if (request === undefined) return m;
    pending.delete(k);
    const blob = m.error !== undefined ? sealedBlobOfError(m.error) : sealedBlobOfResult(m.result);
    // A refusal by the server is unauthenticated: only its code passes, under a fixed message.
    if (blob === undefined && m.error !== undefined) return refused(m.id, m.error);
    try {
      if (blob === undefined)
        throw new BlindwireError(ErrorCode.Transport, 'the tool answered without a sealed result');
      return { jsonrpc: '2.0', id: m.id, ...(await openAnswer(request, blob, maxResponse)) };
    } catch (e) {
      const code = codeOf(e);
      return {
        jsonrpc: '2.0',
        id: m.id,
        error: {
          code: -32603,
          message: `Blindwire: the answer could not be opened (${code})`,
          data: { code },
        },
      };
    }
  };

  const closed = async () => {
    pending.clear();
    lists.clear();
    tools.closed();
  };
  return new Relay(inner, incoming, outgoing, closed);
}

/**
 * An unsealed error answering a sealed call, as the SDK gets it: its JSON-RPC
 * code, a fixed message for its Blindwire code, `data: { code }`; any other
 * text a path could have written is dropped.
 */
function refused(id: RequestId, error: JsonRpcMessage['error'] & object): JsonRpcMessage {
  const c = isObject(error.data) ? error.data.code : undefined;
  const code = typeof c === 'string' && /^ERR_[A-Z_]{1,64}$/.test(c) ? c : undefined;
  return {
    jsonrpc: '2.0',
    id,
    error: {
      code: Number.isInteger(error.code) ? error.code : -32603,
      message: code !== undefined ? messageOf(code) : 'Blindwire: the tool server refused the call',
      ...(code !== undefined && { data: { code } }),
    },
  };
}

const key = (id: RequestId) => `${typeof id}:${id}`;

/**
 * What the client knows of the server's sealed tools, from `tools/list`
 * answers (the SDK's and its own): which are advertised as sealed (SPEC.md
 * §11e) and which still have an `x-mcp-header` mark.
 */
class Catalog {
  readonly marked = new Set<string>();
  readonly advertised = new Set<string>();
  // The decorator's own `tools/list` requests, answered to it and never to the SDK.
  readonly #own = new Map<string, { resolve(m: JsonRpcMessage): void; reject(e: Error): void }>();
  #listed = 0;

  constructor(
    private readonly inner: McpTransport,
    private readonly isSealed: (name: string) => boolean,
  ) {}

  /** What a `tools/list` result says of the sealed tools: marked, advertised. */
  learn(result: unknown): void {
    if (!isObject(result) || !Array.isArray(result.tools)) return;
    for (const t of result.tools)
      if (isObject(t) && typeof t.name === 'string' && this.isSealed(t.name)) {
        if (hasHeaderMark(t.inputSchema)) this.marked.add(t.name);
        else this.marked.delete(t.name);
        if (isObject(t._meta) && t._meta[SEALED_META] === true) this.advertised.add(t.name);
        else this.advertised.delete(t.name);
      }
  }

  /** Takes the answer to one of its own requests (true); anything else is not its own. */
  answered(k: string, m: JsonRpcMessage): boolean {
    const mine = this.#own.get(k);
    if (mine === undefined) return false;
    this.#own.delete(k);
    mine.resolve(m);
    return true;
  }

  closed(): void {
    for (const w of this.#own.values())
      w.reject(new BlindwireError(ErrorCode.Transport, 'the transport closed'));
    this.#own.clear();
  }

  /**
   * Lists the server's tools (every page, up to 64) to learn which it
   * advertises as sealed; the call's `_meta` goes along but its progress
   * token (protocol revisions that require a per-request envelope in `_meta`).
   */
  async discover(callMeta: unknown): Promise<void> {
    const meta = isObject(callMeta)
      ? Object.fromEntries(Object.entries(callMeta).filter(([k]) => k !== 'progressToken'))
      : undefined;
    let cursor: string | undefined;
    for (let page = 0; page < 64; page++) {
      const id = `blindwire/tools-list/${++this.#listed}`;
      const answer = new Promise<JsonRpcMessage>((resolve, reject) =>
        this.#own.set(key(id), { resolve, reject }),
      );
      try {
        await this.inner.send({
          jsonrpc: '2.0',
          id,
          method: 'tools/list',
          params: {
            ...(cursor !== undefined && { cursor }),
            ...(meta !== undefined && { _meta: meta }),
          },
        });
      } catch (e) {
        this.#own.delete(key(id));
        throw e;
      }
      const m = await answer;
      this.learn(m.result);
      const next = isObject(m.result) ? m.result.nextCursor : undefined;
      if (typeof next !== 'string') return;
      cursor = next;
    }
  }
}

/** Throws unless a call of `tool` may be sealed: advertised, unmarked, not mirrored (SPEC.md §11e). */
async function mustSeal(
  tools: Catalog,
  tool: string,
  callMeta: unknown,
  sendOptions: unknown,
): Promise<void> {
  // A server that has not advertised it would not open it (SPEC.md §11e).
  if (!tools.advertised.has(tool)) await tools.discover(callMeta);
  if (!tools.advertised.has(tool))
    throw new BlindwireError(
      ErrorCode.Unsupported,
      `tool "${tool}" is sealed but the server has not advertised sealed calls for it (list the tools first)`,
    );
  // A mark would mirror an argument into an Mcp-Param-* header, in the clear.
  if (tools.marked.has(tool))
    throw new BlindwireError(
      ErrorCode.Unsupported,
      `tool "${tool}" is sealed but its input schema still has an x-mcp-header mark`,
    );
  if (mirrors(sendOptions))
    throw new BlindwireError(
      ErrorCode.Unsupported,
      `tool "${tool}" is sealed but the SDK mirrors its arguments into Mcp-Param-* headers`,
    );
}

/** Whether the SDK's send options carry an `Mcp-Param-*` header (a plaintext argument). */
function mirrors(sendOptions: unknown): boolean {
  if (!isObject(sendOptions) || !isObject(sendOptions.headers)) return false;
  return Object.keys(sendOptions.headers).some((h) => h.toLowerCase().startsWith('mcp-param-'));
}

/** SPEC.md §11e: seals a call's arguments as UTF-8 JSON, exporting its state when asked (§11a). */
async function sealCall(
  options: SealedClientOptions,
  id: RequestId,
  tool: string,
  args: unknown,
  maxArgs: number,
): Promise<SealResult> {
  if (!isObject(args))
    throw new BlindwireError(ErrorCode.InvalidArgument, '"arguments" expected a JSON object');
  const plain = encodeJson(args);
  if (plain.length > maxArgs)
    throw new BlindwireError(
      ErrorCode.LimitExceeded,
      `the arguments of ${plain.length} bytes exceed maxMessageBytes ${maxArgs}`,
    );
  // The resolver sees the context: a per-context post-quantum policy applies (SPEC.md §5.4).
  const context = contextOf(options.context, 'tools/call', tool);
  const recipients = await resolveRecipients(options.to, options.resolveRecipient, context);
  const sealed = await seal(plain, {
    sender: options.sender,
    recipients,
    context,
    ttl: options.ttl ?? DEFAULT_CALL_TTL,
    ...(options.padding !== undefined && { padding: options.padding }),
    ...(options.now !== undefined && { now: options.now() }),
  });
  if (options.onRequestState) {
    if (options.stateKey === undefined)
      throw new BlindwireError(
        ErrorCode.InvalidArgument,
        '"stateKey" expected with onRequestState',
      );
    const state = await exportResponseState(sealed, { to: options.stateKey });
    await options.onRequestState(state, { id, tool, messageId: sealed.messageId });
  }
  return sealed;
}

async function openAnswer(
  request: PendingRequest,
  blob: string,
  maxResponseBytes: number,
): Promise<OpenedAnswer> {
  const opened = await openResponse(request, fromBase64(blob, maxResponseBytes));
  return decodeAnswer(opened.payload);
}

/**
 * Opens the answer to a sealed call (a JSON-RPC result or error message, or
 * its `result` / `error` member) with a response state exported by
 * `onRequestState`, after a restart: imported with the agent's own key(s).
 */
export async function openAnswerWithState(
  answer: unknown,
  state: Uint8Array,
  options: { keys: RecipientKey | RecipientKey[]; maxResponseBytes?: number },
): Promise<OpenedAnswer> {
  const pendingRequest = await importResponseState(state, { keys: options.keys });
  const a = isObject(answer) ? answer : {};
  const blob = sealedBlobOfResult(a.result ?? a) ?? sealedBlobOfError(a.error ?? a);
  if (blob === undefined)
    throw new BlindwireError(ErrorCode.EnvelopeMalformed, 'the answer holds no sealed envelope');
  return openAnswer(pendingRequest, blob, options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES);
}
