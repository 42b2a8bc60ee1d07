/**
 * Smaller leaks and misreadings: digests of the plaintext never travel in
 * the clear in stream mode; several sealed Set-Cookie fields stay several; a
 * forged problem code never reaches an error message unchecked; an abort
 * signal reaches the transport in both modes.
 */
import { describe, expect, it } from 'vitest';
import { expectCode } from '@blindwire/testkit';
import { createSealedHandler, sealedFetch, type FetchLike } from '../src/index.js';
import { problemCode } from '../src/problem.js';
import { AGENT, TOOL, cast } from './helpers.js';

const streamOptions = async () => {
  const c = await cast();
  return {
    c,
    o: {
      sender: c.agent,
      to: TOOL,
      resolveRecipient: c.resolveRecipient,
      keys: c.agent.encryption,
      resolveSender: c.resolveSigningKey,
      maxMessageBytes: 16,
    },
  };
};

describe('hygiene', () => {
  it('stream mode sends no digest or md5 of the plaintext in the clear', async () => {
    const { o } = await streamOptions();
    let sent: Headers | undefined;
    await sealedFetch(async (_u, init) => {
      sent = new Headers(init!.headers);
      return new Response(null, { status: 500 });
    }, o)('http://t/tools/x', {
      method: 'POST',
      headers: {
        digest: 'sha-256=abc',
        'repr-digest': 'sha-256=:abc:',
        'content-digest': 'sha-256=:abc:',
        'content-md5': 'abc',
        'x-public': 'yes',
      },
      body: new Uint8Array(64),
    }).catch(() => undefined);
    for (const n of ['digest', 'repr-digest', 'content-digest', 'content-md5'])
      expect(sent!.get(n)).toBeNull();
    expect(sent!.get('x-public')).toBe('yes');
  });

  it('several sealed set-cookie fields arrive as several', async () => {
    const c = await cast();
    const handler = createSealedHandler({
      recipient: c.tool.encryption,
      resolveSender: c.resolveSigningKey,
      routes: [{ path: '/tools/*', allowedSenders: [AGENT] }],
      sealHeaders: ['set-cookie'],
      handler: () => {
        const h = new Headers();
        h.append('set-cookie', 'a=1; Expires=Wed, 21 Oct 2026 07:28:00 GMT');
        h.append('set-cookie', 'b=2');
        return new Response('ok', { headers: h });
      },
    });
    const res = await sealedFetch((u, init) => handler(new Request(u, init)), {
      sender: c.agent,
      to: TOOL,
      resolveRecipient: c.resolveRecipient,
    })('http://t/tools/x', { method: 'POST', body: 'x' });
    expect(res.headers.getSetCookie()).toEqual([
      'a=1; Expires=Wed, 21 Oct 2026 07:28:00 GMT',
      'b=2',
    ]);
  });

  it('a problem code is reported only when it is one: ERR_ and capitals', () => {
    expect(problemCode('{"code":"ERR_REPLAY"}')).toBe('ERR_REPLAY');
    expect(problemCode('{"code":"ERR_X\\nINFO forged log line"}')).toBeUndefined();
    expect(problemCode('{"code":"all good"}')).toBeUndefined();
    expect(problemCode(`{"code":"ERR_${'A'.repeat(61)}"}`)).toBeUndefined();
  });

  it('a problem body over 4 KiB in stream mode is ERR_TRANSPORT without a code', async () => {
    const { o } = await streamOptions();
    const f = sealedFetch(async (_u, init) => {
      await new Response(init!.body).arrayBuffer();
      return new Response(`{"code":"ERR_REPLAY","pad":"${'x'.repeat(5000)}"}`, {
        status: 400,
        headers: { 'content-type': 'application/problem+json' },
      });
    }, o);
    const e = await expectCode(
      f('http://t/tools/x', { method: 'POST', body: new Uint8Array(64) }),
      'ERR_TRANSPORT',
    );
    expect((e as { cause?: { code?: string } }).cause?.code).toBeUndefined();
  });

  it.each([
    ['message mode, signal on the Request', 8],
    ['stream mode, signal in init', 64],
  ])('%s: the abort signal reaches the transport', async (name, size) => {
    const { o } = await streamOptions();
    let got: AbortSignal | null | undefined;
    const f: FetchLike = async (_u, init) => {
      got = init?.signal;
      return new Response(null, { status: 500 });
    };
    const ac = new AbortController();
    const call = sealedFetch(f, { ...o, maxMessageBytes: 4096 });
    const body = new Uint8Array(size);
    if (name.startsWith('message'))
      await call(
        new Request('http://t/tools/x', { method: 'POST', body, signal: ac.signal }),
      ).catch(() => undefined);
    else
      await sealedFetch(f, o)('http://t/tools/x', {
        method: 'POST',
        body,
        signal: ac.signal,
      }).catch(() => undefined);
    expect(got).toBeDefined();
    ac.abort();
    expect(got!.aborted).toBe(true);
  });
});

describe('handler failures', () => {
  it('the event of a failed handler carries its error locally; the problem only the code', async () => {
    const c = await cast();
    const events: { outcome: string; error?: unknown }[] = [];
    const handler = createSealedHandler({
      recipient: c.tool.encryption,
      resolveSender: c.resolveSigningKey,
      routes: [{ path: '/tools/*', allowedSenders: [AGENT] }],
      onEvent: (e) => events.push(e),
      handler: () => {
        throw new Error('ledger locked');
      },
    });
    let text = '';
    await sealedFetch(
      async (u, init) => {
        const r = await handler(new Request(u, init));
        text = await r.clone().text();
        return r;
      },
      { sender: c.agent, to: TOOL, resolveRecipient: c.resolveRecipient },
    )('http://t/tools/x', { method: 'POST', body: 'x' }).catch(() => undefined);
    expect(text).not.toContain('ledger');
    expect(JSON.parse(text)).toMatchObject({ code: 'ERR_HANDLER' });
    const failed = events.find((e) => e.outcome === 'handler-failed');
    expect((failed?.error as Error | undefined)?.message).toBe('ledger locked');
  });
});
