/**
 * STORE arguments: which directory store a command reads and writes.
 *
 *   file:PATH                         createFileStore (default file:./blindwire-directory.json)
 *   http(s)://HOST[/PATH]             createHttpStore, read-only (PATH defaults to the well-known one)
 *   redis(s)://[USER:PASS@]HOST:PORT[/DB][?prefix=PREFIX]
 *   postgres(ql)://...[?table=T&schema=S]
 *   nats://[USER:PASS@|TOKEN@]HOST:PORT/BUCKET
 *
 * Like the bindings, the adapters wrap a client; here the CLI is the caller,
 * so it creates the client, hands it to the adapter, and closes both. The
 * clients are optional peer dependencies, imported only when used. Store
 * specifications may carry credentials: they are never printed (`label`
 * redacts them), and `BLINDWIRE_STORE` keeps them out of argv.
 *
 * Every error a store method throws names the store (`<kind> store
 * <label>`), and a name with no records at all is told apart from one whose
 * records do not verify (`noRecords`): a mistyped path, database or prefix
 * then reads as such, not as an identity that was never published.
 */
import { stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { BlindwireError, ErrorCode } from '@blindwire/core';
import type { DirectoryStore } from '@blindwire/directory';
import { createFileStore } from '@blindwire/directory/file';
import { createHttpStore, DEFAULT_BASE_PATH } from '@blindwire/directory/http';
import { UsageError, optString, type Context } from './args.js';
import { absolute } from './files.js';
import { describeCause } from './causes.js';
import { DEFAULT_STORE } from './values.js';

export interface OpenStore {
  /** The adapter; every error its methods throw names the store. */
  store: DirectoryStore;
  /** The STORE without credentials, for output. */
  label: string;
  /** `file store file:./directory.json`: what error messages call it. */
  description: string;
  /**
   * Why the store answered no record at all for `name`, naming the store and
   * where it looked (the file does not exist; the Redis key; the table).
   */
  noRecords(name: string): Promise<string>;
  /** Closes the adapter and the client the CLI created for it. */
  close(): Promise<void>;
}

const CONNECT_TIMEOUT_MS = 5000;

/** A STORE argument, checked but not yet opened. */
export type StoreSpec =
  | { kind: 'file'; path: string; label: string }
  | { kind: 'redis'; url: URL; label: string; database: number | undefined; prefix: string }
  | { kind: 'http' | 'postgres' | 'nats'; url: URL; label: string };

/** The Redis store's default key prefix (createRedisStore's). */
export const DEFAULT_REDIS_PREFIX = 'blindwire:directory:';

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
      return { kind: 'redis', url, label, ...redisTarget(ctx, url) };
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
      return redisStore(spec);
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
    '--store expected file:PATH, http(s)://..., redis://HOST:PORT[/DB][?prefix=PREFIX], postgres://... or nats://HOST:PORT/BUCKET',
    ctx.command,
  );
}

/**
 * A Redis STORE's database and key prefix: the path is the database number,
 * as in every Redis URL (`redis://host:6379/2`); the key prefix is the
 * `prefix` query parameter, default `blindwire:directory:`. Any other path or
 * query parameter is a usage error, never silently ignored.
 */
