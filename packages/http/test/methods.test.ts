/**
 * sealedFetch sends the envelope as the request body, which GET and HEAD
 * cannot carry: they are refused up front with ERR_INVALID_ARGUMENT, never a
 * raw TypeError, and nothing is sent.
 */
import { describe, expect, it } from 'vitest';
import { expectCode } from '@blindwire/testkit';
import { sealedFetch } from '../src/index.js';
import { TOOL, cast } from './helpers.js';

describe('methods without a body', () => {
  it.each([
    ['GET without a body', undefined, { method: 'GET' }],
    ['the default method', undefined, undefined],
    ['GET with a body', undefined, { method: 'get', body: 'x' }],
    ['HEAD', undefined, { method: 'HEAD' }],
    ['a GET Request', new Request('http://t/tools/x'), undefined],
  ] as const)('%s is ERR_INVALID_ARGUMENT', async (_name, req, init) => {
    const c = await cast();
    let sent = 0;
    const f = sealedFetch(
      async () => {
        sent++;
        return new Response(null);
      },
      { sender: c.agent, to: TOOL, resolveRecipient: c.resolveRecipient },
    );
    await expectCode(
      f(req ?? 'http://t/tools/x', init as RequestInit | undefined),
      'ERR_INVALID_ARGUMENT',
    );
    expect(sent).toBe(0);
  });
});
