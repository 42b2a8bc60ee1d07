/**
 * The framework adapters, each for real: a listening server of Express 5,
 * Fastify 5 and Hono 4 (the lowest and the latest of each range), a sealed
 * call through it, a body parser that would have read the body first, and a
 * replay refused.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import express5 from 'express';
// @ts-expect-error express 5.0.0 through an npm alias: typed as the latest below
import express50 from 'express5-0';
import fastify5 from 'fastify';
import fastify50 from 'fastify5-0';
import { Hono as Hono4 } from 'hono';
import { Hono as Hono40 } from 'hono4-0';
import { serve } from '@hono/node-server';
import {
  createSealedHandler,
  expressHandler,
  fastifySealed,
  honoHandler,
  sealedFetch,
  type FetchLike,
  type SealedHandler,
} from '../src/index.js';
import { AGENT, TOOL, cast, type Cast } from './helpers.js';

interface Mounted {
  url: string;
  close(): Promise<void>;
}

async function nodeServer(listener: Parameters<typeof createServer>[1]): Promise<Mounted> {
  const server: Server = createServer(listener);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

type ExpressFactory = typeof express5;
const expressMount =
  (factory: ExpressFactory) =>
  async (h: SealedHandler): Promise<Mounted> => {
    const app = factory();
    app.post('/plain', factory.json(), (req, res) => {
      res.json(req.body);
    });
    app.use('/tools', expressHandler(h) as unknown as Parameters<typeof app.use>[1]);
    // A parser mounted before the sealed routes: the adapter must refuse, not open a consumed body.
    app.use(
      '/parsed',
      factory.raw({ type: '*/*' }),
      expressHandler(h) as unknown as Parameters<typeof app.use>[1],
    );
    return nodeServer(app as unknown as Parameters<typeof createServer>[1]);
  };

const fastifyMount =
  (factory: typeof fastify5) =>
  async (h: SealedHandler): Promise<Mounted> => {
    const app = factory();
    await app.register(fastifySealed(h) as never, { prefix: '/tools' });
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    return { url, close: () => app.close() };
  };

const honoMount =
  (H: typeof Hono4) =>
  async (h: SealedHandler): Promise<Mounted> => {
    const app = new H();
    app.all('/tools/*', honoHandler(h));
    const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
      const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
    });
    return {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      close: () => new Promise<void>((r) => server.close(() => r())),
    };
  };

const ADAPTERS: [string, (h: SealedHandler) => Promise<Mounted>][] = [
  ['express (latest 5)', expressMount(express5)],
  ['express 5.0.0', expressMount(express50 as unknown as ExpressFactory)],
  ['fastify (latest 5)', fastifyMount(fastify5)],
  ['fastify 5.0.0', fastifyMount(fastify50 as unknown as typeof fastify5)],
  ['hono (latest 4)', honoMount(Hono4)],
  ['hono 4.0.0', honoMount(Hono40 as unknown as typeof Hono4)],
];

let c: Cast;
beforeAll(async () => {
  c = await cast();
});

describe.each(ADAPTERS)('%s', (_label, mount) => {
  let m: Mounted;
  let seen: string[];
  beforeAll(async () => {
    seen = [];
    const h = createSealedHandler({
      recipient: c.tool.encryption,
      resolveSender: c.resolveSigningKey,
      routes: [{ path: '/**', allowedSenders: [AGENT] }],
      handler: (call) => {
        seen.push(`${call.sender} ${call.method} ${call.path} ${call.text()}`);
        return Response.json({ ok: call.json() });
      },
    });
    m = await mount(h);
  });
  afterAll(() => m?.close());

  it('opens the call, answers sealed, refuses its replay', async () => {
    const sent: RequestInit[] = [];
    const rec: FetchLike = (input, init) => {
      sent.push(init!);
      return fetch(input, init);
    };
    const f = sealedFetch(rec, { sender: c.agent, to: TOOL, resolveRecipient: c.resolveRecipient });
    const res = await f(`${m.url}/tools/refund`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"amount":5}',
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: { amount: 5 } });
    expect(seen).toEqual([`${AGENT} POST /tools/refund {"amount":5}`]);
    const replay = await fetch(`${m.url}/tools/refund`, sent[0]!);
    expect(replay.status).toBe(400);
    expect(((await replay.json()) as { code: string }).code).toBe('ERR_REPLAY');
    expect(seen.length).toBe(1);
  });

  it.runIf(_label.startsWith('express'))('refuses a body a parser consumed before it', async () => {
    const f = sealedFetch(fetch, {
      sender: c.agent,
      to: TOOL,
      resolveRecipient: c.resolveRecipient,
    });
    const err = await f(`${m.url}/parsed/x`, { method: 'POST', body: 'x' }).catch(
      (e: unknown) => e,
    );
    expect((err as { cause: unknown }).cause).toEqual({
      status: 500,
      code: 'ERR_INVALID_ARGUMENT',
    });
    const plain = await fetch(`${m.url}/plain`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"a":1}',
    });
    expect(await plain.json()).toEqual({ a: 1 });
  });
});
