/**
 * A replay reservation store on Redis (SPEC.md §7 step 18), through a client
 * the caller created and connected: node-redis (`redis` 5 or 6) or ioredis (5
 * or 6), told apart by shape (node-redis has `evalSha`, ioredis `evalsha`).
 *
 * Layout: one string per entry at `prefix + sha256hex(sender) + ':' + messageId`
 * (the hash has a fixed length, so no two (sender, id) pairs share a key);
 * value `lease:<token>` with a `PX leaseMs` expiry while reserved, `done` with
 * a `PXAT` expiry at the end of the second keepUntil once committed.
 *
 * Atomicity: each operation is one Lua script (EVALSHA, and EVAL when the
 * server answers NOSCRIPT), and Redis runs a script alone, so the read and the
 * write of `reserve` see no other command in between: of concurrent reserves
 * of an absent key exactly one writes the lease. Lease and retention expiry
 * use the server's clock only. Requires Redis 6.2 (PXAT).
 */
import { sha1 } from '@noble/hashes/legacy.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import {
  droppableAtMs,
  invalidArgument,
  recordSkewOf,
  senderHash,
  transportFor,
  unexpected,
  checkedStore,
} from './checks.js';
import type { ReplayEntry, ReplayStore, ReserveAnswer } from './types.js';

const STORE = 'redis replay store';
const transport = transportFor(STORE);

/** KEYS[1] the entry; ARGV token, leaseMs. 1 reserved, 2 in flight, 3 done, 0 a foreign value. */
const RESERVE = `local v = redis.call('GET', KEYS[1])
if not v then
  redis.call('SET', KEYS[1], 'lease:' .. ARGV[1], 'PX', ARGV[2])
  return 1
end
if v == 'done' then return 3 end
if string.sub(v, 1, 6) == 'lease:' then return 2 end
return 0`;

/**
 * KEYS[1] the entry; ARGV the Unix ms at which it may be dropped. Done, kept
 * at least that long: a done entry already kept longer stays as it is.
 */
const COMMIT = `local v = redis.call('GET', KEYS[1])
if v and v ~= 'done' and string.sub(v, 1, 6) ~= 'lease:' then return 0 end
if v == 'done' then
  local ttl = redis.call('PTTL', KEYS[1])
  if ttl == -1 then return 1 end
  local t = redis.call('TIME')
  if tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + ttl >= tonumber(ARGV[1]) then
    return 1
  end
end
redis.call('SET', KEYS[1], 'done', 'PXAT', ARGV[1])
return 1`;

/** KEYS[1] the entry; ARGV token. Deletes it only while it is this token's lease. */
const RELEASE = `if redis.call('GET', KEYS[1]) == 'lease:' .. ARGV[1] then
  redis.call('DEL', KEYS[1])
end
return 1`;

/** KEYS[1] the entry. 1 done, 0 absent or leased, -1 a foreign value. */
const HAS = `local v = redis.call('GET', KEYS[1])
if not v then return 0 end
if v == 'done' then return 1 end
if string.sub(v, 1, 6) == 'lease:' then return 0 end
return -1`;

