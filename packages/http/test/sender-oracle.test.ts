/**
 * A proxy holding one captured envelope must not learn which routes its
 * hidden caller may call: sent to another path, any agent's envelope is
 * ERR_CONTEXT_MISMATCH, whatever the routes allow it (the context is checked
 * before the route's senders); on its own path, an agent the route does not
 * allow is ERR_SENDER_NOT_ALLOWED and the handler never runs.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MediaType, generateIdentity, publicIdentity, type Identity } from '@blindwire/core';
import { createSealedHandler, sealedFetch, type SealedHandler } from '../src/index.js';
import { TOOL, cast, type Cast } from './helpers.js';

const ADMIN = 'spiffe://acme.example/agents/admin';
let c: Cast;
let admin: Identity;
let runs = 0;
let handler: SealedHandler;
let stream: SealedHandler;

beforeAll(async () => {
  c = await cast();
  admin = await generateIdentity(ADMIN);
  const resolveSender = (name: string, kid: string) =>
    name === ADMIN && kid === admin.signing.kid
      ? admin.signing.publicKey
      : c.resolveSigningKey(name, kid);
  const resolveRecipient = (name: string) =>
    name === ADMIN ? publicIdentity(admin) : c.resolveRecipient(name);
  const common = {
    recipient: c.tool.encryption,
    resolveSender,
    routes: [
      { method: 'POST', path: '/tools/admin/*', allowedSenders: [ADMIN] },
      { method: 'POST', path: '/tools/**', allowedSenders: ['spiffe://acme.example/agents/*'] },
    ],
    identity: c.tool,
    resolveRecipient,
    handler: () => {
      runs++;
      return new Response('ok');
    },
  };
  handler = createSealedHandler(common);
  stream = createSealedHandler({
    ...common,
    streamHandler: async (call) => {
      await new Response(call.body).arrayBuffer();
      await call.verified;
      runs++;
      return new Response('ok');
    },
  });
});

/** The outer request sealedFetch would send for `who` calling POST `path`, never delivered. */
async function capture(
  who: Identity,
  path: string,
  streamed = false,
): Promise<{ headers: Headers; bytes: Uint8Array }> {
  let got: { headers: Headers; bytes: Uint8Array } | undefined;
  await sealedFetch(
    async (_u, init) => {
      got = {
        headers: new Headers(init!.headers),
        bytes: new Uint8Array(await new Response(init!.body).arrayBuffer()),
      };
      return new Response(null, { status: 500 });
    },
    {
      sender: who,
      to: TOOL,
      resolveRecipient: c.resolveRecipient,
      keys: who.encryption,
      resolveSender: c.resolveSigningKey,
      ...(streamed && { maxMessageBytes: 16, chunkSize: 1024 }),
    },
  )(`http://t${path}`, { method: 'POST', body: streamed ? new Uint8Array(4000) : '{}' }).catch(
    () => undefined,
  );
  return got!;
}

async function codeAt(
  h: SealedHandler,
  path: string,
  sent: { headers: Headers; bytes: Uint8Array },
): Promise<string> {
  const r = await h(
    new Request(`http://t${path}`, {
      method: 'POST',
      headers: sent.headers,
      body: sent.bytes as BodyInit,
    }),
  );
  if (r.headers.get('content-type') !== 'application/problem+json') return `sealed ${r.status}`;
  return `${r.status} ${((await r.json()) as { code: string }).code}`;
}

const segment = fc.stringMatching(/^[a-z]{1,8}$/);

describe('no sender-class oracle', () => {
  it('message mode: another path is ERR_CONTEXT_MISMATCH for any agent, whatever the routes allow', async () => {
    await fc.assert(
      fc.asyncProperty(segment, segment, fc.boolean(), async (own, target, toAdmin) => {
        const to = toAdmin ? `/tools/admin/${target}` : `/tools/x/${target}`;
        fc.pre(to !== `/tools/${own}`);
        const before = runs;
        const codes = [];
        for (const who of [c.agent, admin])
          codes.push(await codeAt(handler, to, await capture(who, `/tools/${own}`)));
        expect(codes).toEqual(['400 ERR_CONTEXT_MISMATCH', '400 ERR_CONTEXT_MISMATCH']);
        expect(runs).toBe(before);
      }),
      { numRuns: 15 },
    );
  });

  it('message mode: on its own path, an agent the route does not allow is 403 and never runs', async () => {
    const sent = await capture(c.agent, '/tools/admin/wipe');
    const before = runs;
    expect(await codeAt(handler, '/tools/admin/wipe', sent)).toBe('403 ERR_SENDER_NOT_ALLOWED');
    expect(runs).toBe(before);
    const ok = await capture(admin, '/tools/admin/wipe');
    expect(await codeAt(handler, '/tools/admin/wipe', ok)).toBe('sealed 200');
  });

  it('stream mode: another path is ERR_CONTEXT_MISMATCH for any agent', async () => {
    const codes = [];
    for (const who of [c.agent, admin]) {
      const sent = await capture(who, '/tools/refund', true);
      expect(sent.headers.get('content-type')).toBe(MediaType.Stream);
      codes.push(await codeAt(stream, '/tools/admin/wipe', sent));
    }
    expect(codes).toEqual(['400 ERR_CONTEXT_MISMATCH', '400 ERR_CONTEXT_MISMATCH']);
  });
});
