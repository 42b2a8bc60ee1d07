/**
 * The real SDKs' clients and McpServers (v1 `@modelcontextprotocol/sdk`, v2
 * `@modelcontextprotocol/client` and `/server`) over the stdio transports'
 * framing on a pair of pipes, with a spy under each
 * decorator recording every JSON-RPC message: the tool gets the plaintext
 * and the verified agent; no argument or result plaintext, nor the agent's
 * name, crosses; output-schema validation runs on the opened result.
 */
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { Client as ClientV2 } from '@modelcontextprotocol/client';
import { McpServer as McpServerV2 } from '@modelcontextprotocol/server';
import { StdioServerTransport as StdioServerTransportV2 } from '@modelcontextprotocol/server/stdio';
import { ReadBuffer, serializeMessage } from '@modelcontextprotocol/sdk/shared/stdio.js';
import { createBlindnessSpy } from '@blindwire/testkit';
import {
  createSealedClientTransport,
  createSealedServerTransport,
  sealedCaller,
  type McpTransport,
  type SealedCaller,
} from '../src/index.js';
import {
  AGENT,
  OTHER,
  REFUND,
  TOOL,
  cast,
  confirmation,
  spy,
  utf8,
  type Cast,
  type Spy,
} from './helpers.js';

/** The client end of a stdio pipe pair, framed as the SDK's stdio client frames it. */
function pipeClient(toServer: PassThrough, fromServer: PassThrough): McpTransport {
  const buffer = new ReadBuffer();
  const t: McpTransport = {
    start: async () => {
      fromServer.on('data', (chunk: Buffer) => {
        buffer.append(chunk);
        for (let m = buffer.readMessage(); m !== null; m = buffer.readMessage()) t.onmessage?.(m);
      });
    },
    send: async (m: unknown) => {
      toServer.write(serializeMessage(m as never));
    },
    close: async () => {
      toServer.end();
      t.onclose?.();
    },
  };
  return t;
}

const flavours = [
  { name: 'v1', Server: McpServer, Stdio: StdioServerTransport, Client },
  {
    name: 'v2',
    Server: McpServerV2 as unknown as typeof McpServer,
    Stdio: StdioServerTransportV2 as unknown as typeof StdioServerTransport,
    Client: ClientV2 as unknown as typeof Client,
  },
];

describe.each(flavours)('$name SDK over stdio', ({ Server, Stdio, Client }) => {
  let c: Cast;
  let client: Client;
  let serverSpy: Spy;
  let clientSpy: Spy;
  const calls: { args: unknown; caller: SealedCaller | undefined }[] = [];
  const wire: Buffer[] = [];

  beforeAll(async () => {
    c = await cast();
    const toServer = new PassThrough();
    const fromServer = new PassThrough();
    toServer.on('data', (b: Buffer) => wire.push(b));
    fromServer.on('data', (b: Buffer) => wire.push(b));
    const server = new Server({ name: 'payments', version: '1.0.0' });
    server.registerTool(
      'refund',
      {
        description: 'Refunds an order',
        inputSchema: { order: z.string(), amount: z.string(), iban: z.string() },
        outputSchema: { status: z.string(), confirmation: z.string() },
      },
      async (args, extra) => {
        calls.push({ args, caller: sealedCaller(extra) });
        const out = { status: 'refunded', confirmation: confirmation(args.order) };
        return { content: [{ type: 'text', text: JSON.stringify(out) }], structuredContent: out };
      },
    );
    server.registerTool('ping', { inputSchema: { n: z.number() } }, async (args, extra) => {
      calls.push({ args, caller: sealedCaller(extra) });
      return { content: [{ type: 'text', text: `pong ${args.n}` }] };
    });
    serverSpy = spy(new Stdio(toServer, fromServer) as unknown as McpTransport);
    await server.connect(
      createSealedServerTransport(serverSpy, {
        recipient: c.tool.encryption,
        resolveSender: c.resolveSigningKey,
        tools: { refund: { allowedSenders: ['spiffe://acme.example/agents/planner'] } },
      }) as never,
    );
    clientSpy = spy(pipeClient(toServer, fromServer));
    client = new Client({ name: 'planner', version: '1.0.0' });
    await client.connect(
      createSealedClientTransport(clientSpy, {
        sender: c.agent,
        to: TOOL,
        resolveRecipient: c.resolveRecipient,
        tools: ['refund'],
      }) as never,
    );
  });
  afterAll(async () => {
    await client?.close();
  });

  it('seals the call, the tool gets the plaintext and the verified agent, the agent the result', async () => {
    await client.listTools();
    const res = await client.callTool({ name: 'refund', arguments: REFUND });
    expect(res.structuredContent).toEqual({
      status: 'refunded',
      confirmation: confirmation(REFUND.order),
    });
    expect(calls.at(-1)!.args).toEqual(REFUND);
    expect(calls.at(-1)!.caller?.sender).toBe(AGENT);

    const spyScan = createBlindnessSpy(
      [utf8(REFUND.order), utf8(REFUND.iban), utf8(confirmation(REFUND.order))],
      [AGENT],
    );
    const sealedCall = clientSpy.sent.find((m) => m.includes('"tools/call"'))!;
    expect(JSON.parse(sealedCall).params.name).toBe('refund');
    expect(Object.keys(JSON.parse(sealedCall).params.arguments)).toEqual(['blindwire/envelope']);
    for (const m of [
      ...clientSpy.sent,
      ...clientSpy.received,
      ...serverSpy.sent,
      ...serverSpy.received,
    ])
      spyScan.scan({ where: 'a JSON-RPC message', body: utf8(m) });
    spyScan.scan({ where: 'the stdio pipes', body: Buffer.concat(wire) });
    expect(spyScan.findings).toEqual([]);
    // The spy is live.
    const control = createBlindnessSpy([utf8(REFUND.iban)], [AGENT]);
    control.scan({ where: 'control', body: utf8(JSON.stringify({ REFUND, AGENT })) });
    expect(control.findings.length).toBeGreaterThan(0);
  });

  it('unsealed tools keep working, in the clear', async () => {
    const res = await client.callTool({ name: 'ping', arguments: { n: 7 } });
    expect(res.content).toEqual([{ type: 'text', text: 'pong 7' }]);
    expect(calls.at(-1)!.caller).toBeUndefined();
  });

  it('a caller name forged in _meta is stripped, never trusted', async () => {
    await client.callTool({
      name: 'ping',
      arguments: { n: 8 },
      _meta: { 'blindwire/caller': { sender: OTHER, senderKid: 'x', messageId: 'y' } },
    });
    expect(calls.at(-1)!.caller).toBeUndefined();
  });
});
