/**
 * The directory over HTTP, client side: a read-only store that fetches a
 * directory handler's records (http-handler.ts has the wire format), with
 * ETag revalidation, a timeout and a response size limit. The store is
 * untrusted transport (SPEC.md §11): trust/verify-set.ts checks every
 * record after `list`. No Node-only module is imported.
 */
import { BlindwireError, ErrorCode, fromBase64url } from '@blindwire/core';
import { MAX_TIMER_MS } from '../checks.js';
import { MAX_PAGE_RECORDS, checkPageOptions } from './common.js';
import type { DirectoryStore, ListPageOptions, RecordPage } from './directory-store.js';

/** Largest response body the client accepts: 4 MiB. */
export const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

/** Options of `createHttpStore`. */
export interface HttpStoreOptions {
  /** The Fetch implementation. Default `globalThis.fetch`. */
  fetch?: typeof globalThis.fetch;
  /** Whole request, body included, ms. Default 5000. */
  timeoutMs?: number;
  /** Extra request headers (authorization, user agent). */
  headers?: Record<string, string>;
}

/** Counters of an HTTP store's requests, for monitoring. */
export interface HttpStoreStats {
  /** Requests sent. */
  readonly requests: number;
  /** 304 answers served from the client's copy. */
  readonly notModified: number;
  /** `list` calls that threw. */
  readonly errors: number;
}

/**
 * A read-only directory store that fetches a directory served over HTTP (`createHttpStore`), with
 * conditional requests.
 */
export interface HttpStore extends DirectoryStore {
  readonly kind: 'http';
  readonly readOnly: true;
  readonly stats: HttpStoreStats;
  listPage: NonNullable<DirectoryStore['listPage']>;
}

/** Names whose last answer (ETag and records) the client keeps for revalidation. */
const MAX_CACHED_NAMES = 1024;

/** The client's checked options. */
interface ClientConfig {
  base: URL;
  /** The base URL's path without trailing `/` ('' for the root). */
  basePath: string;
  doFetch: typeof globalThis.fetch;
  timeoutMs: number;
  extraHeaders: Record<string, string>;
}

function checkClientOptions(baseUrl: string | URL, options: HttpStoreOptions): ClientConfig {
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
  return { base, basePath, doFetch, timeoutMs, extraHeaders: { ...options.headers } };
}

type Cache = Map<string, { etag: string; records: Uint8Array[] }>;

/** One GET of `name`'s records, revalidated against `cached`. */
async function getRecords(
  c: ClientConfig,
  cached: Cache,
  stats: { requests: number; notModified: number },
  name: string,
): Promise<Uint8Array[]> {
  const target = targetOf(c, name);
  const shown = redact(target);
  const prev = cached.get(name);
  const res = await send(c, stats, target, prev?.etag);
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
  const text = await readBody(res, shown, c.timeoutMs);
  const records = parseBody(text, name, shown).records;
  const etag = res.headers.get('etag');
  cached.delete(name);
  if (etag && !etag.startsWith('W/')) {
    if (cached.size >= MAX_CACHED_NAMES) cached.delete(cached.keys().next().value!);
    cached.set(name, { etag, records: records.map((r) => Uint8Array.from(r)) });
  }
  return records;
}

/**
 * The URL of `name`'s records: the name is exactly one path segment after
 * the base path, and the base URL's query string (a token, say) is kept.
 * `.` and `..` are refused: a URL parser resolves them as dot segments, and
 * percent-encoding does not help (`%2E` is a dot segment too, WHATWG URL).
 * No identity name is either (SPEC.md §10: a URI with a scheme).
 */
function targetOf(c: ClientConfig, name: unknown): URL {
  if (typeof name !== 'string' || name.length === 0) {
    throw new BlindwireError(ErrorCode.InvalidArgument, '"name" expected a non-empty string');
  }
  if (name === '.' || name === '..') {
    throw new BlindwireError(
      ErrorCode.InvalidArgument,
      `"name" expected an identity name, got ${JSON.stringify(name)} (a URL dot segment)`,
    );
  }
  const path = `${c.basePath}/${encodeURIComponent(name)}`;
  const target = new URL(c.base);
  target.pathname = path;
  // Whatever the parser does, the request goes to this name's path or nowhere.
  if (target.pathname !== path) {
    throw new BlindwireError(
      ErrorCode.InvalidArgument,
      `"name" expected a name that is one URL path segment, got ${JSON.stringify(name)}`,
    );
  }
  return target;
}

