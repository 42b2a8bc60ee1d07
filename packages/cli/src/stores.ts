/**
 * STORE arguments: which directory store a command reads and writes.
 *
 *   file:PATH                         createFileStore (default file:./blindwire-directory.json)
 *   http(s)://HOST[/PATH]             createHttpStore, read-only (PATH defaults to the well-known one)
 *   redis(s)://[USER:PASS@]HOST:PORT[/PREFIX]
 *   postgres(ql)://...[?table=T&schema=S]
 *   nats://[USER:PASS@|TOKEN@]HOST:PORT/BUCKET
 *
 * Like the bindings, the adapters wrap a client; here the CLI is the caller,
 * so it creates the client, hands it to the adapter, and closes both. The
 * clients are optional peer dependencies, imported only when used. Store
 * specifications may carry credentials: they are never printed (`label`
 * redacts them), and `BLINDWIRE_STORE` keeps them out of argv.
 */
import { fileURLToPath } from 'node:url';
import { BlindwireError, ErrorCode } from '@blindwire/core';
import type { DirectoryStore } from '@blindwire/directory';
import { createFileStore } from '@blindwire/directory/file';
import { createHttpStore, DEFAULT_BASE_PATH } from '@blindwire/directory/http';
import { UsageError, optString, type Context } from './args.js';
import { absolute } from './files.js';
import { DEFAULT_STORE } from './values.js';

export interface OpenStore {
  store: DirectoryStore;
  /** The STORE without credentials, for output. */
  label: string;
  /** Closes the adapter and the client the CLI created for it. */
  close(): Promise<void>;
}

const CONNECT_TIMEOUT_MS = 5000;

/** A STORE argument, checked but not yet opened. */
export type StoreSpec =
  | { kind: 'file'; path: string; label: string }
  | { kind: 'http' | 'redis' | 'postgres' | 'nats'; url: URL; label: string };

/**
 * `--store`, else `$BLINDWIRE_STORE`, else the default file store; a malformed
 * one is a UsageError. Commands call it before reading any input, so a bad
 * command line fails as a usage error first.
 */
export function parseStore(ctx: Context): StoreSpec {
  const spec = optString(ctx, 'store') ?? (ctx.io.env['BLINDWIRE_STORE'] || DEFAULT_STORE);
  if (spec.startsWith('file:') && !spec.startsWith('file://')) {
    if (spec.length === 5) throw badStore(ctx);
    return { kind: 'file', path: absolute(ctx.io, spec.slice(5)), label: spec };
  }
  let url: URL;
  try {
    url = new URL(spec);
  } catch {
    throw badStore(ctx);
  }
  const label = redact(url);
  // Opening a file, redis, postgres or nats store decodes the user name,
  // password and path: an escape that does not decode (`%E0`) is a bad STORE,
  // not a URIError later.
  const http = url.protocol === 'http:' || url.protocol === 'https:';
  if (!http && [url.username, url.password, url.pathname].some((p) => decoded(p) === undefined))
    throw badStore(ctx);
  switch (url.protocol) {
    case 'file:':
      try {
        return { kind: 'file', path: fileURLToPath(url), label };
      } catch {
        throw badStore(ctx); // a host, or an encoded `/`
      }
    case 'http:':
    case 'https:':
      return { kind: 'http', url, label };
    case 'redis:':
    case 'rediss:':
      return { kind: 'redis', url, label };
    case 'postgres:':
    case 'postgresql:':
      return { kind: 'postgres', url, label };
    case 'nats:':
      if (natsBucket(url) === undefined) throw badStore(ctx);
      return { kind: 'nats', url, label };
    default:
      throw badStore(ctx);
  }
}

export async function openStore(
  ctx: Context,
  spec: StoreSpec = parseStore(ctx),
): Promise<OpenStore> {
  switch (spec.kind) {
    case 'file':
      return fileStore(spec.path, spec.label);
    case 'http':
      return httpStore(spec.url);
    case 'redis':
      return redisStore(spec.url);
    case 'postgres':
      return postgresStore(spec.url);
    case 'nats':
      return natsStore(spec.url);
  }
}

/** `decodeURIComponent`, or undefined for a malformed escape. */
function decoded(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}

function natsBucket(url: URL): string | undefined {
  const bucket = decoded(url.pathname.replace(/^\/+|\/+$/g, ''));
  return !bucket || bucket.includes('/') ? undefined : bucket;
}

function badStore(ctx: Context): UsageError {
  return new UsageError(
    '--store expected file:PATH, http(s)://..., redis://HOST:PORT[/PREFIX], postgres://... or nats://HOST:PORT/BUCKET',
    ctx.command,
  );
}

/** The URL without user name and password. */
/** Query parameters whose values are secrets (libpq's `?password=`, tokens, keys). */
const SECRET_PARAM = /pass|token|secret|key|auth|cred|sig/i;

/** The URL for messages and labels: userinfo and secret-looking query values replaced by `***`. */
export function redact(url: URL): string {
  const u = new URL(url.href);
  if (u.username || u.password) {
    u.username = '***';
    u.password = '';
  }
  for (const name of [...new Set(u.searchParams.keys())]) {
    if (SECRET_PARAM.test(name)) u.searchParams.set(name, '***');
  }
  return u.href;
}