/** What the store needs of a node-redis v5/v6 client (`createClient()`, connected by the caller). */
export interface NodeRedisReplayClient {
  evalSha(sha1: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
}

/** What the store needs of an ioredis v5/v6 client (`new Redis()`). */
export interface IoRedisReplayClient {
  evalsha(sha1: string, numkeys: number, ...args: string[]): Promise<unknown>;
  eval(script: string, numkeys: number, ...args: string[]): Promise<unknown>;
}

/** Options of `createRedisReplayStore`: the caller's client and the key prefix. */
export interface RedisReplayStoreOptions {
  /** A connected node-redis (5, 6) or ioredis (5, 6) client. */
  client: NodeRedisReplayClient | IoRedisReplayClient;
  /** Prepended to every key. Default `blindwire:replay:`. */
  prefix?: string;
  /** Seconds the legacy `record` keeps an id past its expiresAt (0..86400, default 86400). */
  recordSkew?: number;
}

interface Script {
  readonly source: string;
  readonly sha1: string;
}

const script = (source: string): Script => ({
  source,
  sha1: bytesToHex(sha1(new TextEncoder().encode(source))),
});
const SCRIPTS = {
  reserve: script(RESERVE),
  commit: script(COMMIT),
  release: script(RELEASE),
  has: script(HAS),
};

type Run = (s: Script, key: string, args: string[]) => Promise<unknown>;

/** One script call through either client: EVALSHA, then EVAL when the server does not have it. */
function runnerFor(client: RedisReplayStoreOptions['client']): Run {
  const nodeRedis = (client ?? {}) as Partial<NodeRedisReplayClient>;
  const ioRedis = (client ?? {}) as Partial<IoRedisReplayClient>;
  let viaSha: Run;
  let viaSource: Run;
  if (typeof nodeRedis.evalSha === 'function' && typeof nodeRedis.eval === 'function') {
    const c = nodeRedis as NodeRedisReplayClient;
    viaSha = (s, key, args) => c.evalSha(s.sha1, { keys: [key], arguments: args });
    viaSource = (s, key, args) => c.eval(s.source, { keys: [key], arguments: args });
  } else if (typeof ioRedis.evalsha === 'function' && typeof ioRedis.eval === 'function') {
    const c = ioRedis as IoRedisReplayClient;
    viaSha = (s, key, args) => c.evalsha(s.sha1, 1, key, ...args);
    viaSource = (s, key, args) => c.eval(s.source, 1, key, ...args);
  } else {
    throw invalidArgument('options.client', 'a node-redis 5/6 or ioredis 5/6 client');
  }
  return async (s, key, args) => {
    try {
      return await viaSha(s, key, args);
    } catch (e) {
      if (!isNoScript(e)) throw e;
      return viaSource(s, key, args); // loads the script for the next EVALSHA
    }
  };
}

function isNoScript(e: unknown): boolean {
  const message = (e as { message?: unknown } | null)?.message;
  return typeof message === 'string' && message.startsWith('NOSCRIPT');
}

/** A script's integer reply; anything else is a failure, never a pass. */
function integerReply(reply: unknown, what: string): number {
  if (typeof reply === 'number' && Number.isInteger(reply)) return reply;
  if (typeof reply === 'string' && /^-?[0-9]{1,3}$/.test(reply)) return Number(reply);
  throw unexpected(STORE, what);
}

const RESERVE_ANSWERS: Record<number, ReserveAnswer> = { 1: 'reserved', 2: 'in-flight', 3: 'done' };

/**
 * A replay store shared by a consumer group on Redis (node-redis or ioredis): each reservation one
 * atomic command (SPEC.md §7 step 18).
 */
export function createRedisReplayStore(options: RedisReplayStoreOptions): ReplayStore {
  if (typeof options !== 'object' || options === null)
    throw invalidArgument('options', 'an object { client, prefix? }');
  const prefix = options.prefix ?? 'blindwire:replay:';
  if (typeof prefix !== 'string') throw invalidArgument('options.prefix', 'a string');
  const recordSkew = recordSkewOf(options.recordSkew);
  const run = runnerFor(options.client);
  const keyOf = (messageId: string, sender: string) =>
    `${prefix}${senderHash(sender)}:${messageId}`;
  const keyOfEntry = (e: ReplayEntry) => keyOf(e.messageId, e.sender);

  const commit = async (entry: ReplayEntry): Promise<void> => {
    const reply = await transport('commit', () =>
      run(SCRIPTS.commit, keyOfEntry(entry), [String(droppableAtMs(entry.keepUntil))]),
    );
    if (integerReply(reply, 'commit') !== 1) throw unexpected(STORE, 'commit');
  };

  return checkedStore(
    {
      async reserve(entry, leaseMs, token) {
        const reply = await transport('reserve', () =>
          run(SCRIPTS.reserve, keyOfEntry(entry), [token, String(leaseMs)]),
        );
        const answer = RESERVE_ANSWERS[integerReply(reply, 'reserve')];
        if (answer === undefined) throw unexpected(STORE, 'reserve');
        return answer;
      },
      commit,
      async release(entry, token) {
        const reply = await transport('release', () =>
          run(SCRIPTS.release, keyOfEntry(entry), [token]),
        );
        if (integerReply(reply, 'release') !== 1) throw unexpected(STORE, 'release');
      },
      async has(messageId, sender) {
        const reply = await transport('has', () => run(SCRIPTS.has, keyOf(messageId, sender), []));
        const n = integerReply(reply, 'has');
        if (n !== 0 && n !== 1) throw unexpected(STORE, 'has');
        return n === 1;
      },
    },
    recordSkew,
  );
}
