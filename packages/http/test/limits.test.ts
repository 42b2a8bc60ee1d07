/**
 * Near the message limit: the client picks message mode only when the sealed
 * envelope fits the limit the server applies to it, and streams otherwise, so
 * that no body is refused for its envelope's overhead.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MediaType } from '@blindwire/core';
import { createSealedHandler, sealedFetch } from '../src/index.js';
import { AGENT, TOOL, cast } from './helpers.js';

const LIMIT = 4096;

describe('bodies near the message limit', () => {
  it('any body size around the limit arrives whole, as a message or a stream', async () => {
    const c = await cast();
    const handler = createSealedHandler({
      recipient: c.tool.encryption,
      resolveSender: c.resolveSigningKey,
      identity: c.tool,
      resolveRecipient: c.resolveRecipient,
      routes: [{ path: '/tools/*', allowedSenders: [AGENT] }],
      maxMessageBytes: LIMIT,
      handler: (call) => new Response(`message ${call.body.length}`),
      streamHandler: async (call) => {
        const n = (await new Response(call.body).arrayBuffer()).byteLength;
        await call.verified;
        return new Response(`stream ${n}`);
      },
    });
    const modes: string[] = [];
    const f = sealedFetch(
      (u, init) => {
        modes.push(new Headers(init?.headers).get('content-type')!);
        return handler(new Request(u, init));
      },
      {
        sender: c.agent,
        to: TOOL,
        resolveRecipient: c.resolveRecipient,
        keys: c.agent.encryption,
        resolveSender: c.resolveSigningKey,
        maxMessageBytes: LIMIT,
      },
    );
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: LIMIT - 600, max: LIMIT + 2 }), async (n) => {
        const res = await f('http://t/tools/x', { method: 'POST', body: new Uint8Array(n) });
        expect(res.status).toBe(200);
        expect((await res.text()).split(' ')[1]).toBe(String(n));
      }),
      { numRuns: 25, examples: [[LIMIT], [LIMIT - 1], [LIMIT - 200], [LIMIT + 1]] },
    );
    expect(modes).toContain(MediaType.Envelope);
    expect(modes).toContain(MediaType.Stream);
  });
});
