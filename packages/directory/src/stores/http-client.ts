/**
 * The directory over HTTP, client side: a read-only store that fetches a
 * directory handler's records (http-handler.ts has the wire format), with
 * ETag revalidation, a timeout and a response size limit. The store is
 * untrusted transport (SPEC.md §11): trust/verify-set.ts checks every
 * record after `list`. No Node-only module is imported.
 */
import { BlindwireError, ErrorCode, fromBase64url } from '@blindwire/core';
import { MAX_TIMER_MS } from '../checks.js';
import type { DirectoryStore } from './directory-store.js';

/** Largest response body the client accepts: 4 MiB. */
export const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

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
  const { base, basePath, doFetch, timeoutMs, extraHeaders } = c;
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

/**
 * A read-only store that fetches records from a directory handler at
 * `baseUrl` (for example `https://acme.example/.well-known/blindwire/directory`).
 * Revalidates with `If-None-Match` and reuses its copy on 304. `put` and
 * `remove` reject with `ERR_UNSUPPORTED`: records are published to the store
 * behind the handler (file, Redis, Postgres...), never through HTTP.
 */
export function createHttpStore(baseUrl: string | URL, options: HttpStoreOptions = {}): HttpStore {
  const c = checkClientOptions(baseUrl, options);
  const cached: Cache = new Map();
  const stats = { requests: 0, notModified: 0, errors: 0 };

  return {
    kind: 'http',
    stats,
    async list(name) {
      try {
        return await getRecords(c, cached, stats, name);
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
