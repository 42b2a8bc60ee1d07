/**
 * Reading and removing all of an identity's records, however many, for
 * pruning (SPEC.md §11.5, §11.6): through `listPage` where the store pages,
 * through `list` otherwise; removal in batches through `removeMany` where the
 * store has it. Resolution never reads this way: it reads one bounded `list`.
 */
import { BlindwireError, ErrorCode } from '@blindwire/core';
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

/**
 * Every record stored for `name`: page after page until a page has no
 * cursor. A cursor the store already returned in this walk is ERR_TRANSPORT
 * (a store that would loop forever); duplicates are the caller's to drop.
 */
export async function listAllRecords(
  store: DirectoryStore,
  name: string,
  pageLimit = DEFAULT_PAGE_RECORDS,
): Promise<Uint8Array[]> {
  if (typeof store.listPage !== 'function') return store.list(name);
  const out: Uint8Array[] = [];
  const seen = new Set<string>();
  let cursor: string | undefined;
  do {
    const page = await store.listPage(name, {
      limit: pageLimit,
      ...(cursor === undefined ? {} : { cursor }),
    });
    out.push(...page.records);
    cursor = page.cursor;
    if (cursor !== undefined) {
      if (seen.has(cursor)) {
        throw new BlindwireError(
          ErrorCode.Transport,
          `directory ${store.kind}: listPage returned a cursor it had already returned`,
        );
      }
      seen.add(cursor);
    }
  } while (cursor !== undefined);
  return out;
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
