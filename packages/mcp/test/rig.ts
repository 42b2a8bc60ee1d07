/**
 * A rig for the negative cases: a real v1 McpServer behind the sealed
 * server decorator on an in-memory pair whose client end the test drives
 * with raw JSON-RPC, and a sealed client decorator over a capture transport,
 * so a test can seal a call, replay it, move it, and feed any answer back.
 */
import { z } from 'zod';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import {
  createSealedClientTransport,
  createSealedServerTransport,
  sealedCaller,
  type JsonRpcMessage,
  type McpTransport,
  type SealedCaller,
  type SealedClientOptions,
  type SealedServerOptions,
} from '../src/index.js';
import { confirmation, type Cast } from './helpers.js';

export interface Rig {
  /** Sends a raw message to the server and resolves with its answer. */
  call(m: JsonRpcMessage): Promise<JsonRpcMessage>;
  /** Resolves with the next message the server sends with this id. */
  next(id: JsonRpcMessage['id']): Promise<JsonRpcMessage>;
  /** Sends a raw notification. */
  send(m: JsonRpcMessage): Promise<void>;
  /** With `hold`: resolves when the tool started its first call; `release` lets it finish. */
  started: Promise<void>;
  release(): void;
  calls: { tool: string; args: unknown; caller: SealedCaller | undefined }[];
  close(): Promise<void>;
}

export function refundTool(
  server: McpServer,
  calls: Rig['calls'],
  gate?: { started: () => void; released: Promise<void> },
): void {
  const out = { status: z.string(), confirmation: z.string() };
  for (const name of ['refund', 'payout'])
    server.registerTool(
      name,
      {
        inputSchema: { order: z.string().meta({ 'x-mcp-header': 'Order' }), amount: z.string() },
        outputSchema: out,
      },
      async (args, extra) => {
        calls.push({ tool: name, args, caller: sealedCaller(extra) });
        if (gate && calls.length === 1) {
          gate.started();
          await gate.released;
        }
        if (args.order === 'FAIL')
          return { content: [{ type: 'text', text: 'declined' }], isError: true };
        const r = { status: 'refunded', confirmation: confirmation(args.order) };
        return { content: [{ type: 'text', text: JSON.stringify(r) }], structuredContent: r };
      },
    );
}

export async function rig(
  c: Cast,
  options: Partial<SealedServerOptions> = {},
  plain = false,
  hold = false,
): Promise<Rig> {
  let started!: () => void;
  let release!: () => void;
  const startedP = new Promise<void>((r) => (started = r));
  const released = new Promise<void>((r) => (release = r));
  const [agentEnd, serverEnd] = InMemoryTransport.createLinkedPair();
  const server = new McpServer({ name: 'payments', version: '1.0.0' });
  const calls: Rig['calls'] = [];
  refundTool(server, calls, hold ? { started, released } : undefined);
  await server.connect(
    plain
      ? serverEnd
      : (createSealedServerTransport(serverEnd as unknown as McpTransport, {
          recipient: c.tool.encryption,
          resolveSender: c.resolveSigningKey,
          tools: {
            refund: { allowedSenders: ['spiffe://acme.example/agents/planner'] },
            payout: { allowedSenders: ['spiffe://acme.example/agents/*'] },
          },
          ...options,
        }) as never),
  );
  const waiting = new Map<unknown, (m: JsonRpcMessage) => void>();
  agentEnd.onmessage = (m) => waiting.get((m as JsonRpcMessage).id)?.(m as JsonRpcMessage);
  await agentEnd.start();
  const init = {
    jsonrpc: '2.0' as const,
    id: 'init',
    method: 'initialize',
    params: {
      protocolVersion: '2025-06-18',
      capabilities: {},
      clientInfo: { name: 'raw', version: '1' },
    },
  };
  const call = (m: JsonRpcMessage) =>
    new Promise<JsonRpcMessage>((resolve) => {
      waiting.set(m.id, resolve);
      void agentEnd.send(m as never);
    });
  await call(init);
  await agentEnd.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
  return {
    call,
    next: (id) => new Promise((resolve) => waiting.set(id, resolve)),
    calls,
    send: (m) => agentEnd.send(m as never),
    started: startedP,
    release,
    close: () => server.close(),
  };
}

/** A sealed client decorator over a transport that only captures: seal, then feed answers back. */
export interface Sealer {
  seal(m: JsonRpcMessage): Promise<JsonRpcMessage>;
  /** Feeds an answer from the server; resolves with what the SDK would receive. */
  answer(m: JsonRpcMessage): Promise<JsonRpcMessage>;
  transport: McpTransport;
}

export function sealer(options: SealedClientOptions): Sealer {
  let captured: JsonRpcMessage | undefined;
  const inner: McpTransport = {
    start: async () => undefined,
    close: async () => undefined,
    send: async (m: JsonRpcMessage) => {
      captured = m;
      // The decorator lists the tools before its first sealed call: each sealed tool advertised.
      if (m.method === 'tools/list' && String(m.id).startsWith('blindwire/'))
        queueMicrotask(() =>
          inner.onmessage?.({
            jsonrpc: '2.0',
            id: m.id,
            result: {
              tools: names.map((name) => ({
                name,
                inputSchema: { type: 'object' },
                _meta: { 'blindwire/sealed': true },
              })),
            },
          }),
        );
    },
  };
  const names = typeof options.tools === 'function' ? [] : [...options.tools];
  const t = createSealedClientTransport(inner, options);
  return {
    transport: t,
    seal: async (m) => {
      await t.send(m);
      return captured!;
    },
    answer: (m) =>
      new Promise((resolve) => {
        t.onmessage = resolve;
        inner.onmessage!(m);
      }),
  };
}
