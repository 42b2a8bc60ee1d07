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
 * No `watch`: Redis reports hash changes only through keyspace notifications,
 * which need server configuration (`notify-keyspace-events`) and a subscriber
 * connection this adapter would have to own. Poll `list`, or use the NATS store.
 *
 * Limits: `put` refuses records over 64 KiB and `list` refuses a name with
 * more than 1024 records (or a stored value over 64 KiB), with `ERR_LIMIT_EXCEEDED`.
 */
import { BlindwireError, ErrorCode } from '@blindwire/core';
import { recordId } from '../records/record-id.js';
import type { DirectoryStore } from './directory-store.js';
import {
  MAX_STORED_RECORD_BYTES,
  MAX_RECORDS_PER_NAME,
  invalidArgument,
  assertName,
  assertId,
  assertRecord,
  tooManyRecords,
  storedRecordTooLarge,
  transportFor,
} from './common.js';

const transport = transportFor('redis');

/** Largest record `put` accepts and `list` returns, in bytes. */
/** Most records `list` returns for one name. */
/** node-redis `RESP_TYPES.BLOB_STRING` (the RESP `$` type byte); the same in v5 and v6. */
const BLOB_STRING = 36;

/** The commands the store uses, on a client view that maps bulk strings to Buffers. */
export interface RedisBinaryCommands {
  hSet(key: string, field: string, value: Buffer): Promise<unknown>;
  hLen(key: string): Promise<unknown>;
  hVals(key: string): Promise<unknown>;
  hDel(key: string, field: string): Promise<unknown>;
}

/** What the store needs of a node-redis v5/v6 client (`createClient()`, connected by the caller). */
export interface RedisStoreClient {
  withTypeMapping(mapping: { [BLOB_STRING]: BufferConstructor }): RedisBinaryCommands;
}

export interface RedisStoreOptions {
  /** Prepended to each identity name to form its hash key. Default `blindwire:directory:`. */
  prefix?: string;
}

export interface RedisStore extends DirectoryStore {
  remove(name: string, id: string): Promise<void>;
}

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
      return values.map((v: unknown) => {
        if (!(v instanceof Uint8Array)) throw unexpectedReply('HVALS');
        if (v.length > MAX_STORED_RECORD_BYTES) throw storedRecordTooLarge('redis');
        return new Uint8Array(v); // a copy, and a plain Uint8Array rather than a Buffer
      });
    },
    async remove(name, id) {
      assertName(name);
      assertId(id);
      await transport('removing a record', () => bin.hDel(prefix + name, id));
    },
  };
}

function unexpectedReply(command: string): BlindwireError {
  return new BlindwireError(ErrorCode.Transport, `redis: unexpected reply to ${command}`);
}
