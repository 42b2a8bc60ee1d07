/**
 * The directory over HTTP, server side: a handler that serves a store's
 * records (the client store is http-client.ts). Both sides are untrusted
 * transport (SPEC.md §11): records are signed, and trust/verify-set.ts
 * checks them after `list`.
 *
 * GET `<basePath>/<encodeURIComponent(name)>` -> 200 `{ "v": 1, "name", "records": [base64url...] }`
 * with a strong ETag and `Cache-Control: public, max-age`; 304 on a matching
 * `If-None-Match`; 404 when the name has no records (so caches can remember
 * the absence). With `?limit=N` (1 to 1024) and, after the first page,
 * `&cursor=C`, one page (SPEC.md §11.5): 200 `{ "v": 1, "name", "records",
 * "cursor"? }`, `Cache-Control: no-store`, from the store's `listPage` (or,
 * for a store without it, its `list` in record id order). The name is one
 * path segment, percent-decoded once. No Node-only module is imported: the
 * `fetch` variant runs on any runtime with the Fetch API.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BlindwireError, ErrorCode, isBlindwireError, toBase64url } from '@blindwire/core';
import { assertIdentityName, utf8 } from '@blindwire/core/internal';
import { recordId } from '../records/record-id.js';
import type { DirectoryStore, ListPageOptions, RecordPage } from './directory-store.js';
import { MAX_PAGE_RECORDS, pageInIdOrder } from './common.js';
import { sha256 } from '../crypto.js';

/**
 * The path prefix under which `createDirectoryHandler` serves a directory by
 * default (a client store is given its full base URL).
 */
export const DEFAULT_BASE_PATH = '/.well-known/blindwire/directory';

/** Options of `createDirectoryHandler`. */
export interface DirectoryHandlerOptions {
  /** Path prefix of the directory. Default `/.well-known/blindwire/directory`. */
  basePath?: string;
  /** `Cache-Control: public, max-age=<maxAge>` on 200, 304 and 404, seconds. Default 60. */
  maxAge?: number;
  /**
   * Cross-origin reads from browsers (CORS), off by default: `'*'` lets any
   * web origin read the records (they are public and signed, and no
   * credentials are involved), a list allows those origins only (exact
   * `scheme://host[:port]` strings). Off, a page on another origin cannot
   * read the directory, which keeps web pages from probing a directory that
   * is only reachable from inside a network through their visitors' browsers.
   */
  cors?: '*' | string[];
}

/**
 * A read-only HTTP handler serving a store's records, for node:http servers (`node`) and Fetch-API
 * runtimes (`fetch`).
 */
export interface DirectoryHandler {
  /** For `node:http` / `node:https` servers and Express-style stacks. Never throws. */
  node(req: IncomingMessage, res: ServerResponse): void;
  /** For Fetch-API runtimes (Deno, Bun, workers, Hono). Never rejects. */
  fetch(request: Request): Promise<Response>;
}

interface Answer {
  status: number;
  headers: Record<string, string>;
  body?: string;
}

/** The handler's checked options. */
interface HandlerConfig {
  /** The base path with one trailing `/` ('/' serves names at the root). */
  prefix: string;
  cacheControl: string;
  cors: '*' | string[] | undefined;
  allowed: Set<string> | undefined;
}

function checkHandlerOptions(options: DirectoryHandlerOptions): HandlerConfig {
  const basePath = options.basePath ?? DEFAULT_BASE_PATH;
  if (typeof basePath !== 'string' || !basePath.startsWith('/')) {
    throw new BlindwireError(
      ErrorCode.InvalidArgument,
      `"basePath" expected a path starting with "/", got ${JSON.stringify(basePath)}`,
    );
  }
  const maxAge = options.maxAge ?? 60;
  if (!Number.isSafeInteger(maxAge) || maxAge < 0) {
    throw new BlindwireError(
      ErrorCode.InvalidArgument,
      `"maxAge" expected a non-negative integer, got ${maxAge}`,
    );
  }
  const cacheControl = `public, max-age=${maxAge}`;
  const cors = options.cors;
  if (
    cors !== undefined &&
    cors !== '*' &&
    !(
      Array.isArray(cors) &&
      cors.every((o) => typeof o === 'string' && /^https?:\/\/[^/]+$/.test(o))
    )
  ) {
    throw new BlindwireError(
      ErrorCode.InvalidArgument,
      '"cors" expected "*" or an array of origins like "https://app.example"',
    );
  }
  const allowed = Array.isArray(cors) ? new Set(cors) : undefined;
  const prefix = basePath.replace(/\/+$/, '') + '/'; // '/' serves names at the root
  return { prefix, cacheControl, cors, allowed };
}

