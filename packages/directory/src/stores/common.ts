/**
 * What every storage adapter shares (SPEC.md §11.5): the storage limits, argument checks and
 * the wrapping of client errors into ERR_TRANSPORT (with the client's error
 * as `cause`). Adapters never swallow an error and never define their own.
 */
import { BlindwireError, ErrorCode } from '@blindwire/core';

/** Largest record an adapter stores or returns: far above a valid record (4096), a guard against junk. */
export const MAX_STORED_RECORD_BYTES = 64 * 1024;
/** Most records one name may hold before `list` refuses it. */
export const MAX_RECORDS_PER_NAME = 1024;

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
