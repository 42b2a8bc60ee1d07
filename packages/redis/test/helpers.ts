/**
 * Shared set-up of the Redis binding's integration tests: both ends of both
 * client ranges (ioredis 5.4.0 and 6, node-redis 5.0.0 and 6, through npm
 * aliases), identities, unique stream keys per run, raw reads, cleanup.
 */
import { randomBytes } from 'node:crypto';
import IoRedis6 from 'ioredis';
import IoRedis54 from 'ioredis5-4';
import { createClient as createClient6 } from 'redis';
import { createClient as createClient5 } from 'redis5';
import type { RedisClientLike } from '../src/index.js';

export const URL = 'redis://127.0.0.1:6379';
export const RUN = randomBytes(4).toString('hex');
let n = 0;
/** A stream key of its own: `bwt:<run>:<n>`. */
export const fresh = (): string => `bwt:${RUN}:${++n}`;

export interface Variant {
  label: string;
  open(): Promise<RedisClientLike>;
  close(c: RedisClientLike): Promise<unknown>;
}

export const VARIANTS: Variant[] = [
  {
    label: 'ioredis 6',
    open: async () => new IoRedis6(URL),
    close: async (c) => (c as IoRedis6).quit(),
  },
  {
    label: 'ioredis 5.4.0',
    open: async () => new IoRedis54(URL) as unknown as RedisClientLike,
    close: async (c) => (c as unknown as IoRedis54).quit(),
  },
  {
    label: 'node-redis 6',
    open: async () => (await createClient6({ url: URL }).connect()) as unknown as RedisClientLike,
    close: async (c) => (c as unknown as ReturnType<typeof createClient6>).close(),
  },
  {
    label: 'node-redis 5.0.0',
    open: async () => (await createClient5({ url: URL }).connect()) as unknown as RedisClientLike,
    close: async (c) => (c as unknown as ReturnType<typeof createClient5>).close(),
  },
];

/** Raw access for the tests, through an ioredis client of their own (binary-safe). */
export const raw = new IoRedis6(URL, { lazyConnect: true });

/** Every entry of `key`, raw: id and fields as Buffers. */
export async function rawEntries(key: string): Promise<{ id: string; fields: Buffer[] }[]> {
  const rows = await raw.xrangeBuffer(key, '-', '+');
  return rows.map(([id, fields]) => ({ id: id.toString(), fields }));
}

/** The value of field `name` in a raw entry. */
export function field(fields: Buffer[], name: string): Buffer | undefined {
  for (let i = 0; i + 1 < fields.length; i += 2)
    if (fields[i]!.toString() === name) return fields[i + 1];
  return undefined;
}

/** Pending (delivered, unacked) plus not yet delivered entries of `group`. */
export async function unsettled(key: string, group: string): Promise<number> {
  const groups = (await raw.call('XINFO', 'GROUPS', key)) as unknown[][];
  for (const g of groups) {
    const m = new Map<string, unknown>();
    for (let i = 0; i + 1 < g.length; i += 2) m.set(String(g[i]), g[i + 1]);
    if (m.get('name') === group) return Number(m.get('pending')) + Number(m.get('lag') ?? 0);
  }
  throw new Error(`no group ${group}`);
}

/** Creates `group` at the start of `key` (MKSTREAM). */
export const createGroup = (key: string, group: string) =>
  raw.xgroup('CREATE', key, group, '0', 'MKSTREAM');

/** Deletes every key of this run matching `pattern`. */
export async function cleanup(pattern: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await raw.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await raw.del(...keys);
  } while (cursor !== '0');
}

/** Waits until `f` is true (polling every 25 ms), or fails after `ms`. */
export async function until(f: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await f())) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 25));
  }
}
