/**
 * The path bound in the context is the target's path as the WHATWG URL parser
 * gives it (SPEC.md §11b). The node adapter sees the raw target: one whose
 * path is not already in that form (dot segments, percent-encoded dots,
 * backslashes, characters the parser encodes) would reach the routes and the
 * context as another path than the one the application behind was sent, so
 * it is refused before the body is read.
 */
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSealedHandler, httpContext, toNodeListener } from '../src/index.js';
import { AGENT, cast } from './helpers.js';

let server: Server;
let port: number;
let runs = 0;

beforeAll(async () => {
  const c = await cast();
  server = createServer(
    toNodeListener(
      createSealedHandler({
        recipient: c.tool.encryption,
        resolveSender: c.resolveSigningKey,
        routes: [{ path: '/tools/**', allowedSenders: [AGENT] }],
        handler: () => {
          runs++;
          return new Response('ok');
        },
      }),
    ),
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(
  () =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
);

/** Sends `target` as it is (no client parses it) and returns the status line and body. */
function raw(target: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => {
      s.write(
        `POST ${target} HTTP/1.1\r\nHost: t\r\nContent-Type: application/vnd.blindwire.envelope\r\n` +
          'Content-Length: 3\r\nConnection: close\r\n\r\nabc',
      );
    });
    let got = '';
    s.on('data', (d) => (got += d.toString('latin1')));
    s.on('end', () => resolve(got));
    s.on('error', reject);
  });
}

describe('the request target', () => {
  it.each([
    '/tools/a/%2e%2e/admin',
    '/tools/a/%2E%2E/admin',
    '/tools/a/../admin',
    '/tools/./admin',
    '/tools\\admin',
    '/tools/{x}',
    '/tools/a%2f..%2f/../b',
    'http://t/tools/x/../admin',
  ])('%s is refused with ERR_CONTEXT_MISMATCH before anything else', async (target) => {
    const got = await raw(target);
    expect(got.split('\r\n')[0]).toBe('HTTP/1.1 400 Bad Request');
    expect(got).toContain('"code":"ERR_CONTEXT_MISMATCH"');
    expect(runs).toBe(0);
  });

  it.each(['/tools/caf%C3%A9', '/tools/a%2fb', '/tools/x?q=../..', 'http://t/tools/x'])(
    '%s is in canonical form: it reaches the open',
    async (target) => {
      const got = await raw(target);
      // The body is no envelope: the open refuses it, after the target passed.
      expect(got).toContain('"code":"ERR_ENVELOPE_MALFORMED"');
    },
  );

  it('the canonical path is what the client binds', () => {
    expect(httpContext('POST', new URL('http://t/tools/a/%2e%2e/admin').pathname)).toBe(
      'blindwire/http/v1 POST /tools/admin',
    );
  });
});
