import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { rejection } from '@blindwire/testkit';
import { toBase64url } from '@blindwire/core';
import { createMemoryStore, type MemoryStore } from '../src/stores/memory-store.js';
import { recordId } from '../src/records/record-id.js';
import {
  createDirectoryHandler,
  createHttpStore,
  DEFAULT_BASE_PATH,
  MAX_RESPONSE_BYTES,
  type DirectoryHandler,
} from '../src/stores/http.js';
import type { DirectoryStore } from '../src/stores/directory-store.js';

const A = 'spiffe://acme.example/agents/a';
const B = 'spiffe://acme.example/agents/b';
const rec = (): Uint8Array => new Uint8Array(randomBytes(40));
const sorted = (xs: Uint8Array[]): string[] => xs.map(toBase64url).sort();
const enc = encodeURIComponent;

type Node = (req: IncomingMessage, res: ServerResponse) => void;

/** A real server on 127.0.0.1 that counts hits and records every status and request header it sent/got. */
async function serve(
  handler: Node,
): Promise<{ url: string; hits: number[]; seen: IncomingMessage[]; close(): Promise<void> }> {
  const hits: number[] = [];
  const seen: IncomingMessage[] = [];
  const server: Server = createServer((req, res) => {
    seen.push(req);
    res.on('finish', () => hits.push(res.statusCode));
    handler(req, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    hits,
    seen,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

let store: MemoryStore;
let handler: DirectoryHandler;
let srv: Awaited<ReturnType<typeof serve>>;
let base: string;
const r1 = rec();
const r2 = rec();

beforeEach(async () => {
  store = createMemoryStore();
  await store.put(A, r1);
  await store.put(A, r2);
  handler = createDirectoryHandler(store);
  srv = await serve(handler.node);
  base = srv.url + DEFAULT_BASE_PATH;
});
afterEach(() => srv.close());

describe('directory handler (node:http)', () => {
  it('serves v1 JSON with a strong ETag and Cache-Control', async () => {
    const res = await fetch(`${base}/${enc(A)}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('cache-control')).toBe('public, max-age=60');
    expect(res.headers.get('etag')).toMatch(/^"[A-Za-z0-9_-]+"$/);
    const body = await res.json();
    expect(body).toEqual({ v: 1, name: A, records: sorted([r1, r2]) });
  });

  it('answers a matching If-None-Match (strong, weak, list, *) with 304 and no body', async () => {
    const etag = (await fetch(`${base}/${enc(A)}`)).headers.get('etag')!;
    for (const inm of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
      const res = await fetch(`${base}/${enc(A)}`, { headers: { 'if-none-match': inm } });
      expect(res.status).toBe(304);
      expect(res.headers.get('etag')).toBe(etag);
      expect(await res.text()).toBe('');
    }
    expect(
      (await fetch(`${base}/${enc(A)}`, { headers: { 'if-none-match': '"stale"' } })).status,
    ).toBe(200);
  });

  it('derives the ETag from the body, not from the store order', async () => {
    const other = createMemoryStore();
    await other.put(A, r2);
    await other.put(A, r1);
    const req = new Request(`http://x${DEFAULT_BASE_PATH}/${enc(A)}`);
    const e1 = (await handler.fetch(req)).headers.get('etag');
    const e2 = (await createDirectoryHandler(other).fetch(req)).headers.get('etag');
    expect(e1).toBe(e2);
    await other.put(A, rec());
    expect((await createDirectoryHandler(other).fetch(req)).headers.get('etag')).not.toBe(e1);
  });

  it('answers 404 JSON for an unknown name, for a name with no records left, and outside basePath', async () => {
    await store.put(B, r1);
    await store.remove!(B, recordId(r1));
    for (const url of [
      `${base}/${enc('spiffe://acme.example/nobody')}`,
      `${base}/${enc(B)}`,
      `${srv.url}/other`,
    ]) {
      const res = await fetch(url);
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toBe('application/json');
      expect(res.headers.get('cache-control')).toBe('public, max-age=60'); // negative answers are cacheable
      expect(await res.json()).toEqual({ v: 1, error: 'not_found' });
    }
  });

  it('answers 405 with Allow for methods other than GET and HEAD', async () => {
    for (const method of ['POST', 'PUT', 'DELETE']) {
      const res = await fetch(`${base}/${enc(A)}`, {
        method,
        body: method === 'DELETE' ? null : 'x',
      });
      expect(res.status).toBe(405);
      expect(res.headers.get('allow')).toBe('GET, HEAD');
      expect(await res.json()).toEqual({ v: 1, error: 'method_not_allowed' });
    }
    const head = await fetch(`${base}/${enc(A)}`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('etag')).toBeTruthy();
    expect(await head.text()).toBe('');
  });

  it('answers 400 for names that are not identity names or not one encoded path segment', async () => {
    for (const seg of [
      enc('not a uri'),
      '%E0%A4%A',
      'spiffe:/acme/x',
      '',
      enc('x'.repeat(2000) + ':y'),
    ]) {
      const res = await fetch(`${base}/${seg}`);
      expect(res.status, seg).toBe(400);
      expect(await res.json()).toEqual({ v: 1, error: 'bad_name' });
    }
  });

  it('answers 500 without details when the store fails, and keeps serving', async () => {
    const failing: DirectoryStore = {
      kind: 'failing',
      put: async () => undefined,
      list: async () => {
        throw new Error('password=hunter2 at db.internal:5432');
      },
    };
    const s = await serve(createDirectoryHandler(failing).node);
    try {
      const res = await fetch(`${s.url}${DEFAULT_BASE_PATH}/${enc(A)}`);
      expect(res.status).toBe(500);
      const text = await res.text();
      expect(JSON.parse(text)).toEqual({ v: 1, error: 'internal' });
      expect(text).not.toMatch(/hunter2|db\.internal/);
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect((await fetch(`${s.url}${DEFAULT_BASE_PATH}/${enc(A)}`)).status).toBe(500);
    } finally {
      await s.close();
    }
  });

  it('honours basePath and maxAge', async () => {
    const s = await serve(createDirectoryHandler(store, { basePath: '/keys/', maxAge: 5 }).node);
    try {
      const res = await fetch(`${s.url}/keys/${enc(A)}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('public, max-age=5');
      expect((await fetch(`${s.url}${DEFAULT_BASE_PATH}/${enc(A)}`)).status).toBe(404);
    } finally {
      await s.close();
    }
  });
});

describe('directory handler: CORS for browser clients', () => {
  const withServer = async (
    cors: '*' | string[] | undefined,
    fn: (url: string) => Promise<void>,
  ) => {
    const s = await serve(createDirectoryHandler(store, cors === undefined ? {} : { cors }).node);
    try {
      await fn(`${s.url}${DEFAULT_BASE_PATH}/${enc(A)}`);
    } finally {
      await s.close();
    }
  };
  const origin = { origin: 'https://app.example' };

  it('is off by default: no CORS headers, and a preflight is 405', async () => {
    await withServer(undefined, async (url) => {
      const res = await fetch(url, { headers: origin });
      expect(res.status).toBe(200);
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
      expect((await fetch(url, { method: 'OPTIONS', headers: origin })).status).toBe(405);
    });
  });

  it("'*' lets any origin read the records and the ETag, and answers the preflight of a conditional GET", async () => {
    await withServer('*', async (url) => {
      const res = await fetch(url, { headers: origin });
      expect(res.status).toBe(200);
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
      expect(res.headers.get('access-control-expose-headers')).toBe('etag');
      const pre = await fetch(url, {
        method: 'OPTIONS',
        headers: { ...origin, 'access-control-request-headers': 'if-none-match' },
      });
      expect(pre.status).toBe(204);
      expect(pre.headers.get('access-control-allow-origin')).toBe('*');
      expect(pre.headers.get('access-control-allow-methods')).toBe('GET, HEAD');
      expect(pre.headers.get('access-control-allow-headers')).toBe('if-none-match');
      const nm = await fetch(url, {
        headers: { ...origin, 'if-none-match': res.headers.get('etag')! },
      });
      expect(nm.status).toBe(304);
      expect(nm.headers.get('access-control-allow-origin')).toBe('*');
      // Errors carry the header too, so a page can read why.
      const missing = await fetch(url.replace(enc(A), enc(B)), { headers: origin });
      expect(missing.status).toBe(404);
      expect(missing.headers.get('access-control-allow-origin')).toBe('*');
    });
  });

  it('a list echoes an allowed origin (with Vary: Origin) and gives others nothing', async () => {
    await withServer(['https://app.example'], async (url) => {
      const ok = await fetch(url, { headers: origin });
      expect(ok.headers.get('access-control-allow-origin')).toBe('https://app.example');
      expect(ok.headers.get('vary')).toBe('origin');
      const other = await fetch(url, { headers: { origin: 'https://evil.example' } });
      expect(other.status).toBe(200); // same-origin-policy enforcement is the browser's
      expect(other.headers.get('access-control-allow-origin')).toBeNull();
      expect(other.headers.get('vary')).toBe('origin');
    });
  });

  it('a list sends Vary: Origin on every response, so a shared cache never hands a copy to the wrong origin', async () => {
    const failing: DirectoryStore = {
      kind: 'failing',
      put: async () => undefined,
      list: async () => {
        throw new Error('down');
      },
    };
    for (const [h, want] of [
      [
        createDirectoryHandler(store, { cors: ['https://app.example'] }),
        [200, 304, 404, 400, 405, 204, 200],
      ],
      [
        createDirectoryHandler(failing, { cors: ['https://app.example'] }),
        [500, 500, 500, 400, 405, 204, 500],
      ],
    ] as const) {
      const url = `http://d.example${DEFAULT_BASE_PATH}/${enc(A)}`;
      const get = (init: RequestInit = {}, u = url) => h.fetch(new Request(u, init));
      const ok = await get(); // no Origin header: a server-side fetch, or a same-origin page
      const answers = [
        ok,
        await get({ headers: { 'if-none-match': ok.headers.get('etag') ?? '"x"' } }),
        await get({}, url.replace(enc(A), enc(B))), // 404
        await get({}, `http://d.example${DEFAULT_BASE_PATH}/a%2Fb`), // 400
        await get({ method: 'POST' }), // 405
        await get({ method: 'OPTIONS' }),
        await get({ headers: origin }),
      ];
      expect(answers.map((r) => r.status)).toEqual(want);
      for (const r of answers) expect(r.headers.get('vary'), String(r.status)).toBe('origin');
    }
    // With '*' the answer does not depend on Origin: the same headers, with or without one.
    const any = createDirectoryHandler(store, { cors: '*' });
    const url = `http://d.example${DEFAULT_BASE_PATH}/${enc(A)}`;
    const bare = await any.fetch(new Request(url));
    expect(bare.headers.get('access-control-allow-origin')).toBe('*');
    expect(bare.headers.get('access-control-expose-headers')).toBe('etag');
  });

  it('refuses a malformed cors option', () => {
    expect(() => createDirectoryHandler(store, { cors: ['app.example'] })).toThrow(/"cors"/);
    expect(() => createDirectoryHandler(store, { cors: 'yes' as '*' })).toThrow(/"cors"/);
  });
});

describe('directory handler (fetch variant, called directly)', () => {
  const url = (name: string) => `https://dir.example${DEFAULT_BASE_PATH}/${enc(name)}`;

  it('serves 200, 304, 404, 405 and 400 from a Request', async () => {
    const ok = await handler.fetch(new Request(url(A)));
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toBe('application/json');
    expect(await ok.json()).toEqual({ v: 1, name: A, records: sorted([r1, r2]) });
    const etag = ok.headers.get('etag')!;
    const nm = await handler.fetch(new Request(url(A), { headers: { 'if-none-match': etag } }));
    expect(nm.status).toBe(304);
    expect((await handler.fetch(new Request(url(B)))).status).toBe(404);
    expect((await handler.fetch(new Request(url(A), { method: 'POST', body: 'x' }))).status).toBe(
      405,
    );
    expect(
      (await handler.fetch(new Request(`https://dir.example${DEFAULT_BASE_PATH}/%ZZ`))).status,
    ).toBe(400);
  });

  it('backs the client store through an in-process fetch', async () => {
    const client = createHttpStore(`https://dir.example${DEFAULT_BASE_PATH}`, {
      fetch: (input, init) => handler.fetch(new Request(input, init)),
    });
    expect(sorted(await client.list(A))).toEqual(sorted([r1, r2]));
    expect(sorted(await client.list(A))).toEqual(sorted([r1, r2]));
    expect(client.stats).toEqual({ requests: 2, notModified: 1, errors: 0 });
  });
});

describe('http store (client) against a real server', () => {
  it('round trips, revalidates with If-None-Match and reuses its copy on 304', async () => {
    const client = createHttpStore(base);
    expect(sorted(await client.list(A))).toEqual(sorted([r1, r2]));
    expect(srv.seen[0]!.headers['if-none-match']).toBeUndefined();
    const again = await client.list(A);
    expect(sorted(again)).toEqual(sorted([r1, r2]));
    expect(srv.hits).toEqual([200, 304]);
    expect(srv.seen[1]!.headers['if-none-match']).toMatch(/^"/);
    expect(client.stats).toEqual({ requests: 2, notModified: 1, errors: 0 });

    again[0]!.fill(0); // the cached copy is not shared with callers
    expect(sorted(await client.list(A))).toEqual(sorted([r1, r2]));

    const r3 = rec();
    await store.put(A, r3); // the body changes, so does the ETag
    expect(sorted(await client.list(A))).toEqual(sorted([r1, r2, r3]));
    expect(srv.hits).toEqual([200, 304, 304, 200]);
    expect(client.stats).toEqual({ requests: 4, notModified: 2, errors: 0 });
  });

  it('maps 404 to an empty list and forgets its copy', async () => {
    const client = createHttpStore(base + '/'); // a trailing slash is tolerated
    expect(await client.list(B)).toEqual([]);
    await client.list(A);
    await store.remove!(A, recordId(r1));
    await store.remove!(A, recordId(r2));
    expect(await client.list(A)).toEqual([]);
    await store.put(A, r1);
    expect(sorted(await client.list(A))).toEqual(sorted([r1]));
    expect(srv.seen.at(-1)!.headers['if-none-match']).toBeUndefined();
    expect(client.stats.errors).toBe(0);
  });

  it('sends the configured headers', async () => {
    const client = createHttpStore(base, { headers: { authorization: 'Bearer t0ken' } });
    await client.list(A);
    expect(srv.seen[0]!.headers['authorization']).toBe('Bearer t0ken');
  });

  it('is read-only: put rejects with ERR_UNSUPPORTED, and it has no remove', async () => {
    const client = createHttpStore(base);
    expect(client.readOnly).toBe(true);
    expect(await rejection(client.put(A, rec()))).toMatchObject({ code: 'ERR_UNSUPPORTED' });
    expect((client as DirectoryStore).remove).toBeUndefined();
    expect((client as DirectoryStore).removeMany).toBeUndefined();
  });
});

describe('http store: identity names as one path segment', () => {
  const names = [
    'spiffe://acme.example/agents/a/b/c',
    'spiffe://acme.example/100%25/50%/%2e%2E/%',
    'spiffe://acme.example/q?x=1&y=/2',
    'spiffe://acme.example/f#frag/#',
    'spiffe://acme.example/ünïcødé/名前/🔑',
    'urn:x:..',
    'spiffe://acme.example/../../../etc/passwd',
  ];

  it('round-trips names with /, %, ?, #, dots and unicode through the real handler, list and listPage', async () => {
    const client = createHttpStore(base);
    for (const name of names) {
      const r = rec();
      await store.put(name, r);
      const before = srv.seen.length;
      expect(await client.list(name), name).toEqual([r]); // the body names it: decoded back exactly
      expect((await client.listPage(name, { limit: 5 })).records, name).toEqual([r]);
      for (const req of srv.seen.slice(before)) {
        const path = req.url!.split('?')[0]!;
        expect(path).toBe(`${DEFAULT_BASE_PATH}/${enc(name)}`); // one segment, nothing resolved away
      }
    }
  });

  it('refuses "." and "..", which a URL parser resolves away even percent-encoded, sending nothing', async () => {
    const client = createHttpStore(base);
    for (const name of ['.', '..']) {
      expect(await rejection(client.list(name))).toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
      expect(await rejection(client.listPage(name))).toMatchObject({
        code: 'ERR_INVALID_ARGUMENT',
      });
    }
    expect(srv.seen).toHaveLength(0);
    // Why encoding cannot help: WHATWG URL treats %2E and %2E%2E as dot segments too.
    const u = new URL(base);
    u.pathname = `${u.pathname}/%2E%2E`;
    expect(u.pathname).not.toContain('%2E');
  });
});

describe('http store (client) against a hostile or broken server', () => {
  let respond: Node;
  let bad: Awaited<ReturnType<typeof serve>>;
  beforeAll(async () => {
    bad = await serve((req, res) => respond(req, res));
  });
  afterAll(() => bad.close());
  const json =
    (status: number, body: string, headers: Record<string, string> = {}): Node =>
    (_req, res) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(body);
    };

  it('non-2xx is ERR_TRANSPORT and counts as an error', async () => {
    respond = json(503, '{}');
    const client = createHttpStore(bad.url);
    const e = await rejection(client.list(A));
    expect(e.code).toBe('ERR_TRANSPORT');
    expect(e.message).toMatch(/503/);
    expect(client.stats).toEqual({ requests: 1, notModified: 0, errors: 1 });
  });

  const malformed: [string, string][] = [
    ['not JSON', '<html>'],
    ['not an object', '[1,2]'],
    ['another version', JSON.stringify({ v: 2, name: A, records: [] })],
    ['another name', JSON.stringify({ v: 1, name: B, records: [] })],
    ['records not an array', JSON.stringify({ v: 1, name: A, records: 'abc' })],
    ['a record not a string', JSON.stringify({ v: 1, name: A, records: [1] })],
    ['a record not base64url', JSON.stringify({ v: 1, name: A, records: ['ab+/'] })],
    ['a record with padding', JSON.stringify({ v: 1, name: A, records: ['YQ=='] })],
  ];
  for (const [what, body] of malformed) {
    it(`a body that is ${what} is ERR_TRANSPORT`, async () => {
      respond = json(200, body);
      expect(await rejection(createHttpStore(bad.url).list(A))).toMatchObject({
        code: 'ERR_TRANSPORT',
      });
    });
  }

  it('a 304 it did not ask for is ERR_TRANSPORT', async () => {
    respond = (_req, res) => {
      res.writeHead(304);
      res.end();
    };
    expect(await rejection(createHttpStore(bad.url).list(A))).toMatchObject({
      code: 'ERR_TRANSPORT',
    });
  });

  it(`a body over ${MAX_RESPONSE_BYTES} bytes is ERR_LIMIT_EXCEEDED, declared or streamed`, async () => {
    const big = 'x'.repeat(MAX_RESPONSE_BYTES + 1);
    respond = json(200, big, { 'content-length': String(big.length) });
    expect(await rejection(createHttpStore(bad.url).list(A))).toMatchObject({
      code: 'ERR_LIMIT_EXCEEDED',
    });
    respond = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }); // chunked, no length
      for (let i = 0; i <= MAX_RESPONSE_BYTES / 65536; i++) res.write('x'.repeat(65536));
      res.end();
    };
    expect(await rejection(createHttpStore(bad.url).list(A))).toMatchObject({
      code: 'ERR_LIMIT_EXCEEDED',
    });
    // Exactly at the limit the size is fine and the content is judged instead.
    const atLimit = JSON.stringify({ v: 1, name: A, records: [] });
    respond = json(200, atLimit.padEnd(MAX_RESPONSE_BYTES, ' '));
    expect(await createHttpStore(bad.url).list(A)).toEqual([]);
  });

  it('a server that never answers times out as ERR_TRANSPORT with the cause, in bounded time', async () => {
    respond = () => undefined; // holds the request open
    const client = createHttpStore(bad.url, { timeoutMs: 200 });
    const t0 = Date.now();
    const e = await rejection(client.list(A));
    expect(Date.now() - t0).toBeLessThan(10_000); // bounded; the message shows which timer fired
    expect(e.code).toBe('ERR_TRANSPORT');
    expect(e.message).toMatch(/timed out after 200 ms/);
    expect((e.cause as Error).name).toBe('TimeoutError');
    expect(client.stats.errors).toBe(1);
  });

  it('a server that stalls mid-body times out too', async () => {
    respond = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"v":1,');
    };
    const e = await rejection(createHttpStore(bad.url, { timeoutMs: 200 }).list(A));
    expect(e.code).toBe('ERR_TRANSPORT');
    expect(e.message).toMatch(/timed out/);
  });

  it('a refused connection is ERR_TRANSPORT with the cause', async () => {
    const s = await serve(() => undefined);
    const url = s.url;
    await s.close();
    const e = await rejection(createHttpStore(url).list(A));
    expect(e.code).toBe('ERR_TRANSPORT');
    expect(e.cause).toBeInstanceOf(Error);
  });
});

describe('http store: credentials never reach error messages', () => {
  it('refuses a baseUrl with user:password (use headers), without echoing the password', () => {
    for (const url of [
      'https://alice:s3cr3t-pw@dir.example/.well-known/blindwire/directory',
      'https://:s3cr3t-pw@dir.example/',
      'https://s3cr3t-pw@dir.example/',
    ]) {
      let e: { code?: string; message?: string } | undefined;
      try {
        createHttpStore(url);
      } catch (x) {
        e = x as typeof e;
      }
      expect(e?.code, url).toBe('ERR_INVALID_ARGUMENT');
      expect(e?.message).toMatch(/"headers"/);
      expect(e?.message).not.toMatch(/s3cr3t/);
    }
    // An unparseable URL is not echoed either: it may hold a secret too.
    expect(() => createHttpStore('htps//alice:s3cr3t-pw@dir example')).toThrow(
      /^(?!.*s3cr3t)"baseUrl"/,
    );
  });

  it('error messages show origin and path only, never the query string', async () => {
    const srv503 = await serve((_req, res) => {
      res.writeHead(503);
      res.end();
    });
    try {
      const client = createHttpStore(`${srv503.url}/dir?token=s3cr3t-token`);
      const e = await rejection(client.list(A));
      expect(e.code).toBe('ERR_TRANSPORT');
      expect(e.message).toContain(`GET ${srv503.url}/dir/${enc(A)} answered 503`);
      expect(e.message).not.toMatch(/s3cr3t|token/);
      // The query string still goes to the server, after the name in the path.
      expect(srv503.seen.at(-1)!.url).toBe(`/dir/${enc(A)}?token=s3cr3t-token`);
    } finally {
      await srv503.close();
    }
    // Where the name goes, with and without a path and a query string.
    for (const [baseUrl, expected] of [
      ['https://dir.example', `https://dir.example/${enc(A)}`],
      ['https://dir.example/', `https://dir.example/${enc(A)}`],
      ['https://dir.example/d//?t=1#frag', `https://dir.example/d/${enc(A)}?t=1`],
    ]) {
      let asked = '';
      const client = createHttpStore(baseUrl!, {
        fetch: async (u) => {
          asked = String(u);
          return new Response(null, { status: 404 });
        },
      });
      expect(await client.list(A)).toEqual([]);
      expect(asked).toBe(expected);
    }
    const gone = await serve(() => undefined);
    const url = gone.url;
    await gone.close();
    const e = await rejection(createHttpStore(`${url}/dir?token=s3cr3t-token`).list(A));
    expect(e.code).toBe('ERR_TRANSPORT');
    expect(e.message).not.toMatch(/s3cr3t/);
  });
});

describe('argument checks', () => {
  it('names the bad parameter', () => {
    expect(() => createHttpStore('not a url')).toThrow(/"baseUrl"/);
    for (const timeoutMs of [0, NaN, '5000', 2 ** 31])
      expect(() => createHttpStore(base, { timeoutMs: timeoutMs as number })).toThrow(
        /"timeoutMs"/,
      );
    expect(() => createDirectoryHandler(store, { basePath: 'x' })).toThrow(/"basePath"/);
    expect(() => createDirectoryHandler(store, { maxAge: -1 })).toThrow(/"maxAge"/);
  });
});
