/**
 * Directory store on a NATS JetStream key-value bucket (SPEC.md §11.5) (nats.js v3,
 * `@nats-io/kv`), over a connection the caller created. Untrusted storage like
 * every store: raw signed records in, raw records out; verification happens
 * once, elsewhere, for all adapters (design.md §2, §5).
 *
 * Keys: `<base64url(UTF-8 name)>.<recordId(record)>`. KV keys allow only
 * `[-/_=.a-zA-Z0-9]`, and identity names are URIs (`spiffe://a.example/x`), so
 * the name is encoded reversibly and canonically (RFC 4648 §5, no padding). The
 * encoding never contains `.`, so `<encoded name>.*` matches one name's records
 * and nothing else. Values are the raw record bytes.
 * `put` always writes (a re-put of the same bytes is a new revision that
 * watchers see); `remove` purges, so pruned bytes leave the bucket's history.
 *
 * `watch` follows the whole bucket with updates only (no replay of what is
 * already stored) and calls the listener with the decoded name on every put or
 * removal; keys that are not in this format (another application sharing the
 * bucket) are ignored. The adapter works with any nats.js v3 transport: it
 * imports only `@nats-io/kv`.
 *
 * `listPage` lists the name's keys (names only, no values: `<encoded name>.*`),
 * orders them by record id and reads the values of one page after the
 * cursor (the last id of the previous page). The KV has no ordered key range,
 * so each page costs one pass over the name's keys; values are read a page at
 * a time. `removeMany` purges each key.
 *
 * Limits: `put` refuses records over 64 KiB and `list` refuses a name with
 * more than 1024 records (or a stored value over 64 KiB), with `ERR_LIMIT_EXCEEDED`.
 *
 * @module @blindwire/directory/nats
 */
import { BlindwireError, ErrorCode, fromBase64url, toBase64url } from '@blindwire/core';
import { Kvm, KvWatchInclude, type KV, type KvOptions } from '@nats-io/kv';
import { recordId } from '../records/record-id.js';
import type { DirectoryStore, ListPageOptions, RecordPage } from './directory-store.js';
import {
  MAX_STORED_RECORD_BYTES,
  MAX_RECORDS_PER_NAME,
  assertId,
  assertIdCursor,
  checkPageOptions,
  invalidArgument,
  assertRecord,
  transportError,
  transportFor,
} from './common.js';

const transport = transportFor('nats');

const RECORD_ID = /^[0-9a-f]{32}$/;
const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** A NATS connection (any nats.js v3 transport) or a JetStream client, as `new Kvm()` takes. */
export type NatsKvConnection = ConstructorParameters<typeof Kvm>[0];

/** An open KV bucket, or a connection and the name of a bucket to create (or open if it exists). */
export type NatsKvSource = KV | { nc: NatsKvConnection; bucket: string };

/** Options of `createNatsKvStore`. */
export interface NatsKvStoreOptions {
  /** Bucket settings, used only when the store creates the bucket from `{ nc, bucket }`. */
  bucketOptions?: Partial<KvOptions>;
  /**
   * Receives failures of a running watch (the watcher broke, a listener threw).
   * Without it such an error is re-thrown outside the store, as an uncaught exception.
   */
  onWatchError?: (error: unknown) => void;
}

/**
 * A directory store on a NATS JetStream key-value bucket (`createNatsKvStore`), with paging and
 * removal.
 */
export interface NatsKvStore extends DirectoryStore {
  listPage: NonNullable<DirectoryStore['listPage']>;
  remove(name: string, id: string): Promise<void>;
  removeMany: NonNullable<DirectoryStore['removeMany']>;
  watch(listener: (name: string) => void): Promise<() => void>;
  /** Stops this store's watchers. Leaves the connection and the bucket alone. */
  close(): Promise<void>;
}

/** The keys under `prefix` (an encoded name), at most `max` + 1 of them. */
function keysOf(kv: KV, prefix: string, max: number): Promise<string[]> {
  return transport('listing keys', async () => {
    const found: string[] = [];
    const iter = await kv.keys(`${prefix}.*`);
    for await (const k of iter) {
      found.push(k);
      if (found.length > max) break; // stops the iterator
    }
    return found;
  });
}

/** Every record under `prefix` (an encoded name) in `kv`, within the per-name and per-record limits. */
async function listRecords(kv: KV, prefix: string): Promise<Uint8Array[]> {
  const keys = await keysOf(kv, prefix, MAX_RECORDS_PER_NAME);
  if (keys.length > MAX_RECORDS_PER_NAME) {
    throw new BlindwireError(
      ErrorCode.LimitExceeded,
      `nats: more than ${MAX_RECORDS_PER_NAME} records stored for one name`,
    );
  }
  return readValues(kv, keys);
}

/** One page of the records under `prefix`, in record id order after `cursor` (SPEC.md §11.5). */
async function listRecordPage(
  kv: KV,
  prefix: string,
  options: ListPageOptions | undefined,
): Promise<RecordPage> {
  const { cursor, limit } = checkPageOptions(options);
  assertIdCursor(cursor);
  const ids = (await keysOf(kv, prefix, Number.MAX_SAFE_INTEGER))
    .map((k) => k.slice(prefix.length + 1))
    .filter((id) => RECORD_ID.test(id) && (cursor === undefined || id > cursor))
    .sort();
  const page = ids.slice(0, limit);
  const records = await readValues(
    kv,
    page.map((id) => `${prefix}.${id}`),
  );
  return ids.length > limit ? { records, cursor: page[page.length - 1]! } : { records };
}

