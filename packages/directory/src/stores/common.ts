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

/** Runs a client call, turning any failure into ERR_TRANSPORT `<adapter>: <what> failed: <cause>`. */
export function transportFor(adapter: string) {
  return async function transport<T>(what: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (cause) {
      throw transportError(`${adapter}: ${what} failed`, cause);
    }
  };
}

/** ERR_TRANSPORT with `message`, followed by what the client's error says (describeCause). */
export function transportError(message: string, cause: unknown): BlindwireError {
  const said = describeCause(cause);
  return new BlindwireError(ErrorCode.Transport, said ? `${message}: ${said}` : message, {
    cause,
  });
}

/** Longest piece of a client's error message that a store error repeats, characters. */
const MAX_CAUSE_CHARS = 200;

/**
 * What a client's error says, for a store error's own message: its code (an
 * errno such as `ECONNREFUSED`, a PostgreSQL SQLSTATE such as `3D000`, a
 * Redis error prefix) and its message, without secrets. Server messages name
 * objects (a database, a role, a key's type), never a password; what a client
 * might echo of a connection string is removed: URL user information and
 * `password=...`-style pairs become `***`. Control characters become spaces
 * and the text is cut at MAX_CAUSE_CHARS. Empty when there is nothing to say.
 */
export function describeCause(cause: unknown): string {
  let code: unknown;
  let message: unknown;
  try {
    code = (cause as { code?: unknown } | null)?.code;
    message = cause instanceof Error ? cause.message : undefined;
  } catch {
    return ''; // a getter that throws: nothing to say
  }
  const c = typeof code === 'string' && /^[A-Za-z0-9_]{1,32}$/.test(code) ? code : '';
  const m = typeof message === 'string' ? redactSecrets(message) : '';
  const text = c && !m.includes(c) ? `${c} ${m}`.trim() : m || c;
  return text.length > MAX_CAUSE_CHARS ? `${text.slice(0, MAX_CAUSE_CHARS)}...` : text;
}

/** `text` with URL user information and secret-looking `name=value` pairs replaced by `***`. */
export function redactSecrets(text: string): string {
  return (
    text
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ')
      .replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@]*@/gi, '$1***@')
      .replace(
        /\b(password|passwd|pwd|pass|token|secret|apikey|api_key|auth)(\s*[=:]\s*)("[^"]*"|'[^']*'|[^\s&;,]+)/gi,
        '$1$2***',
      )
      .replace(/ {2,}/g, ' ')
      .trim()
  );
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
