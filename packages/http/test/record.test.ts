/**
 * The sealed HTTP record (SPEC.md §11d.1, §11d.3): what a decoder refuses,
 * always with ERR_ENVELOPE_MALFORMED, and an agent that receives a sealed
 * answer whose fields no HTTP message can carry rejects it with that code
 * (never a TypeError from the Fetch API, never a partial answer).
 */
import { describe, expect, it } from 'vitest';
import { open, sealResponse, type OpenResult } from '@blindwire/core';
import { encodeCbor } from '@blindwire/core/internal';
import { expectCode } from '@blindwire/testkit';
import {
  createSealedHandler,
  decodeRecord,
  encodeRecord,
  sealedFetch,
  type FetchLike,
} from '../src/index.js';
import { TOOL, cast } from './helpers.js';

const rec = (headers: [string, string][]) => encodeRecord({ body: new Uint8Array([1]), headers });
const raw = (fields: unknown[]) =>
  encodeCbor(
    new Map<number, never>([
      [1, new Uint8Array(1) as never],
      [2, fields as never],
    ]),
  );

describe('decodeRecord', () => {
  it('accepts tokens, Latin-1 values, an inner tab, and one :status in a response', () => {
    expect(decodeRecord(rec([['x-a', 'caf\u00e9\tb']]), 'request').headers).toEqual([
      ['x-a', 'caf\u00e9\tb'],
    ]);
    expect(decodeRecord(rec([[':status', '404']]), 'response').headers).toEqual([
      [':status', '404'],
    ]);
  });

  it.each([
    ['an uppercase name', raw([['X-A', 'v']])],
    ['a name that is no token', raw([['x a', 'v']])],
    ['an empty name', raw([['', 'v']])],
    ['a value above U+00FF', rec([['x-a', '\u2603']])],
    ['a value with CR LF', rec([['x-a', 'a\r\nb']])],
    ['a value with NUL', rec([['x-a', 'a\u0000']])],
    ['a value with a leading space', rec([['x-a', ' a']])],
    ['a value with a trailing tab', rec([['x-a', 'a\t']])],
    [':status in a request', rec([[':status', '200']])],
  ])('refuses %s', (_what, bytes) => {
    expect(() => decodeRecord(bytes, 'request')).toThrowError(
      expect.objectContaining({ code: 'ERR_ENVELOPE_MALFORMED' }),
    );
  });

  it.each([
    [
      'two :status',
      [
        [':status', '200'],
        [':status', '201'],
      ],
    ],
    ['a status of 199', [[':status', '199']]],
    ['a status of 600', [[':status', '600']]],
    ['a status of 2e2', [[':status', '2e2']]],
    ['another pseudo field', [[':path', '/']]],
  ] as [string, [string, string][]][])('refuses in a response: %s', (_what, headers) => {
    expect(() => decodeRecord(rec(headers), 'response')).toThrowError(
      expect.objectContaining({ code: 'ERR_ENVELOPE_MALFORMED' }),
    );
  });
});

describe('an answer whose sealed fields HTTP cannot carry', () => {
  it('is ERR_ENVELOPE_MALFORMED for the agent', async () => {
    const c = await cast();
    for (const headers of [
      [['x-note', 'snow \u2603']],
      [
        [':status', '200'],
        ['x a', 'b'],
      ],
    ] as [string, string][][]) {
      const tool: FetchLike = async (_input, init) => {
        const opened: OpenResult = await open(new Uint8Array(init!.body as Uint8Array), {
          recipient: c.tool.encryption,
          resolveSender: c.resolveSigningKey,
          context: 'blindwire/http/v1 POST /tools/refund',
        });
        const sealed = await sealResponse(opened, rec(headers));
        return new Response(sealed.envelope as BodyInit, {
          headers: { 'content-type': 'application/vnd.blindwire.response' },
        });
      };
      await expectCode(
        sealedFetch(tool, { sender: c.agent, to: TOOL, resolveRecipient: c.resolveRecipient })(
          'http://tool.example/tools/refund',
          { method: 'POST', body: 'x' },
        ),
        'ERR_ENVELOPE_MALFORMED',
      );
    }
  });
});

describe('sealHeaders', () => {
  it.each(['host', 'Connection', 'transfer-encoding', 'content-length', 'x a', ':status', ''])(
    'refuses %j on both ends: the transport needs it, or it is no field name',
    async (name) => {
      const c = await cast();
      expect(() =>
        sealedFetch(fetch, { sender: c.agent, to: TOOL, sealHeaders: [name] }),
      ).toThrowError(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
      expect(() =>
        createSealedHandler({
          recipient: c.tool.encryption,
          routes: [{ path: '/**', allowedSenders: ['*'] }],
          handler: () => new Response(),
          sealHeaders: [name],
        }),
      ).toThrowError(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
    },
  );

  it('takes names in any case, lowercased', async () => {
    const c = await cast();
    expect(() =>
      sealedFetch(fetch, { sender: c.agent, to: TOOL, sealHeaders: ['X-Idempotency-Key'] }),
    ).not.toThrow();
  });
});

describe('the fields that describe a body', () => {
  it('content-type and content-encoding are sealed both ways, never sent in the clear', async () => {
    const c = await cast();
    const seenFields: [string, string][] = [];
    const outer: Headers[] = [];
    const handler = createSealedHandler({
      recipient: c.tool.encryption,
      resolveSender: c.resolveSigningKey,
      routes: [{ path: '/**', allowedSenders: ['**'] }],
      handler: (call) => {
        call.headers.forEach((v, n) => seenFields.push([n, v]));
        return new Response(new Uint8Array([0x1f, 0x8b]), {
          headers: { 'content-type': 'text/plain', 'content-encoding': 'gzip' },
        });
      },
    });
    const f: FetchLike = async (input, init) => {
      outer.push(new Headers(init!.headers));
      const res = await handler(new Request(input, init));
      outer.push(res.headers);
      return res;
    };
    const res = await sealedFetch(f, {
      sender: c.agent,
      to: TOOL,
      resolveRecipient: c.resolveRecipient,
    })('http://tool.example/tools/upload', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'br' },
      body: new Uint8Array([1, 2, 3]),
    });
    expect(seenFields.sort()).toEqual([
      ['content-encoding', 'br'],
      ['content-type', 'application/json'],
    ]);
    expect(res.headers.get('content-encoding')).toBe('gzip');
    expect(res.headers.get('content-type')).toBe('text/plain');
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(new Uint8Array([0x1f, 0x8b]));
    for (const h of outer) expect(h.get('content-encoding')).toBeNull();
  });
});