function redisTarget(ctx: Context, url: URL): { database: number | undefined; prefix: string } {
  const path = url.pathname.replace(/^\//, '');
  if (path !== '' && !/^\d{1,5}$/.test(path)) {
    throw new UsageError(
      `--store redis://...: the path is the database number (redis://HOST:PORT/0), got ${JSON.stringify(decoded(path))}; ` +
        'give a key prefix as ?prefix=PREFIX',
      ctx.command,
    );
  }
  for (const key of url.searchParams.keys()) {
    if (key !== 'prefix')
      throw new UsageError(
        `--store redis://...: unknown query parameter ${JSON.stringify(key)} (only prefix=PREFIX)`,
        ctx.command,
      );
  }
  const prefixes = url.searchParams.getAll('prefix');
  if (prefixes.length > 1)
    throw new UsageError('--store redis://...: prefix given more than once', ctx.command);
  return {
    database: path === '' ? undefined : Number(path),
    prefix: prefixes[0] ?? DEFAULT_REDIS_PREFIX,
  };
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

/** `store` with every error of its methods naming `description`, code and cause kept. */
function naming(store: DirectoryStore, description: string): DirectoryStore {
  return new Proxy(store, {
    get(target, key, receiver) {
      const v: unknown = Reflect.get(target, key, receiver);
      if (typeof v !== 'function' || key === 'close') return v;
      return async (...args: unknown[]) => {
        try {
          return await (v as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        } catch (e) {
          if (!(e instanceof BlindwireError)) throw e;
          throw new BlindwireError(e.code, `${e.message} (${description})`, { cause: e });
        }
      };
    },
  });
}

function opened(
  store: DirectoryStore,
  label: string,
  where: (name: string) => Promise<string> | string,
  close: () => Promise<void>,
): OpenStore {
  const description = `${store.kind} store ${label}`;
  return {
    store: naming(store, description),
    label,
    description,
    noRecords: async (name) =>
      `the ${description} holds no records for ${name} (${await where(name)})`,
    close,
  };
}

function fileStore(path: string, label: string): OpenStore {
  const store = createFileStore(path, { watch: false });
  const where = async () => {
    try {
      await stat(path);
      return `file ${path}`;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException)?.code;
      return code === 'ENOENT'
        ? `the file ${path} does not exist: check --store`
        : `the file ${path} cannot be read (${code ?? 'unreadable'})`;
    }
  };
  return opened(store, label, where, async () => store.close?.());
}

function httpStore(url: URL): OpenStore {
  const base = new URL(url.href);
  if (base.pathname === '/' || base.pathname === '') base.pathname = DEFAULT_BASE_PATH;
  const store = createHttpStore(base, { timeoutMs: CONNECT_TIMEOUT_MS });
  const where = () => `the server answered an empty list under ${base.pathname}`;
  return opened(store, redact(base), where, async () => store.close?.());
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
    // What the client says, without secrets (describeCause); the cause itself is never printed.
    const said = describeCause(e);
    throw new BlindwireError(
      ErrorCode.Transport,
      `cannot connect to ${what}${said ? `: ${said}` : ''}`,
      { cause: e },
    );
  }
}

interface RedisClient {
  on(event: 'error', listener: (e: unknown) => void): unknown;
  connect(): Promise<unknown>;
  close?(): Promise<void>;
  quit?(): Promise<unknown>;
  destroy?(): void;
}

async function redisStore(spec: Extract<StoreSpec, { kind: 'redis' }>): Promise<OpenStore> {
  const { createRedisStore } = await import('@blindwire/directory/redis');
  const clientUrl = new URL(spec.url.href);
  clientUrl.pathname = '';
  clientUrl.search = '';
  const createClient = (await peer('redis', 'redis', 'createClient')) as (
    o: unknown,
  ) => RedisClient;
  const client = createClient({
    url: clientUrl.href,
    ...(spec.database === undefined ? {} : { database: spec.database }),
    socket: { connectTimeout: CONNECT_TIMEOUT_MS, reconnectStrategy: false },
  });
  client.on('error', () => undefined); // surfaced through the failing command instead
  await connecting(`redis at ${spec.label}`, () => client.connect()).catch((e: unknown) => {
    client.destroy?.();
    throw e;
  });
  const store = createRedisStore(client as never, { prefix: spec.prefix });
  const db = spec.database ?? 0;
  const where = (name: string) =>
    `no hash at key ${JSON.stringify(spec.prefix + name)} in database ${db}: check the database number and ?prefix=`;
  return opened(store, spec.label, where, async () => {
    await store.close?.();
    if (client.close) await client.close();
    else await client.quit?.();
  });
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
  const where = () =>
    `no row in table ${schema ? `${schema}.` : ''}${table ?? 'blindwire_directory_records'} of database ${JSON.stringify(decodeURIComponent(url.pathname.slice(1)) || '(default)')}: check the database, ?schema= and ?table=`;
  return opened(store, label, where, async () => {
    await store.close?.();
    await pool.end();
  });
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
  const where = () => `no key for it in bucket ${JSON.stringify(bucket)}: check the bucket name`;
  return opened(store, label, where, async () => {
    await store.close();
    await nc.drain().catch(() => nc.close());
  });
}