/** One GET of `target` (with `If-None-Match` when `etag` is given); a failed fetch is ERR_TRANSPORT. */
async function send(
  c: ClientConfig,
  stats: { requests: number },
  target: URL,
  etag: string | undefined,
): Promise<Response> {
  const headers: Record<string, string> = { accept: 'application/json', ...c.extraHeaders };
  if (etag !== undefined) headers['if-none-match'] = etag;
  const signal = AbortSignal.timeout(c.timeoutMs); // covers the body too
  stats.requests++;
  try {
    return await c.doFetch(target.href, { method: 'GET', headers, signal });
  } catch (e) {
    throw fetchFailed(redact(target), e, c.timeoutMs);
  }
}

/** One page of `name`'s records: `?limit=N[&cursor=C]` (SPEC.md §11.5), never cached. */
async function getPage(
  c: ClientConfig,
  stats: { requests: number },
  name: string,
  options: ListPageOptions | undefined,
): Promise<RecordPage> {
  const { cursor, limit } = checkPageOptions(options);
  const target = targetOf(c, name);
  target.searchParams.set('limit', String(limit));
  if (cursor !== undefined) target.searchParams.set('cursor', cursor);
  else target.searchParams.delete('cursor');
  const shown = redact(target);
  const res = await send(c, stats, target, undefined);
  if (res.status === 404) {
    await discard(res);
    return { records: [] };
  }
  if (res.status === 400) {
    await discard(res);
    throw new BlindwireError(
      ErrorCode.InvalidArgument,
      `http store: GET ${shown} answered 400: the directory refused the name, cursor or limit`,
    );
  }
  if (res.status < 200 || res.status > 299) {
    await discard(res);
    throw transport(`GET ${shown} answered ${res.status}`);
  }
  const page = parseBody(await readBody(res, shown, c.timeoutMs), name, shown);
  if (page.records.length > MAX_PAGE_RECORDS) {
    throw new BlindwireError(
      ErrorCode.LimitExceeded,
      `http store: GET ${shown}: a page of more than ${MAX_PAGE_RECORDS} records`,
    );
  }
  return page;
}

/**
 * A read-only store that fetches records from a directory handler at
 * `baseUrl` (for example `https://acme.example/.well-known/blindwire/directory`).
 * Revalidates with `If-None-Match` and reuses its copy on 304; `listPage`
 * asks for `?limit=&cursor=` and is never cached. Read-only (`readOnly`):
 * `put` rejects with `ERR_UNSUPPORTED` and there is no `remove`, because the
 * handler serves GET only: records are published to, and pruned from, the
 * store behind the handler (file, Redis, Postgres...), never through HTTP.
 */
export function createHttpStore(baseUrl: string | URL, options: HttpStoreOptions = {}): HttpStore {
  const c = checkClientOptions(baseUrl, options);
  const cached: Cache = new Map();
  const stats = { requests: 0, notModified: 0, errors: 0 };

  return {
    kind: 'http',
    readOnly: true,
    stats,
    async list(name) {
      try {
        return await getRecords(c, cached, stats, name);
      } catch (e) {
        stats.errors++;
        throw e;
      }
    },
    async listPage(name, options) {
      try {
        return await getPage(c, stats, name, options);
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

/**
 * `{ "v": 1, "name": <the name asked for>, "records": [base64url...] }` (and,
 * on a page that is not the last, `"cursor"`), else `ERR_TRANSPORT`.
 */
function parseBody(text: string, name: string, url: string): RecordPage {
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
  const records = list.map((s: unknown, i) => {
    if (typeof s !== 'string') throw transport(`GET ${url}: record ${i} is not a string`);
    try {
      return fromBase64url(s);
    } catch (e) {
      throw transport(`GET ${url}: record ${i} is not base64url`, e);
    }
  });
  const cursor = d['cursor'];
  if (cursor === undefined) return { records };
  if (typeof cursor !== 'string' || cursor.length === 0 || cursor.length > 256)
    throw transport(`GET ${url}: "cursor" is not a cursor`);
  return { records, cursor };
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
