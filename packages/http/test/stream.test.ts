/**
 * Stream mode over node:http: a body above the message limit is sealed
 * chunk by chunk; the handler reads it as it verifies and gets the verified
 * agent at the end; a stream cut or tampered in flight fails the call,
 * whatever the handler answered; the tool's reply opens only for the caller.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MediaType } from '@blindwire/core';
import { createSealedHandler, sealedFetch, type FetchLike } from '../src/index.js';
import { AGENT, TOOL, cast, listen, type Cast, type Running } from './helpers.js';

let c: Cast;
let app: Running;
const verifiedSenders: string[] = [];

beforeAll(async () => {
  c = await cast();
  app = await listen(
    createSealedHandler({
      recipient: c.tool.encryption,
      resolveSender: c.resolveSigningKey,
      routes: [{ path: '/tools/*', allowedSenders: [AGENT] }],
      maxMessageBytes: 2048,
      identity: c.tool,
      resolveRecipient: c.resolveRecipient,
      handler: () => new Response('message mode'),
      streamHandler: async (call) => {
        let n = 0;
        let sum = 0;
        for await (const chunk of call.body as unknown as AsyncIterable<Uint8Array>) {
          n += chunk.length;
          for (const b of chunk) sum = (sum + b) % 65521;
        }
        const { sender } = await call.verified;
        verifiedSenders.push(sender);
        return Response.json({ bytes: n, sum, sender });
      },
    }),
  );
});
afterAll(() => app?.close());

const body = new Uint8Array(300_000).map((_, i) => (i * 31) % 251);
const sum = body.reduce((s, b) => (s + b) % 65521, 0);
const options = () => ({
  sender: c.agent,
  to: TOOL,
  resolveRecipient: c.resolveRecipient,
  keys: c.agent.encryption,
  resolveSender: c.resolveSigningKey,
  maxMessageBytes: 2048,
  chunkSize: 16_384,
});

describe('stream mode', () => {
  it('a body above the message limit streams; the tool verifies it and answers the agent', async () => {
    let sentType: string | null = null;
    const rec: FetchLike = (input, init) => {
      sentType = new Headers(init?.headers).get('content-type');
      return fetch(input, init);
    };
    const res = await sealedFetch(rec, options())(`${app.url}/tools/upload`, {
      method: 'POST',
      body,
    });
    expect(sentType).toBe(MediaType.Stream);
    expect(await res.json()).toEqual({ bytes: body.length, sum, sender: AGENT });
    expect(verifiedSenders).toContain(AGENT);
  });

  it('a body above the message limit streams even when it is larger than the reply limit', async () => {
    const res = await sealedFetch(fetch, { ...options(), maxResponseBytes: 4096 })(
      `${app.url}/tools/upload`,
      { method: 'POST', body },
    );
    expect(await res.json()).toEqual({ bytes: body.length, sum, sender: AGENT });
  });

  it('a stream tampered in flight fails the call with a problem, not the handler answer', async () => {
    const tamper: FetchLike = (input, init) => {
      let seen = 0;
      const flip = new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, ctl) {
          const copy = chunk.slice();
          if (seen < 100_000 && seen + copy.length > 100_000) copy[100_000 - seen]! ^= 1;
          seen += copy.length;
          ctl.enqueue(copy);
        },
      });
      const b = (init!.body as ReadableStream<Uint8Array>).pipeThrough(flip);
      return fetch(input, { ...init, body: b, duplex: 'half' } as RequestInit);
    };
    const err = await sealedFetch(tamper, options())(`${app.url}/tools/upload`, {
      method: 'POST',
      body,
    }).catch((e: unknown) => e);
    expect((err as { cause: unknown }).cause).toEqual({ status: 400, code: 'ERR_OPEN_FAILED' });
  });

  it('a stream cut short fails the call', async () => {
    const cut: FetchLike = (input, init) => {
      let seen = 0;
      const stop = new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, ctl) {
          if (seen < 200_000) ctl.enqueue(chunk.slice(0, Math.max(0, 200_000 - seen)));
          seen += chunk.length;
        },
      });
      const b = (init!.body as ReadableStream<Uint8Array>).pipeThrough(stop);
      return fetch(input, { ...init, body: b, duplex: 'half' } as RequestInit);
    };
    const err = await sealedFetch(cut, options())(`${app.url}/tools/upload`, {
      method: 'POST',
      body,
    }).catch((e: unknown) => e);
    expect((err as { cause: unknown }).cause).toEqual({ status: 400, code: 'ERR_OPEN_FAILED' });
  });

  it('an agent outside the route is refused before any byte reaches the handler', async () => {
    const before = verifiedSenders.length;
    const o = { ...options(), sender: c.other, keys: c.other.encryption };
    const err = await sealedFetch(fetch, o)(`${app.url}/tools/upload`, {
      method: 'POST',
      body,
    }).catch((e: unknown) => e);
    expect((err as { cause: unknown }).cause).toEqual({
      status: 403,
      code: 'ERR_SENDER_NOT_ALLOWED',
    });
    expect(verifiedSenders.length).toBe(before);
  });
});