function fileStore(path: string, label: string): OpenStore {
  const store = createFileStore(path, { watch: false });
  return { store, label, close: async () => store.close?.() };
}

function httpStore(url: URL): OpenStore {
  const base = new URL(url.href);
  if (base.pathname === '/' || base.pathname === '') base.pathname = DEFAULT_BASE_PATH;
  const store = createHttpStore(base, { timeoutMs: CONNECT_TIMEOUT_MS });
  return { store, label: redact(base), close: async () => store.close?.() };
}

/** Imports an optional peer dependency, with an install hint when it is missing. */
async function peer(specifier: string, kind: string, name: string): Promise<unknown> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(specifier)) as Record<string, unknown>;
  } catch (e) {
    const code = (e as { code?: string })?.code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      throw new BlindwireError(
        ErrorCode.Unsupported,
        `the ${kind} store needs the "${specifier}" package: npm install ${specifier}`,
        {
          cause: e,
        },
      );
    }
    throw e;
  }
  // CommonJS packages (pg) may expose their exports only on `default`.
  return mod[name] ?? (mod['default'] as Record<string, unknown> | undefined)?.[name];
}

async function connecting<T>(what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    if (e instanceof BlindwireError) throw e;
    // The cause is kept for debuggers but never printed: client messages may echo the URL.
    throw new BlindwireError(ErrorCode.Transport, `cannot connect to ${what}`, { cause: e });
  }
}

interface RedisClient {
  on(event: 'error', listener: (e: unknown) => void): unknown;
  connect(): Promise<unknown>;
  close?(): Promise<void>;
  quit?(): Promise<unknown>;
  destroy?(): void;
}

async function redisStore(url: URL): Promise<OpenStore> {
  const { createRedisStore } = await import('@blindwire/directory/redis');
  const prefix = url.pathname.length > 1 ? decodeURIComponent(url.pathname.slice(1)) : undefined;
  const clientUrl = new URL(url.href);
  clientUrl.pathname = '';
  const createClient = (await peer('redis', 'redis', 'createClient')) as (
    o: unknown,
  ) => RedisClient;
  const client = createClient({
    url: clientUrl.href,
    socket: { connectTimeout: CONNECT_TIMEOUT_MS, reconnectStrategy: false },
  });
  client.on('error', () => undefined); // surfaced through the failing command instead
  const label = redact(url);
  await connecting(`redis at ${label}`, () => client.connect()).catch((e: unknown) => {
    client.destroy?.();
    throw e;
  });
  const store = createRedisStore(client as never, prefix === undefined ? {} : { prefix });
  return {
    store,
    label,
    async close() {
      await store.close?.();
      if (client.close) await client.close();
      else await client.quit?.();
    },
  };
}

interface PgPool {
  on(event: 'error', listener: (e: unknown) => void): unknown;
  query(text: string, values?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
  end(): Promise<void>;
}

async function postgresStore(url: URL): Promise<OpenStore> {
  const { createPostgresStore } = await import('@blindwire/directory/postgres');
  const connection = new URL(url.href);
  const table = connection.searchParams.get('table') ?? undefined;
  const schema = connection.searchParams.get('schema') ?? undefined;
  connection.searchParams.delete('table');
  connection.searchParams.delete('schema');
  const Pool = (await peer('pg', 'postgres', 'Pool')) as new (o: unknown) => PgPool;
  const pool = new Pool({
    connectionString: connection.href,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    max: 2,
  });
  pool.on('error', () => undefined); // idle-client errors; queries report their own
  const label = redact(url);
  const store = createPostgresStore(pool as never, {
    ...(table === undefined ? {} : { table }),
    ...(schema === undefined ? {} : { schema }),
  });
  return {
    store,
    label,
    async close() {
      await store.close?.();
      await pool.end();
    },
  };
}

interface NatsConnection {
  drain(): Promise<void>;
  close(): Promise<void>;
}

async function natsStore(url: URL): Promise<OpenStore> {
  const bucket = natsBucket(url)!;
  const { createNatsKvStore } = await import('@blindwire/directory/nats');
  const connect = (await peer('@nats-io/transport-node', 'nats', 'connect')) as (
    o: unknown,
  ) => Promise<NatsConnection>;
  const auth: Record<string, string> = {};
  if (url.username && url.password) {
    auth['user'] = decodeURIComponent(url.username);
    auth['pass'] = decodeURIComponent(url.password);
  } else if (url.username) {
    auth['token'] = decodeURIComponent(url.username);
  }
  const label = redact(url);
  const nc = await connecting(`nats at ${label}`, () =>
    connect({ servers: url.host, timeout: CONNECT_TIMEOUT_MS, reconnect: false, ...auth }),
  );
  const store = createNatsKvStore({ nc: nc as never, bucket });
  return {
    store,
    label,
    async close() {
      await store.close();
      await nc.drain().catch(() => nc.close());
    },
  };
}
