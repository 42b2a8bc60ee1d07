/**
 * The sealed handler and sealedFetch against each other over node:http on
 * loopback: replay refused, the context bound to method and path, a response
 * only its caller opens, a restart that opens the reply from the exported
 * state, the route policy, the problem bodies and the limits.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MediaType, openResponse, seal } from '@blindwire/core';
import { expectCode } from '@blindwire/testkit';
import {
  createSealedHandler,
  openSealedResponse,
  openWithState,
  sealedFetch,
  type FetchLike,
} from '../src/index.js';
import { AGENT, OTHER, TOOL, cast, listen, type Cast, type Running } from './helpers.js';

let c: Cast;
let app: Running;
let calls = 0;

beforeAll(async () => {
  c = await cast();
  app = await listen(
    createSealedHandler({
      recipient: c.tool.encryption,
      resolveSender: c.resolveSigningKey,
      routes: [
        {
          method: 'POST',
          path: '/tools/admin',
          allowedSenders: ['spiffe://acme.example/agents/root'],
        },
        { method: '*', path: '/tools/*', allowedSenders: [AGENT] },
      ],
      maxMessageBytes: 4096,
      handler: async (call) => {
        calls++;
        if (call.text() === 'fail') return new Response('nope', { status: 422 });
        if (call.text() === 'throw') throw new Error('secret detail');
        if (call.text() === 'empty') return new Response(null, { status: 204 });
        if (call.text() === 'big') return new Response(new Uint8Array(8192));
        return Response.json({ for: call.sender, path: call.path, got: call.text() });
      },
    }),
  );
});
afterAll(() => app?.close());

/** A fetch that records what it sent and what it got. */
function recording(): {
  f: FetchLike;
  sent: { url: string; init: RequestInit }[];
  got: Uint8Array[];
} {
  const sent: { url: string; init: RequestInit }[] = [];
  const got: Uint8Array[] = [];
  const f: FetchLike = async (input, init) => {
    sent.push({ url: String(input), init: init! });
    const res = await fetch(input, init);
    const bytes = new Uint8Array(await res.arrayBuffer());
    got.push(bytes);
    return new Response(bytes, { status: res.status, headers: res.headers });
  };
  return { f, sent, got };
}

const client = (f: FetchLike, who = c.agent) =>
  sealedFetch(f, { sender: who, to: TOOL, resolveRecipient: c.resolveRecipient });

async function problemOf(res: Response): Promise<Record<string, unknown>> {
  expect(res.headers.get('content-type')).toBe('application/problem+json');
  const text = await res.text();
  expect(Number(res.headers.get('content-length'))).toBe(new TextEncoder().encode(text).length);
  const p = JSON.parse(text) as Record<string, unknown>;
  expect(Object.keys(p).sort()).toEqual(['code', 'status', 'title', 'type']);
  expect(p.status).toBe(res.status);
  return p;
}

