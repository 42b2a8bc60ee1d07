/**
 * What a proxy between agent and tool can learn from, or do with, the
 * tool's answers: every answer the handler returned commits the replay
 * reservation and travels with the outer status 200 (the real one sealed);
 * only the sealed fields reach the agent as the tool's.
 */
import { describe, expect, it } from 'vitest';
import { MediaType, open, publicIdentity, seal, sealResponse } from '@blindwire/core';
import { expectCode } from '@blindwire/testkit';
import {
  createSealedHandler,
  encodeRecord,
  openSealedResponse,
  sealedFetch,
  type FetchLike,
} from '../src/index.js';
import { AGENT, TOOL, cast } from './helpers.js';

describe('an answer of any status commits the reservation', () => {
  it('a captured request answered 402 cannot be replayed once funds arrive', async () => {
    const c = await cast();
    let funds = 0;
    let runs = 0;
    const handler = createSealedHandler({
      recipient: c.tool.encryption,
      resolveSender: c.resolveSigningKey,
      routes: [{ method: 'POST', path: '/tools/*', allowedSenders: [AGENT] }],
      handler: () => {
        runs++;
        if (funds < 100) return Response.json({ e: 'insufficient funds' }, { status: 402 });
        funds -= 100;
        return Response.json({ paid: 100 });
      },
    });
    let captured: { url: string; init: RequestInit } | undefined;
    const outerStatuses: number[] = [];
    const spy: FetchLike = async (u, init) => {
      captured = { url: String(u), init: init! };
      const r = await handler(new Request(u, init));
      outerStatuses.push(r.status);
      return r;
    };
    const f = sealedFetch(spy, { sender: c.agent, to: TOOL, resolveRecipient: c.resolveRecipient });
    const res = await f('http://t/tools/pay', { method: 'POST', body: '{"to":"mallory"}' });
    expect(res.status).toBe(402);
    expect(await res.json()).toEqual({ e: 'insufficient funds' });
    expect(outerStatuses).toEqual([200]);
    funds = 1000;
    const again = await handler(new Request(captured!.url, captured!.init));
    expect(again.headers.get('content-type')).toBe('application/problem+json');
    expect(((await again.json()) as { code: string }).code).toBe('ERR_REPLAY');
    expect(runs).toBe(1);
    expect(funds).toBe(1000);
  });

  it.each([201, 204, 302, 404, 422, 500, 503])(
    'a %i answer travels as an outer 200 and arrives with its sealed status',
    async (status) => {
      const c = await cast();
      const handler = createSealedHandler({
        recipient: c.tool.encryption,
        resolveSender: c.resolveSigningKey,
        routes: [{ path: '/tools/*', allowedSenders: [AGENT] }],
        handler: () =>
          new Response([204].includes(status) ? null : 'x', {
            status,
            statusText: 'Secret Reason',
            ...(status === 302 && { headers: { location: '/elsewhere' } }),
          }),
      });
      let outer: Response | undefined;
      const f = sealedFetch(
        async (u, init) => (outer = await handler(new Request(u, init))).clone(),
        { sender: c.agent, to: TOOL, resolveRecipient: c.resolveRecipient },
      );
      const res = await f('http://t/tools/x', { method: 'POST', body: 'b' });
      expect(res.status).toBe(status);
      expect(outer!.status).toBe(200);
      expect(outer!.statusText).not.toBe('Secret Reason');
      expect(outer!.headers.get('content-type')).toBe(MediaType.Response);
    },
  );
});

describe("only sealed fields reach the agent as the tool's", () => {
  it('headers a proxy adds to the answer are kept apart as unsealed', async () => {
    const c = await cast();
    const handler = createSealedHandler({
      recipient: c.tool.encryption,
      resolveSender: c.resolveSigningKey,
      routes: [{ path: '/tools/*', allowedSenders: [AGENT] }],
      handler: () =>
        new Response('{"ok":true}', {
          headers: { 'content-type': 'application/json', 'x-public': 'tool' },
        }),
    });
    const evil: FetchLike = async (u, init) => {
      const r = await handler(new Request(u, init));
      const h = new Headers(r.headers);
      h.set('x-tool-verdict', 'approved');
      h.set('location', 'https://evil.example/');
      h.append('set-cookie', 'session=attacker');
      h.set('content-encoding', 'gzip');
      h.set('x-request-id', 'forged');
      return new Response(r.body, { status: r.status, headers: h });
    };
    const res = await sealedFetch(evil, {
      sender: c.agent,
      to: TOOL,
      resolveRecipient: c.resolveRecipient,
    })('http://t/tools/x', { method: 'POST', body: '{}' });
    const names: string[] = [];
    res.headers.forEach((_v, k) => names.push(k));
    expect(names).toEqual(['content-type']);
    expect(await res.json()).toEqual({ ok: true });
    const unsealed = (res as Response & { unsealedHeaders: Headers }).unsealedHeaders;
    expect(unsealed.get('x-tool-verdict')).toBe('approved');
    expect(unsealed.get('x-public')).toBe('tool');
  });

  it('a sealed reply without :status is ERR_ENVELOPE_MALFORMED', async () => {
    const c = await cast();
    const sealed = await seal(encodeRecord({ body: new Uint8Array(0), headers: [] }), {
      sender: c.agent,
      recipients: publicIdentity(c.tool),
      context: 'blindwire/http/v1 POST /tools/x',
    });
    const opened = await open(sealed.envelope, {
      recipient: c.tool.encryption,
      resolveSender: c.resolveSigningKey,
      context: 'blindwire/http/v1 POST /tools/x',
    });
    const reply = await sealResponse(
      opened,
      encodeRecord({ body: new TextEncoder().encode('hi'), headers: [] }),
    );
    const outer = new Response(reply.envelope as BodyInit, {
      headers: { 'content-type': MediaType.Response },
    });
    await expectCode(openSealedResponse(outer, sealed), 'ERR_ENVELOPE_MALFORMED');
  });
});
