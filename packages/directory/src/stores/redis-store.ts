/**
 * Directory store on Redis (SPEC.md §11.5), through a node-redis (`redis` v5 or v6) client
 * that the caller created and connected. Like every store it is untrusted
 * storage: it keeps and returns raw signed records, and verification happens
 * once, elsewhere, for all adapters (design.md §2, §5).
 *
 * Layout: one hash per identity at key `prefix + name`; field = `recordId(record)`
 * (32 lowercase hex characters); value = the record's raw bytes, unencoded.
 * Commands go through `client.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer })`,
 * a view of the caller's client that returns bulk strings as bytes: it opens no
 * connection and changes nothing on the client. Because nothing is base64'd,
 * `client.hSet(prefix + name, id, bytes)` writes exactly what `list` returns.
 *
 * `listPage` walks the hash with HSCAN (cursor: Redis's own, COUNT: the
 * limit). Redis treats COUNT as a hint: a small hash (listpack-encoded, up to
 * `hash-max-listpack-entries`, 128 by default) comes back whole, and a page
 * may hold a record twice across pages while the hash is resized (callers
 * dedupe by record id); a page over 1024 records is refused. HSCAN's
 * guarantee is SPEC.md §11.5's: every record stored for the whole walk comes
 * back. `removeMany` is one HDEL.
 *
 * No `watch`: Redis reports hash changes only through keyspace notifications,
 * which need server configuration (`notify-keyspace-events`) and a subscriber
 * connection this adapter would have to own. Poll `list`, or use the NATS store.
 *
 * Limits: `put` refuses records over 64 KiB and `list` refuses a name with
 * more than 1024 records (or a stored value over 64 KiB), with `ERR_LIMIT_EXCEEDED`.
 *
 * @module @blindwire/directory/redis
 */
import { BlindwireError, ErrorCode } from '@blindwire/core';
import { recordId } from '../records/record-id.js';
import type { DirectoryStore } from './directory-store.js';
import {
  MAX_STORED_RECORD_BYTES,
  MAX_RECORDS_PER_NAME,
  MAX_PAGE_RECORDS,
  checkPageOptions,
  invalidArgument,
  assertName,
  assertId,
  assertRecord,
  tooManyRecords,
  storedRecordTooLarge,
  transportFor,
} from './common.js';

const transport = transportFor('redis');

/** node-redis `RESP_TYPES.BLOB_STRING` (the RESP `$` type byte); the same in v5 and v6. */
const BLOB_STRING = 36;

/** The commands the store uses, on a client view that maps bulk strings to Buffers. */
export interface RedisBinaryCommands {
  hSet(key: string, field: string, value: Buffer): Promise<unknown>;
  hLen(key: string): Promise<unknown>;
  hVals(key: string): Promise<unknown>;
  hDel(key: string, field: string | string[]): Promise<unknown>;
  hScan(key: string, cursor: string, options: { COUNT: number }): Promise<unknown>;
}

/** What the store needs of a node-redis v5/v6 client (`createClient()`, connected by the caller). */
export interface RedisStoreClient {
  withTypeMapping(mapping: { [BLOB_STRING]: BufferConstructor }): RedisBinaryCommands;
}

/** Options of `createRedisStore`. */
export interface RedisStoreOptions {
  /** Prepended to each identity name to form its hash key. Default `blindwire:directory:`. */
  prefix?: string;
}

/** A directory store on Redis (`createRedisStore`), with paging and removal. */
export interface RedisStore extends DirectoryStore {
  listPage: NonNullable<DirectoryStore['listPage']>;
  remove(name: string, id: string): Promise<void>;
  removeMany: NonNullable<DirectoryStore['removeMany']>;
}

/**
 * A directory store on Redis (SPEC.md §11.5), one hash per identity, through the caller's
 * connected node-redis client. Untrusted like every store.
 */
export function createRedisStore(
  client: RedisStoreClient,
  options: RedisStoreOptions = {},
): RedisStore {
  const prefix = options.prefix ?? 'blindwire:directory:';
  if (typeof prefix !== 'string')
    throw invalidArgument('options.prefix', 'a string', typeof prefix);
  if (typeof client?.withTypeMapping !== 'function') {
    throw invalidArgument('client', 'a node-redis v5 or v6 client (withTypeMapping)');
  }
  const bin = client.withTypeMapping({ [BLOB_STRING]: Buffer });

  return {
    kind: 'redis',
    async put(name, record) {
      assertName(name);
      assertRecord(record);
      const value = Buffer.from(record.buffer, record.byteOffset, record.byteLength);
      await transport('storing a record', () => bin.hSet(prefix + name, recordId(record), value));
    },
    async list(name) {
      assertName(name);
      const key = prefix + name;
      // HLEN first so a flooded hash is refused before it is fetched.
      const count = await transport('counting records', () => bin.hLen(key));
      if (Number(count) > MAX_RECORDS_PER_NAME) throw tooManyRecords('redis');
      const values = await transport('listing records', () => bin.hVals(key));
      if (!Array.isArray(values)) throw unexpectedReply('HVALS');
      if (values.length > MAX_RECORDS_PER_NAME) throw tooManyRecords('redis');
      return values.map((v: unknown) => storedRecord(v, 'HVALS'));
    },
    async listPage(name, options) {
      assertName(name);
      const { cursor, limit } = checkPageOptions(options);
      if (cursor !== undefined && !/^[0-9]{1,20}$/.test(cursor))
        throw invalidArgument('options.cursor', 'a cursor from the previous page');
      const reply = await transport('listing a page of records', () =>
        bin.hScan(prefix + name, cursor ?? '0', { COUNT: limit }),
      );
      const { cursor: next, entries } = (reply ?? {}) as { cursor?: unknown; entries?: unknown };
      if (!Array.isArray(entries)) throw unexpectedReply('HSCAN');
      if (entries.length > MAX_PAGE_RECORDS) throw tooManyRecords('redis');
      const records = entries.map((e: { value?: unknown }) => storedRecord(e?.value, 'HSCAN'));
      const after = next instanceof Uint8Array ? Buffer.from(next).toString('latin1') : next;
      if (typeof after !== 'string' || !/^[0-9]{1,20}$/.test(after)) throw unexpectedReply('HSCAN');
      return after === '0' ? { records } : { records, cursor: after };
    },
    async remove(name, id) {
      assertName(name);
      assertId(id);
      await transport('removing a record', () => bin.hDel(prefix + name, id));
    },
    async removeMany(name, ids) {
      assertName(name);
      if (!Array.isArray(ids)) throw invalidArgument('ids', 'an array of record ids');
      ids.forEach(assertId);
      if (ids.length === 0) return;
      await transport('removing records', () => bin.hDel(prefix + name, [...ids]));
    },
  };
}

/** A stored value as a record: bytes within the stored-record limit, copied. */
function storedRecord(v: unknown, command: string): Uint8Array {
  if (!(v instanceof Uint8Array)) throw unexpectedReply(command);
  if (v.length > MAX_STORED_RECORD_BYTES) throw storedRecordTooLarge('redis');
  return new Uint8Array(v); // a copy, and a plain Uint8Array rather than a Buffer
}

function unexpectedReply(command: string): BlindwireError {
  return new BlindwireError(ErrorCode.Transport, `redis: unexpected reply to ${command}`);
}
