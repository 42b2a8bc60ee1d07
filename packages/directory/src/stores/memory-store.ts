/** The in-memory store (SPEC.md §11.5): for tests, demos and single-process deployments. */
import { recordId } from '../records/record-id.js';
import { pageInIdOrder } from './common.js';
import type { DirectoryStore } from './directory-store.js';

/** A directory store in memory (`createMemoryStore`), for one process and for tests. */
export interface MemoryStore extends DirectoryStore {
  /** Direct access to the stored bytes, for tests that play a malicious directory. */
  readonly raw: Map<string, Map<string, Uint8Array>>;
  listPage: NonNullable<DirectoryStore['listPage']>;
  remove: NonNullable<DirectoryStore['remove']>;
  removeMany: NonNullable<DirectoryStore['removeMany']>;
}

/** A directory store in memory, for one process and for tests. */
export function createMemoryStore(): MemoryStore {
  const raw = new Map<string, Map<string, Uint8Array>>();
  const listeners = new Set<(name: string) => void>();
  return {
    kind: 'memory',
    raw,
    async put(name, record) {
      let m = raw.get(name);
      if (!m) raw.set(name, (m = new Map()));
      m.set(recordId(record), Uint8Array.from(record));
      for (const l of listeners) l(name);
    },
    async list(name) {
      return [...(raw.get(name)?.values() ?? [])].map((r) => Uint8Array.from(r));
    },
    async listPage(name, options) {
      return pageInIdOrder(raw.get(name), options);
    },
    async remove(name, id) {
      raw.get(name)?.delete(id);
      for (const l of listeners) l(name);
    },
    async removeMany(name, ids) {
      const m = raw.get(name);
      for (const id of ids) m?.delete(id);
      for (const l of listeners) l(name);
    },
    watch(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
