/**
 * The directory over HTTP: a handler that serves a store's records, and a
 * read-only client store that fetches them. Both sides are untrusted transport
 * (SPEC.md §11): records are signed, and verify.ts checks them after `list`.
 *
 * GET `<basePath>/<encodeURIComponent(name)>` -> 200 `{ "v": 1, "name", "records": [base64url...] }`
 * with a strong ETag and `Cache-Control: public, max-age`; 304 on a matching
 * `If-None-Match`; 404 when the name has no records (so caches can remember
 * the absence). No Node-only module is imported: the `fetch` variant runs on
 * any runtime with the Fetch API.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BlindwireError, ErrorCode, fromBase64url, toBase64url } from '@blindwire/core';
import { assertIdentityName, utf8 } from '@blindwire/core/internal';
import { MAX_TIMER_MS } from '../checks.js';
import type { DirectoryStore } from './directory-store.js';
import { sha256 } from '../crypto.js';

/** Largest response body the client accepts: 4 MiB. */
export const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;
export const DEFAULT_BASE_PATH = '/.well-known/blindwire/directory';

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

export function createDirectoryHandler(
  store: DirectoryStore,
  options: DirectoryHandlerOptions = {},
): DirectoryHandler {
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

  /**
   * The CORS response headers for a request from `origin` (none when not
   * allowed). Responses are `Cache-Control: public`, so they must not depend
   * on Origin in a way a shared cache cannot see: `'*'` answers every request
   * alike, with or without an Origin header, and a list sends `Vary: Origin`
   * on every response (a request without Origin included, else a cache could
   * hand that copy, which lacks the allow header, to an allowed origin).
   */
  function corsHeaders(origin: string | null): Record<string, string> {
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
  const prefix = basePath.replace(/\/+$/, '') + '/'; // '/' serves names at the root

  async function answer(method: string, path: string, ifNoneMatch: string | null): Promise<Answer> {
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
    const encoded = path.slice(prefix.length);
    let name: string;
    try {
      if (encoded.length === 0 || encoded.includes('/')) throw new Error('not one path segment');
      name = decodeURIComponent(encoded);
      assertIdentityName(name);
    } catch {
      return error(400, 'bad_name', 'no-store');
    }
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

  async function safeAnswer(
    method: string,
    path: string,
    ifNoneMatch: string | null,
    origin: string | null,
  ): Promise<Answer> {
    let a: Answer;
    try {
      a = await answer(method, path, ifNoneMatch);
    } catch {
      a = error(500, 'internal', 'no-store');
    }
    Object.assign(a.headers, corsHeaders(origin));
    return a;
  }

  return {
    node(req, res) {
      const url = req.url ?? '/';
      const path = url.split(/[?#]/, 1)[0] ?? '/';
      const inm = req.headers['if-none-match'];
      const method = req.method ?? 'GET';
      const origin = req.headers['origin'];
      void safeAnswer(
        method,
        path,
        inm === undefined ? null : String(inm),
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
      try {
        path = new URL(request.url).pathname;
      } catch {
        // unreachable with a valid Request; answer 404 below
      }
      const a = await safeAnswer(
        request.method,
        path,
        request.headers.get('if-none-match'),
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

export interface HttpStoreOptions {
  /** The Fetch implementation. Default `globalThis.fetch`. */
  fetch?: typeof globalThis.fetch;
  /** Whole request, body included, ms. Default 5000. */
  timeoutMs?: number;
  /** Extra request headers (authorization, user agent). */
  headers?: Record<string, string>;
}

export interface HttpStoreStats {
  /** Requests sent. */
  readonly requests: number;
  /** 304 answers served from the client's copy. */
  readonly notModified: number;
  /** `list` calls that threw. */
  readonly errors: number;
}

export interface HttpStore extends DirectoryStore {
  readonly kind: 'http';
  readonly stats: HttpStoreStats;
}

/** Names whose last answer (ETag and records) the client keeps for revalidation. */
const MAX_CACHED_NAMES = 1024;

/**
 * A read-only store that fetches records from a directory handler at
 * `baseUrl` (for example `https://acme.example/.well-known/blindwire/directory`).
 * Revalidates with `If-None-Match` and reuses its copy on 304. `put` and
 * `remove` reject with `ERR_UNSUPPORTED`: records are published to the store
 * behind the handler (file, Redis, Postgres...), never through HTTP.
 */
export function createHttpStore(baseUrl: string | URL, options: HttpStoreOptions = {}): HttpStore {
  let base: URL;
  try {
    base = new URL(String(baseUrl));
  } catch {
    // Not echoed: a URL that does not parse may still hold a password or token.
    throw new BlindwireError(ErrorCode.InvalidArgument, '"baseUrl" expected an absolute URL');
  }
  if (base.username !== '' || base.password !== '') {
    throw new BlindwireError(
      ErrorCode.InvalidArgument,
      '"baseUrl" must not carry credentials (user:password@): pass them in "headers", ' +
        'e.g. { authorization: "Basic ..." }',
    );
  }
  base.hash = '';
  const basePath = base.pathname.replace(/\/+$/, ''); // '' for the root
  const doFetch = options.fetch ?? globalThis.fetch;
  if (typeof doFetch !== 'function') {
    throw new BlindwireError(
      ErrorCode.InvalidArgument,
      '"fetch" expected a function (no global fetch here)',
    );
  }
  const timeoutMs = options.timeoutMs ?? 5000;
  // Node fires timers longer than 2^31-1 ms after 1 ms.
  if (typeof timeoutMs !== 'number' || !(timeoutMs > 0 && timeoutMs <= MAX_TIMER_MS)) {
    throw new BlindwireError(
      ErrorCode.InvalidArgument,
      `"timeoutMs" expected ms from 1 to ${MAX_TIMER_MS}, got ${String(timeoutMs)}`,
    );
  }
  const extraHeaders = { ...options.headers };
  const cached = new Map<string, { etag: string; records: Uint8Array[] }>();
  const stats = { requests: 0, notModified: 0, errors: 0 };

  async function list(name: string): Promise<Uint8Array[]> {
    if (typeof name !== 'string' || name.length === 0) {
      throw new BlindwireError(ErrorCode.InvalidArgument, '"name" expected a non-empty string');
    }
    // The name is the last path segment; a query string (a token, say) is kept.
    const target = new URL(base);
    target.pathname = `${basePath}/${encodeURIComponent(name)}`;
    const url = target.href;
    const shown = redact(target);
    const prev = cached.get(name);
    const headers: Record<string, string> = { accept: 'application/json', ...extraHeaders };
    if (prev) headers['if-none-match'] = prev.etag;
    const signal = AbortSignal.timeout(timeoutMs); // covers the body too
    stats.requests++;
    let res: Response;
    try {
      res = await doFetch(url, { method: 'GET', headers, signal });
    } catch (e) {
      throw fetchFailed(shown, e, timeoutMs);
    }
    if (res.status === 304) {
      await discard(res);
      if (!prev) throw transport(`GET ${shown} answered 304 to a request without If-None-Match`);
      stats.notModified++;
      return prev.records.map((r) => Uint8Array.from(r));
    }
    if (res.status === 404) {
      await discard(res);
      cached.delete(name);
      return [];
    }
    if (res.status < 200 || res.status > 299) {
      await discard(res);
      throw transport(`GET ${shown} answered ${res.status}`);
    }
    const text = await readBody(res, shown, timeoutMs);
    const records = parseBody(text, name, shown);
    const etag = res.headers.get('etag');
    cached.delete(name);
    if (etag && !etag.startsWith('W/')) {
      if (cached.size >= MAX_CACHED_NAMES) cached.delete(cached.keys().next().value!);
      cached.set(name, { etag, records: records.map((r) => Uint8Array.from(r)) });
    }
    return records;
  }

  return {
    kind: 'http',
    stats,
    async list(name) {
      try {
        return await list(name);
      } catch (e) {
        stats.errors++;
        throw e;
      }
    },
    async put() {
      throw new BlindwireError(
        ErrorCode.Unsupported,
        'http store is read-only: publish records to the store behind the directory handler',
      );
    },
    async remove() {
      throw new BlindwireError(
        ErrorCode.Unsupported,
        'http store is read-only: remove records from the store behind the directory handler',
      );
    },
    async close() {
      cached.clear();
    },
  };
}

/**
 * The URL as error messages show it: origin and path. No user, password or
 * query string, where tokens live; the CLI prints these messages.
 */
function redact(u: URL): string {
  return u.origin + u.pathname;
}

/** Reads at most MAX_RESPONSE_BYTES, checking Content-Length first and counting while streaming. */
async function readBody(res: Response, url: string, timeoutMs: number): Promise<string> {
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (declared > MAX_RESPONSE_BYTES) {
    await discard(res);
    throw tooLarge(url);
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    if (res.body) {
      const reader = res.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        total += value.length;
        if (total > MAX_RESPONSE_BYTES) {
          await reader.cancel().catch(() => undefined);
          throw tooLarge(url);
        }
        chunks.push(value);
      }
    }
  } catch (e) {
    if (e instanceof BlindwireError) throw e;
    throw fetchFailed(url, e, timeoutMs);
  }
  const all = new Uint8Array(total);
  let off = 0;
  for (const c of chunks) {
    all.set(c, off);
    off += c.length;
  }
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(all);
  } catch (e) {
    throw transport(`GET ${url}: body is not UTF-8`, e);
  }
}

/** `{ "v": 1, "name": <the name asked for>, "records": [base64url...] }`, else `ERR_TRANSPORT`. */
function parseBody(text: string, name: string, url: string): Uint8Array[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw transport(`GET ${url}: body is not JSON`, e);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
    throw transport(`GET ${url}: body is not an object`);
  const d = doc as Record<string, unknown>;
  if (d['v'] !== 1) throw transport(`GET ${url}: body is not version 1`);
  if (d['name'] !== name) throw transport(`GET ${url}: body names a different identity`);
  const list = d['records'];
  if (!Array.isArray(list)) throw transport(`GET ${url}: "records" is not an array`);
  return list.map((s: unknown, i) => {
    if (typeof s !== 'string') throw transport(`GET ${url}: record ${i} is not a string`);
    try {
      return fromBase64url(s);
    } catch (e) {
      throw transport(`GET ${url}: record ${i} is not base64url`, e);
    }
  });
}

async function discard(res: Response): Promise<void> {
  await res.body?.cancel().catch(() => undefined);
}

function fetchFailed(url: string, cause: unknown, timeoutMs: number): BlindwireError {
  const errName =
    typeof cause === 'object' && cause !== null ? (cause as { name?: unknown }).name : undefined;
  const timedOut = errName === 'TimeoutError' || errName === 'AbortError';
  return transport(
    timedOut ? `GET ${url} timed out after ${timeoutMs} ms` : `GET ${url} failed`,
    cause,
  );
}

function tooLarge(url: string): BlindwireError {
  return new BlindwireError(
    ErrorCode.LimitExceeded,
    `http store: GET ${url}: body exceeds ${MAX_RESPONSE_BYTES} bytes`,
  );
}

function transport(message: string, cause?: unknown): BlindwireError {
  return new BlindwireError(
    ErrorCode.Transport,
    `http store: ${message}`,
    cause === undefined ? undefined : { cause },
  );
}