/** The values of `keys`, skipping keys removed meanwhile, within the per-record limit. */
async function readValues(kv: KV, keys: string[]): Promise<Uint8Array[]> {
  const entries = await transport('reading records', () => Promise.all(keys.map((k) => kv.get(k))));
  const records: Uint8Array[] = [];
  for (const e of entries) {
    if (e === null || e.operation !== 'PUT') continue; // removed between keys() and get()
    if (e.value.length > MAX_STORED_RECORD_BYTES) {
      throw new BlindwireError(
        ErrorCode.LimitExceeded,
        `nats: a stored record exceeds ${MAX_STORED_RECORD_BYTES} bytes`,
      );
    }
    records.push(Uint8Array.from(e.value));
  }
  return records;
}

/** Purges the keys of records `ids` under `prefix`, in order: the KV has no batch purge. */
async function purgeAll(kv: KV, prefix: string, ids: string[]): Promise<void> {
  for (const id of ids) await transport('removing a record', () => kv.purge(`${prefix}.${id}`));
}

/** Calls `listener` with the name of every changed directory key until `iter` stops. */
async function pumpWatch(
  iter: AsyncIterable<{ key: string }> & { stop(): void },
  listener: (name: string) => void,
  reportWatchError: (error: unknown) => void,
  watchers: Set<{ stop(): void }>,
): Promise<void> {
  try {
    for await (const e of iter) {
      const name = decodeName(e.key);
      if (name === undefined) continue; // not a directory key
      try {
        listener(name);
      } catch (error) {
        reportWatchError(error);
      }
    }
  } catch (cause) {
    reportWatchError(transportError('nats: watch failed', cause));
  } finally {
    watchers.delete(iter);
  }
}

/**
 * A directory store on a NATS JetStream key-value bucket (SPEC.md §11.5), over a connection or
 * bucket the caller created. Untrusted like every store.
 */
export function createNatsKvStore(
  source: NatsKvSource,
  options: NatsKvStoreOptions = {},
): NatsKvStore {
  let opening: Promise<KV> | undefined;
  if (isKv(source)) {
    opening = Promise.resolve(source);
  } else if (typeof source?.bucket !== 'string' || source.nc == null) {
    throw invalidArgument('source', 'a KV, or { nc, bucket } with a bucket name');
  }
  const bucket = (): Promise<KV> => {
    if (opening === undefined) {
      const { nc, bucket: name } = source as { nc: NatsKvConnection; bucket: string };
      opening = transport('opening the bucket', () =>
        new Kvm(nc).create(name, options.bucketOptions),
      ).catch((e: unknown) => {
        opening = undefined; // retry on the next call rather than caching a failure
        throw e;
      });
    }
    return opening;
  };
  const watchers = new Set<{ stop(): void }>();
  const reportWatchError =
    options.onWatchError ??
    ((error: unknown) => {
      setTimeout(() => {
        throw error;
      });
    });

  return {
    kind: 'nats',
    async put(name, record) {
      assertRecord(record);
      const key = `${encodeName(name)}.${recordId(record)}`;
      const kv = await bucket();
      await transport('storing a record', () => kv.put(key, record));
    },
    async list(name) {
      const prefix = encodeName(name);
      const kv = await bucket();
      return listRecords(kv, prefix);
    },
    async listPage(name, options) {
      const prefix = encodeName(name);
      const kv = await bucket();
      return listRecordPage(kv, prefix, options);
    },
    async remove(name, id) {
      assertId(id);
      const key = `${encodeName(name)}.${id}`;
      const kv = await bucket();
      // purge, not delete: pruning should drop the bytes from the bucket's history too.
      await transport('removing a record', () => kv.purge(key));
    },
    async removeMany(name, ids) {
      if (!Array.isArray(ids)) throw invalidArgument('ids', 'an array of record ids');
      ids.forEach(assertId);
      await purgeAll(await bucket(), encodeName(name), [...ids]);
    },
    async watch(listener) {
      if (typeof listener !== 'function')
        throw invalidArgument('listener', 'a function', typeof listener);
      const kv = await bucket();
      const iter = await transport('starting a watch', () =>
        kv.watch({ key: '>', include: KvWatchInclude.UpdatesOnly }),
      );
      watchers.add(iter);
      void pumpWatch(iter, listener, reportWatchError, watchers);
      return () => {
        watchers.delete(iter);
        iter.stop();
      };
    },
    async close() {
      for (const w of watchers) w.stop();
      watchers.clear();
    },
  };
}

function isKv(source: NatsKvSource): source is KV {
  return typeof (source as KV)?.put === 'function' && typeof (source as KV).keys === 'function';
}

/** `name` as one KV key token: base64url of its UTF-8 bytes, no padding. */
function encodeName(name: unknown): string {
  if (typeof name !== 'string' || name.length === 0) {
    throw invalidArgument(
      'name',
      'a non-empty string',
      typeof name === 'string' ? 'an empty string' : typeof name,
    );
  }
  return toBase64url(new TextEncoder().encode(name));
}

/** The identity name of a `<encoded name>.<record id>` key, or undefined for any other key. */
function decodeName(key: string): string | undefined {
  const dot = key.indexOf('.');
  if (dot <= 0 || !RECORD_ID.test(key.slice(dot + 1))) return undefined;
  try {
    return utf8Decoder.decode(fromBase64url(key.slice(0, dot))); // both strict: one key per name
  } catch {
    return undefined; // not base64url of UTF-8: not a directory key
  }
}
