/**
 * Reading and removing all of an identity's records, however many, for
 * pruning (SPEC.md §11.5, §11.6): through `listPage` where the store pages,
 * through `list` otherwise; removal in batches through `removeMany` where the
 * store has it. Resolution never reads this way: it reads one bounded `list`.
 */
import { BlindwireError, ErrorCode } from '@blindwire/core';
import { show } from '../checks.js';
import { DEFAULT_PAGE_RECORDS } from './common.js';
import type { DirectoryStore } from './directory-store.js';

/** Record ids per `removeMany` call. */
const REMOVE_BATCH = 256;

/** Whether `store` can remove records: it has `remove` and is not read-only. */
export function canRemove(store: DirectoryStore): boolean {
  return typeof store?.remove === 'function' && store.readOnly !== true;
}

/** ERR_INVALID_ARGUMENT naming `what` when `store` cannot remove records. */
export function assertRemovable(store: DirectoryStore, what: string): void {
  if (canRemove(store)) return;
  const why =
    store?.readOnly === true
      ? `the ${store.kind} store is read-only`
      : `the ${store?.kind ?? 'given'} store has no remove()`;
  throw new BlindwireError(
    ErrorCode.InvalidArgument,
    `"${what}" expected a DirectoryStore that can remove records: ${why}; prune the store it reads from`,
  );
}

/** SPEC.md §11.6: records one walk reads at most unless told otherwise (`maxRecordsRead`). */
export const DEFAULT_MAX_RECORDS_READ = 100_000;

/** SPEC.md §11.5: empty pages in a row (each with a cursor) after which a walk stops. */
export const MAX_EMPTY_PAGES = 64;

export interface WalkOptions {
  /** Records per `listPage` call. Default 256. */
  pageLimit?: number;
  /** Records read at most, duplicates included; more is ERR_LIMIT_EXCEEDED. Default 100 000. */
  maxRecordsRead?: number;
}

/** `maxRecordsRead`, checked: a positive safe integer (ERR_INVALID_ARGUMENT names it). */
export function checkMaxRecordsRead(v: unknown): number {
  if (v === undefined) return DEFAULT_MAX_RECORDS_READ;
  if (!Number.isSafeInteger(v) || (v as number) < 1) {
    throw new BlindwireError(
      ErrorCode.InvalidArgument,
      `"maxRecordsRead" expected a positive integer, got ${show(v)}`,
    );
  }
  return v as number;
}

/**
 * Every record stored for `name`: page after page until a page has no
 * cursor (SPEC.md §11.5). The walk is bounded whatever an untrusted store
 * answers: more than `maxRecordsRead` records, or more pages than that plus
 * MAX_EMPTY_PAGES, is ERR_LIMIT_EXCEEDED; a cursor the store already
 * returned in this walk, or MAX_EMPTY_PAGES empty pages in a row, is
 * ERR_TRANSPORT (a store that would go on forever). Either way the caller
 * gets no partial list. Duplicates are the caller's to drop.
 */
export async function listAllRecords(
  store: DirectoryStore,
  name: string,
  options: WalkOptions = {},
): Promise<Uint8Array[]> {
  const max = checkMaxRecordsRead(options.maxRecordsRead);
  const tooMany = (what: string) =>
    new BlindwireError(
      ErrorCode.LimitExceeded,
      `directory ${store.kind}: more than ${what} for ${JSON.stringify(name)} (maxRecordsRead ${max})`,
    );
  if (typeof store.listPage !== 'function') {
    const all = await store.list(name);
    if (all.length > max) throw tooMany(`${max} records`);
    return all;
  }
  const out: Uint8Array[] = [];
  const seen = new Set<string>();
  let cursor: string | undefined;
  let pages = 0;
  let empty = 0;
  for (;;) {
    if (++pages > max + MAX_EMPTY_PAGES) throw tooMany(`${max + MAX_EMPTY_PAGES} pages`);
    const page = await store.listPage(name, {
      limit: options.pageLimit ?? DEFAULT_PAGE_RECORDS,
      ...(cursor === undefined ? {} : { cursor }),
    });
    if (out.length + page.records.length > max) throw tooMany(`${max} records`);
    out.push(...page.records);
    cursor = page.cursor;
    empty = page.records.length === 0 ? empty + 1 : 0;
    if (cursor === undefined) return out;
    if (seen.has(cursor) || empty >= MAX_EMPTY_PAGES) {
      throw new BlindwireError(
        ErrorCode.Transport,
        `directory ${store.kind}: listPage ` +
          (seen.has(cursor)
            ? 'returned a cursor it had already returned'
            : `returned ${MAX_EMPTY_PAGES} empty pages in a row`),
      );
    }
    seen.add(cursor);
  }
}

/** Removes `ids` of `name` in their order: in batches with `removeMany`, else one by one. */
export async function removeRecords(
  store: DirectoryStore,
  name: string,
  ids: readonly string[],
): Promise<void> {
  if (typeof store.removeMany === 'function') {
    for (let i = 0; i < ids.length; i += REMOVE_BATCH)
      await store.removeMany(name, ids.slice(i, i + REMOVE_BATCH));
    return;
  }
  for (const id of ids) await store.remove!(name, id);
}
