/**
 * What every storage adapter shares (SPEC.md §11.5): the storage limits, argument checks and
 * the wrapping of client errors into ERR_TRANSPORT (with the client's error
 * as `cause`). Adapters never swallow an error and never define their own.
 */
import { BlindwireError, ErrorCode } from '@blindwire/core';
import type { ListPageOptions, RecordPage } from './directory-store.js';

/** Largest record an adapter stores or returns: far above a valid record (4096), a guard against junk. */
export const MAX_STORED_RECORD_BYTES = 64 * 1024;
/** Most records one name may hold before `list` refuses it. */
export const MAX_RECORDS_PER_NAME = 1024;
/** Records on one page of `listPage` when the caller names no limit. */
export const DEFAULT_PAGE_RECORDS = 256;
/** Most records one page of `listPage` may hold (SPEC.md §11.5). */
export const MAX_PAGE_RECORDS = MAX_RECORDS_PER_NAME;
/** Longest cursor a store hands out or accepts, characters. */
const MAX_CURSOR_LENGTH = 256;

export function invalidArgument(name: string, expected: string, got?: string): BlindwireError {
  const suffix = got === undefined ? '' : `, got ${got}`;
  return new BlindwireError(ErrorCode.InvalidArgument, `"${name}" expected ${expected}${suffix}`);
}

/** Runs a client call, turning any failure into ERR_TRANSPORT `<adapter>: <what> failed`. */
export function transportFor(adapter: string) {
  return async function transport<T>(what: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (cause) {
      throw new BlindwireError(ErrorCode.Transport, `${adapter}: ${what} failed`, { cause });
    }
  };
}

export function tooManyRecords(adapter: string): BlindwireError {
  return new BlindwireError(
    ErrorCode.LimitExceeded,
    `${adapter}: more than ${MAX_RECORDS_PER_NAME} records stored for one name`,
  );
}

export function storedRecordTooLarge(adapter: string): BlindwireError {
  return new BlindwireError(
    ErrorCode.LimitExceeded,
    `${adapter}: a stored record exceeds ${MAX_STORED_RECORD_BYTES} bytes`,
  );
}

export function assertName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || name.length === 0) {
    throw invalidArgument(
      'name',
      'a non-empty string',
      typeof name === 'string' ? 'an empty string' : typeof name,
    );
  }
}

export function assertId(id: unknown): asserts id is string {
  if (typeof id !== 'string' || !/^[0-9a-f]{32}$/.test(id)) {
    throw invalidArgument('id', 'a record id (32 lowercase hex characters)');
  }
}

export function assertRecord(record: unknown): asserts record is Uint8Array {
  if (!(record instanceof Uint8Array))
    throw invalidArgument('record', 'a Uint8Array', typeof record);
  if (record.length > MAX_STORED_RECORD_BYTES) {
    throw new BlindwireError(
      ErrorCode.LimitExceeded,
      `"record" expected at most ${MAX_STORED_RECORD_BYTES} bytes, got ${record.length}`,
    );
  }
}

/** `listPage` options, checked: the cursor (if any) and a limit from 1 to MAX_PAGE_RECORDS. */
export function checkPageOptions(options: ListPageOptions | undefined): {
  cursor: string | undefined;
  limit: number;
} {
  if (options !== undefined && (typeof options !== 'object' || options === null))
    throw invalidArgument('options', 'an object', String(options));
  const limit = options?.limit ?? DEFAULT_PAGE_RECORDS;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_PAGE_RECORDS)
    throw invalidArgument(
      'options.limit',
      `a whole number from 1 to ${MAX_PAGE_RECORDS}`,
      String(limit),
    );
  const cursor = options?.cursor;
  if (
    cursor !== undefined &&
    (typeof cursor !== 'string' || cursor.length === 0 || cursor.length > MAX_CURSOR_LENGTH)
  )
    throw invalidArgument('options.cursor', 'a cursor from the previous page');
  return { cursor, limit };
}

/** A cursor of a store that pages in record id order: the last id of the previous page. */
export function assertIdCursor(cursor: string | undefined): void {
  if (cursor !== undefined && !/^[0-9a-f]{32}$/.test(cursor))
    throw invalidArgument('options.cursor', 'a cursor from the previous page');
}

/**
 * One page of `records` (id -> bytes) in record id order after `cursor`
 * (SPEC.md §11.5): the memory and file stores, and the HTTP handler over a
 * store without `listPage`. The cursor is the last id of the page.
 */
export function pageInIdOrder(
  records: ReadonlyMap<string, Uint8Array> | undefined,
  options: ListPageOptions | undefined,
): RecordPage {
  const { cursor, limit } = checkPageOptions(options);
  assertIdCursor(cursor);
  const ids = [...(records?.keys() ?? [])].filter((id) => cursor === undefined || id > cursor);
  ids.sort();
  const page = ids.slice(0, limit);
  const out: RecordPage = { records: page.map((id) => Uint8Array.from(records!.get(id)!)) };
  if (ids.length > limit) out.cursor = page[page.length - 1]!;
  return out;
}