/**
 * The CORS response headers for a request from `origin` (none when not
 * allowed). Responses are `Cache-Control: public`, so they must not depend
 * on Origin in a way a shared cache cannot see: `'*'` answers every request
 * alike, with or without an Origin header, and a list sends `Vary: Origin`
 * on every response (a request without Origin included, else a cache could
 * hand that copy, which lacks the allow header, to an allowed origin).
 */
function corsHeaders(c: HandlerConfig, origin: string | null): Record<string, string> {
  const { cors, allowed } = c;
  if (cors === undefined) return {};
  if (cors === '*')
    return { 'access-control-allow-origin': '*', 'access-control-expose-headers': 'etag' };
  if (origin === null || !allowed!.has(origin)) return { vary: 'origin' };
  return {
    'access-control-allow-origin': origin,
    'access-control-expose-headers': 'etag',
    vary: 'origin',
  };
}
/** The identity name of one encoded path segment; undefined when it is not one. */
function nameOf(encoded: string): string | undefined {
  try {
    if (encoded.length === 0 || encoded.includes('/')) return undefined; // not one path segment
    const name = decodeURIComponent(encoded);
    assertIdentityName(name);
    return name;
  } catch {
    return undefined;
  }
}

/**
 * The page a query asks for: undefined without `limit` and `cursor` (the
 * whole list), null when malformed.
 */
function pageOf(query: URLSearchParams): ListPageOptions | undefined | null {
  const limit = query.get('limit');
  const cursor = query.get('cursor');
  if (limit === null && cursor === null) return undefined;
  const n = limit === null ? 256 : /^[0-9]{1,4}$/.test(limit) ? Number(limit) : NaN;
  if (!(n >= 1 && n <= MAX_PAGE_RECORDS)) return null;
  if (cursor === null) return { limit: n };
  if (cursor.length === 0 || cursor.length > 256) return null;
  return { limit: n, cursor };
}

async function answer(
  store: DirectoryStore,
  c: HandlerConfig,
  req: { method: string; path: string; query: URLSearchParams; ifNoneMatch: string | null },
): Promise<Answer> {
  const { prefix, cacheControl, cors } = c;
  const { method, path, ifNoneMatch } = req;
  if (!path.startsWith(prefix)) return error(404, 'not_found', cacheControl);
  if (method === 'OPTIONS' && cors !== undefined) {
    // A CORS preflight (a conditional GET carries If-None-Match, not safelisted).
    return {
      status: 204,
      headers: {
        'access-control-allow-methods': 'GET, HEAD',
        'access-control-allow-headers': 'if-none-match',
        'access-control-max-age': '600',
        'cache-control': 'no-store',
      },
    };
  }
  if (method !== 'GET' && method !== 'HEAD') {
    const a = error(405, 'method_not_allowed', 'no-store');
    a.headers['allow'] = 'GET, HEAD';
    return a;
  }
  const name = nameOf(path.slice(prefix.length));
  if (name === undefined) return error(400, 'bad_name', 'no-store');
  const page = pageOf(req.query);
  if (page === null) return error(400, 'bad_page', 'no-store');
  if (page !== undefined) return answerPage(store, name, page);
  let records: Uint8Array[];
  try {
    records = await store.list(name);
  } catch {
    return error(500, 'internal', 'no-store'); // details stay on the server
  }
  if (records.length === 0) return error(404, 'not_found', cacheControl);
  // Sorted so the body, and with it the ETag, does not depend on the store's order.
  const body = JSON.stringify({ v: 1, name, records: records.map(toBase64url).sort() });
  const etag = `"${toBase64url(sha256(utf8(body)).subarray(0, 18))}"`;
  const headers = { etag, 'cache-control': cacheControl };
  if (ifNoneMatch !== null && matches(ifNoneMatch, etag)) return { status: 304, headers };
  return { status: 200, headers: { ...headers, ...JSON_HEADERS }, body };
}

