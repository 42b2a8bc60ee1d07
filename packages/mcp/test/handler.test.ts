/**
 * The Web handler decorator (createSealedMcpHandler) around a stand-in for
 * an SDK handler that records what it was given: a plaintext call to a
 * sealed tool is refused without reaching it; a sealed call reaches it
 * opened (as the body and as `parsedBody`); the answer is sealed in a JSON
 * body and in an SSE stream, other events left alone; an over-large body is
 * 413 unread.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { McpServer, createMcpHandler } from '@modelcontextprotocol/server';
import {
  createSealedMcpHandler,
  sealedCaller,
  type JsonRpcMessage,
  type McpFetch,
} from '../src/index.js';
import { AGENT, REFUND, TOOL, cast, type Cast } from './helpers.js';
import { sealer, type Sealer } from './rig.js';

const call = (id: number): JsonRpcMessage => ({
  jsonrpc: '2.0',
  id,
  method: 'tools/call',
  params: { name: 'refund', arguments: { ...REFUND } },
});
const post = (body: unknown) =>
  new Request('http://tool.example/mcp', {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'mcp-method': 'tools/call',
      'mcp-name': 'refund',
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
const result = {
  content: [{ type: 'text', text: 'done' }],
  structuredContent: { ok: REFUND.order },
};

describe('createSealedMcpHandler', () => {
  let c: Cast;
  let agent: Sealer;
  beforeAll(async () => {
    c = await cast();
    agent = sealer({
      sender: c.agent,
      to: TOOL,
      resolveRecipient: c.resolveRecipient,
      tools: ['refund'],
    });
  });
  const options = () => ({
    recipient: c.tool.encryption,
    resolveSender: c.resolveSigningKey,
    tools: { refund: { allowedSenders: [AGENT] } },
    maxMessageBytes: 4096,
  });

  it('refuses a plaintext call to a sealed tool without calling the SDK', async () => {
    const seen: unknown[] = [];
    const h = createSealedMcpHandler(async (r) => (seen.push(r), new Response()), options());
    const res = await h(post(call(1)));
    expect(((await res.json()) as JsonRpcMessage).error?.data).toEqual({ code: 'ERR_UNSUPPORTED' });
    expect(seen).toEqual([]);
  });

  it('opens a sealed call for the SDK and seals its JSON answer', async () => {
    const given: { body: JsonRpcMessage; parsed: unknown; name: string | null }[] = [];
    const inner: McpFetch = async (r, o) => {
      given.push({
        body: (await r.json()) as JsonRpcMessage,
        parsed: o?.parsedBody,
        name: r.headers.get('mcp-name'),
      });
      return Response.json({ jsonrpc: '2.0', id: 2, result });
    };
    const h = createSealedMcpHandler(inner, options());
    const res = await h(post(await agent.seal(call(2))));
    expect(given[0]!.body.params?.arguments).toEqual(REFUND);
    expect(given[0]!.parsed).toEqual(given[0]!.body);
    expect(given[0]!.name).toBe('refund');
    const text = await res.text();
    expect(text).not.toContain(REFUND.order);
    expect((await agent.answer(JSON.parse(text) as JsonRpcMessage)).result).toEqual(result);
  });

  it('seals the answer in an SSE stream, in pieces, and leaves other events alone', async () => {
    const events =
      'event: message\ndata: {"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":1,"progress":1}}\n\n' +
      `event: message\nid: 7\ndata: ${JSON.stringify({ jsonrpc: '2.0', id: 3, result })}\n\n`;
    const bytes = new TextEncoder().encode(events);
    const inner: McpFetch = async () =>
      new Response(
        new ReadableStream({
          start(controller) {
            for (let i = 0; i < bytes.length; i += 17) controller.enqueue(bytes.slice(i, i + 17));
            controller.close();
          },
        }),
        { headers: { 'content-type': 'text/event-stream' } },
      );
    const h = createSealedMcpHandler(inner, options());
    const res = await h(post(await agent.seal(call(3))));
    const text = await res.text();
    expect(text).not.toContain(REFUND.order);
    const blocks = text.split('\n\n').filter((b) => b.length > 0);
    expect(blocks[0]).toContain('"notifications/progress"');
    expect(blocks[1]).toMatch(/^event: message\nid: 7\ndata: /);
    const answer = JSON.parse(blocks[1]!.split('data: ')[1]!) as JsonRpcMessage;
    expect((await agent.answer(answer)).result).toEqual(result);
  });

  it('refuses an over-large body with 413 before opening anything', async () => {
    const h = createSealedMcpHandler(async () => new Response(), options());
    const res = await h(post('x'.repeat(200_000)));
    expect(res.status).toBe(413);
    expect(((await res.json()) as JsonRpcMessage).error?.data).toEqual({
      code: 'ERR_LIMIT_EXCEEDED',
    });
  });

  it('refuses a batch before the SDK: a forged caller never reaches a sealed tool (real SDK)', async () => {
    const seen: unknown[] = [];
    const sdk = createMcpHandler(() => {
      const server = new McpServer({ name: 'payments', version: '1.0.0' });
      server.registerTool(
        'refund',
        { inputSchema: z.object({ order: z.string(), amount: z.string() }) },
        async (args, extra) => {
          seen.push({ args, caller: sealedCaller(extra) });
          return { content: [{ type: 'text', text: 'ok' }] };
        },
      );
      return server;
    });
    const h = createSealedMcpHandler(sdk.fetch as McpFetch, options());
    const forged = {
      ...call(8),
      params: {
        ...call(8).params,
        _meta: { 'blindwire/caller': { sender: AGENT, senderKid: 'k', messageId: 'm' } },
      },
    };
    const withAccept = (r: Request) => {
      r.headers.set('accept', 'application/json, text/event-stream');
      return r;
    };
    const batch = await h(withAccept(post([forged])));
    expect(batch.status).toBe(400);
    expect(((await batch.json()) as JsonRpcMessage).error).toMatchObject({
      code: -32600,
      data: { code: 'ERR_UNSUPPORTED' },
    });
    const single = await h(withAccept(post(forged)));
    expect(((await single.json()) as JsonRpcMessage).error?.data).toEqual({
      code: 'ERR_UNSUPPORTED',
    });
    expect(seen).toEqual([]);
  });

  it('takes a parsedBody given by the caller as the message: opened or refused, never forwarded as is', async () => {
    const given: unknown[] = [];
    const inner: McpFetch = async (_r, o) => (
      given.push(o?.parsedBody),
      Response.json({ jsonrpc: '2.0', id: (o?.parsedBody as JsonRpcMessage).id, result })
    );
    const h = createSealedMcpHandler(inner, options());
    const empty = () => post('');
    const plain = await h(empty(), { parsedBody: call(9) });
    expect(((await plain.json()) as JsonRpcMessage).error?.data).toEqual({
      code: 'ERR_UNSUPPORTED',
    });
    expect(given).toEqual([]);
    const batch = await h(empty(), { parsedBody: [call(9)] });
    expect(batch.status).toBe(400);
    expect(given).toEqual([]);
    const sealed = await h(empty(), { parsedBody: await agent.seal(call(10)) });
    expect((given[0] as JsonRpcMessage).params?.arguments).toEqual(REFUND);
    expect(await sealed.text()).not.toContain(REFUND.order);
  });
});
