/**
 * A stream handler gets the sender (authenticated by record 0) at once, and
 * `verified` once the whole body verified: awaiting `verified` before reading
 * the body, which could never settle, rejects at once with a clear error
 * instead of hanging the call.
 */
import { describe, expect, it } from 'vitest';
import { createSealedHandler, sealedFetch, type SealedStreamCall } from '../src/index.js';
import { AGENT, TOOL, cast } from './helpers.js';

async function run(streamHandler: (call: SealedStreamCall) => Promise<Response>) {
  const c = await cast();
  const handler = createSealedHandler({
    recipient: c.tool.encryption,
    resolveSender: c.resolveSigningKey,
    identity: c.tool,
    resolveRecipient: c.resolveRecipient,
    routes: [{ path: '/tools/*', allowedSenders: [AGENT] }],
    handler: () => new Response('message'),
    streamHandler,
  });
  return sealedFetch((u, init) => handler(new Request(u, init)), {
    sender: c.agent,
    to: TOOL,
    resolveRecipient: c.resolveRecipient,
    keys: c.agent.encryption,
    resolveSender: c.resolveSigningKey,
    maxMessageBytes: 1024,
    chunkSize: 1024,
  })('http://t/tools/upload', { method: 'POST', body: new Uint8Array(256 * 1024) });
}

describe('stream handlers and verified', () => {
  it('awaiting verified before reading the body rejects at once; the call fails, never hangs', async () => {
    let error: unknown;
    await expect(
      run(async (call) => {
        try {
          await call.verified;
        } catch (e) {
          error = e;
          throw e;
        }
        return new Response('never');
      }),
    ).rejects.toMatchObject({ code: 'ERR_TRANSPORT', cause: { code: 'ERR_HANDLER' } });
    expect(error).toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
  });

  it('the sender is there before the body is read; verified settles after it', async () => {
    const res = await run(async (call) => {
      const who = call.sender;
      const destructured = call.verified;
      const n = (await new Response(call.body).arrayBuffer()).byteLength;
      const v = await destructured;
      return Response.json({ who, kid: call.senderKid === v.senderKid, n, sender: v.sender });
    });
    expect(await res.json()).toEqual({ who: AGENT, kid: true, n: 256 * 1024, sender: AGENT });
  });

  it('Promise.all of reading and verified settles', async () => {
    const res = await run(async (call) => {
      const [buf, v] = await Promise.all([new Response(call.body).arrayBuffer(), call.verified]);
      return new Response(`${buf.byteLength} ${v.sender}`);
    });
    expect(await res.text()).toBe(`${256 * 1024} ${AGENT}`);
  });
});