/** One page of `name`'s records (SPEC.md §11.5); a cursor the store refuses is 400. */
async function answerPage(
  store: DirectoryStore,
  name: string,
  options: ListPageOptions,
): Promise<Answer> {
  let page: RecordPage;
  try {
    page = store.listPage
      ? await store.listPage(name, options)
      : pageInIdOrder(new Map((await store.list(name)).map((r) => [recordId(r), r])), options);
  } catch (e) {
    if (isBlindwireError(e, ErrorCode.InvalidArgument)) return error(400, 'bad_page', 'no-store');
    return error(500, 'internal', 'no-store'); // details stay on the server
  }
  const body = JSON.stringify({
    v: 1,
    name,
    records: page.records.map(toBase64url),
    ...(page.cursor === undefined ? {} : { cursor: page.cursor }),
  });
  return { status: 200, headers: { ...JSON_HEADERS, 'cache-control': 'no-store' }, body };
}

async function safeAnswer(
  store: DirectoryStore,
  c: HandlerConfig,
  req: { method: string; path: string; query: URLSearchParams; ifNoneMatch: string | null },
  origin: string | null,
): Promise<Answer> {
  let a: Answer;
  try {
    a = await answer(store, c, req);
  } catch {
    a = error(500, 'internal', 'no-store');
  }
  Object.assign(a.headers, corsHeaders(c, origin));
  return a;
}

/**
 * Serves the records of `store` over HTTP (GET only, SPEC.md §11.5): mount it on node:http or any
 * Fetch-API runtime, behind TLS.
 */
export function createDirectoryHandler(
  store: DirectoryStore,
  options: DirectoryHandlerOptions = {},
): DirectoryHandler {
  const c = checkHandlerOptions(options);
  return {
    node(req, res) {
      const url = (req.url ?? '/').split('#', 1)[0]!;
      const q = url.indexOf('?');
      const path = q < 0 ? url : url.slice(0, q);
      const query = new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
      const inm = req.headers['if-none-match'];
      const method = req.method ?? 'GET';
      const origin = req.headers['origin'];
      void safeAnswer(
        store,
        c,
        { method, path: path || '/', query, ifNoneMatch: inm === undefined ? null : String(inm) },
        origin === undefined ? null : String(origin),
      ).then((a) => {
        try {
          const body = a.body !== undefined && method !== 'HEAD' ? a.body : undefined;
          if (a.body !== undefined) a.headers['content-length'] = String(utf8(a.body).length);
          res.writeHead(a.status, a.headers);
          res.end(body);
        } catch {
          res.destroy(); // headers already sent or socket gone: nothing better to do
        }
      });
    },
    async fetch(request) {
      let path = '/';
      let query = new URLSearchParams();
      try {
        const u = new URL(request.url);
        path = u.pathname;
        query = u.searchParams;
      } catch {
        // unreachable with a valid Request; answer 404 below
      }
      const a = await safeAnswer(
        store,
        c,
        { method: request.method, path, query, ifNoneMatch: request.headers.get('if-none-match') },
        request.headers.get('origin'),
      );
      const body = a.body !== undefined && request.method !== 'HEAD' ? a.body : null;
      return new Response(body, { status: a.status, headers: a.headers });
    },
  };
}

const JSON_HEADERS = { 'content-type': 'application/json', 'x-content-type-options': 'nosniff' };

function error(status: number, code: string, cacheControl: string): Answer {
  return {
    status,
    headers: { ...JSON_HEADERS, 'cache-control': cacheControl },
    body: JSON.stringify({ v: 1, error: code }),
  };
}

/** `If-None-Match` uses the weak comparison (RFC 9110 §13.1.2). */
function matches(header: string, etag: string): boolean {
  return header
    .split(',')
    .map((t) => t.trim())
    .some((t) => t === '*' || t.replace(/^W\//, '') === etag);
}
