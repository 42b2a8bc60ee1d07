/**
 * What a proxy between agent and tool can learn from, or do with, the
 * tool's answers: every answer the handler returned commits the replay
 * reservation and travels with the outer status 200 (the real one sealed);
 * only the sealed fields reach the agent as the tool's.
 */
import { describe, expect, it } from 'vitest';
import { MediaType } from '@blindwire/core';
import { createSealedHandler, sealedFetch, type FetchLike } from '../src/index.js';
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