describe('sealed calls over node:http', () => {
  it('round trip: the tool sees the verified agent, the agent the plaintext answer', async () => {
    const r = recording();
    const res = await client(r.f)(`${app.url}/tools/refund?x=1`, { method: 'POST', body: 'hello' });
    expect(await res.json()).toEqual({ for: AGENT, path: '/tools/refund', got: 'hello' });
    const outer = r.sent[0]!;
    expect(new Headers(outer.init.headers).get('content-type')).toBe(MediaType.Envelope);
    expect(r.got[0]!.length).toBeGreaterThan(0);
  });

  it('a replay of a captured request is refused with ERR_REPLAY and the handler is not called', async () => {
    const r = recording();
    await client(r.f)(`${app.url}/tools/refund`, { method: 'POST', body: 'pay once' });
    const before = calls;
    const again = await fetch(r.sent[0]!.url, r.sent[0]!.init);
    expect(again.status).toBe(400);
    expect((await problemOf(again)).code).toBe('ERR_REPLAY');
    expect(calls).toBe(before);
  });

  it('a non-2xx answer commits the reservation too: a copy is ERR_REPLAY and the status is sealed', async () => {
    const r = recording();
    const res = await client(r.f)(`${app.url}/tools/refund`, { method: 'POST', body: 'fail' });
    expect(res.status).toBe(422);
    expect(await res.text()).toBe('nope');
    const before = calls;
    const again = await fetch(r.sent[0]!.url, r.sent[0]!.init);
    expect((await problemOf(again)).code).toBe('ERR_REPLAY');
    expect(calls).toBe(before);
  });

  it('a request replayed to another path or method fails with ERR_CONTEXT_MISMATCH', async () => {
    const captured: { url: string; init: RequestInit }[] = [];
    const hold: FetchLike = async (input, init) => {
      captured.push({ url: String(input), init: init! });
      return new Response(null, { status: 599 - 99 });
    };
    await client(hold)(`${app.url}/tools/refund`, { method: 'POST', body: 'x' }).catch(
      () => undefined,
    );
    const { init } = captured[0]!;
    const other = await fetch(`${app.url}/tools/transfer`, init);
    expect((await problemOf(other)).code).toBe('ERR_CONTEXT_MISMATCH');
    const put = await fetch(`${app.url}/tools/refund`, { ...init, method: 'PUT' });
    expect((await problemOf(put)).code).toBe('ERR_CONTEXT_MISMATCH');
    // The original destination still opens it: the refusals reserved nothing.
    const ok = await fetch(`${app.url}/tools/refund`, init);
    expect(ok.headers.get('content-type')).toBe(MediaType.Response);
  });

  it('a response opens only for its caller', async () => {
    const r = recording();
    await client(r.f)(`${app.url}/tools/refund`, { method: 'POST', body: 'mine' });
    const reply = r.got[0]!;
    const someoneElse = await seal('other', {
      sender: c.other,
      recipients: c.tool.encryption,
      context: 'blindwire/http/v1 POST /tools/refund',
    });
    await expectCode(openResponse(someoneElse, reply), 'ERR_KEY_NOT_FOUND');
    await expectCode(
      openSealedResponse(
        new Response(reply as BodyInit, { headers: { 'content-type': MediaType.Response } }),
        someoneElse,
      ),
      'ERR_KEY_NOT_FOUND',
    );
  });

  it('a client that restarts mid-call opens the reply through the exported request state', async () => {
    let state: Uint8Array | undefined;
    let raw: Uint8Array | undefined;
    const crashing: FetchLike = async (input, init) => {
      const res = await fetch(input, init);
      raw = new Uint8Array(await res.arrayBuffer()); // what reached the socket
      throw new Error('process died before reading the reply');
    };
    const f = sealedFetch(crashing, {
      sender: c.agent,
      to: TOOL,
      resolveRecipient: c.resolveRecipient,
      stateKey: c.agent.encryption,
      onRequestState: (s) => {
        state = s;
      },
    });
    await expect(f(`${app.url}/tools/refund`, { method: 'POST', body: 'durable' })).rejects.toThrow(
      'process died',
    );
    const headers = { 'content-type': MediaType.Response };
    // A fresh process: only the state, the agent's key and the reply bytes.
    const res = await openWithState(new Response(raw as BodyInit, { headers }), state!, {
      keys: c.agent.encryption,
    });
    expect(await res.json()).toEqual({ for: AGENT, path: '/tools/refund', got: 'durable' });
    await expectCode(
      openWithState(new Response(raw as BodyInit, { headers }), state!, {
        keys: c.other.encryption,
      }),
      'ERR_KEY_NOT_FOUND',
    );
    // The state remembers nothing accepted after its export, but the reply opens once per copy.
    const again = await openWithState(new Response(raw as BodyInit, { headers }), state!, {
      keys: c.agent.encryption,
    });
    expect(again.status).toBe(200);
  });

  it('policy: an agent outside a route is 403 ERR_SENDER_NOT_ALLOWED, no route 403 ERR_NO_POLICY', async () => {
    const before = calls;
    const denied = await client(fetch)(`${app.url}/tools/admin`, {
      method: 'POST',
      body: 'x',
    }).catch((e: unknown) => e);
    expect((denied as { cause: { status: number; code: string } }).cause).toEqual({
      status: 403,
      code: 'ERR_SENDER_NOT_ALLOWED',
    });
    const intruder = await client(fetch, c.other)(`${app.url}/tools/refund`, {
      method: 'POST',
      body: 'x',
    }).catch((e: unknown) => e);
    await expectCode(Promise.reject(intruder), 'ERR_TRANSPORT');
    expect((intruder as { cause: { code: string } }).cause.code).toBe('ERR_SENDER_NOT_ALLOWED');
    const none = await fetch(`${app.url}/elsewhere`, { method: 'POST', body: 'plain secret' });
    expect(none.status).toBe(403);
    const p = await problemOf(none);
    expect(p).toEqual({
      type: 'urn:blindwire:error:ERR_NO_POLICY',
      title: 'Forbidden',
      status: 403,
      code: 'ERR_NO_POLICY',
    });
    expect(calls).toBe(before);
    expect(OTHER).not.toBe(AGENT);
  });

  it('refuses plaintext (415), oversize bodies (413), garbage (400) and never echoes the request', async () => {
    const plain = await fetch(`${app.url}/tools/refund`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"secret":"s3cr3t-value"}',
    });
    expect(plain.status).toBe(415);
    const big = await fetch(`${app.url}/tools/refund`, {
      method: 'POST',
      headers: { 'content-type': MediaType.Envelope },
      body: new Uint8Array(5000),
    });
    expect(big.status).toBe(413);
    expect((await problemOf(big)).code).toBe('ERR_LIMIT_EXCEEDED');
    const junk = await fetch(`${app.url}/tools/refund`, {
      method: 'POST',
      headers: { 'content-type': MediaType.Envelope },
      body: 'BW\x01\x01s3cr3t-value',
    });
    expect(junk.status).toBe(400);
    const text = await junk.text();
    expect(text).not.toContain('s3cr3t');
    expect(JSON.parse(text).code).toBe('ERR_ENVELOPE_MALFORMED');
  });

  it('a handler that throws is 500 ERR_HANDLER without its message; 204 keeps its status; an oversize answer is 500', async () => {
    const f = client(fetch);
    const thrown = await f(`${app.url}/tools/refund`, { method: 'POST', body: 'throw' }).catch(
      (e: unknown) => e,
    );
    expect((thrown as { cause: unknown }).cause).toEqual({ status: 500, code: 'ERR_HANDLER' });
    expect(String((thrown as Error).message)).not.toContain('secret detail');
    const empty = await f(`${app.url}/tools/refund`, { method: 'POST', body: 'empty' });
    expect(empty.status).toBe(204);
    const big = await f(`${app.url}/tools/refund`, { method: 'POST', body: 'big' }).catch(
      (e: unknown) => e,
    );
    expect((big as { cause: unknown }).cause).toEqual({ status: 500, code: 'ERR_LIMIT_EXCEEDED' });
  });

  it('a tampered sealed response is refused by the agent, never returned', async () => {
    const tamper: FetchLike = async (input, init) => {
      const res = await fetch(input, init);
      const bytes = new Uint8Array(await res.arrayBuffer());
      bytes[bytes.length - 3]! ^= 1;
      return new Response(bytes, { status: res.status, headers: res.headers });
    };
    await expectCode(
      client(tamper)(`${app.url}/tools/refund`, { method: 'POST', body: 'x' }),
      'ERR_OPEN_FAILED',
    );
  });
});
