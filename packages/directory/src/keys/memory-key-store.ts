/** The in-memory private key store, with tombstones (SPEC.md §11.4): for tests and single-process deployments. */
import { wipe } from '@blindwire/core/internal';
import {
  assertStoredKey,
  assertTombstone,
  byCreation,
  copyStoredKey,
  laterOf,
  type PrivateKeyStore,
  type StoredKey,
  type Tombstone,
} from './key-store.js';

/** A key store that always keeps tombstones. */
export type MemoryKeyStore = PrivateKeyStore &
  Required<
    Pick<PrivateKeyStore, 'addTombstone' | 'tombstones' | 'removeTombstone' | 'deleteWithTombstone'>
  >;

/**
 * A private key store in memory, with compromise tombstones: for tests and for keys that need not
 * survive a restart.
 */
export function createMemoryKeyStore(): MemoryKeyStore {
  const keys = new Map<string, StoredKey>();
  const tombstones = new Map<string, Tombstone>();
  return {
    async put(key) {
      assertStoredKey(key);
      const old = keys.get(key.kid);
      keys.set(key.kid, copyStoredKey(key));
      if (old) wipe(old.privateKey);
    },
    async list() {
      return [...keys.values()].sort(byCreation).map(copyStoredKey);
    },
    async delete(kid) {
      const old = keys.get(kid);
      keys.delete(kid);
      if (old) wipe(old.privateKey);
    },
    async addTombstone(t) {
      assertTombstone(t);
      tombstones.set(t.kid, laterOf(tombstones.get(t.kid), t));
    },
    async tombstones() {
      return [...tombstones.values()].map((t) => ({ ...t }));
    },
    async removeTombstone(kid) {
      tombstones.delete(kid);
    },
    async deleteWithTombstone(t) {
      assertTombstone(t);
      // No await between the two: no other call sees one without the other.
      tombstones.set(t.kid, laterOf(tombstones.get(t.kid), t));
      const old = keys.get(t.kid);
      keys.delete(t.kid);
      if (old) wipe(old.privateKey);
    },
  };
}
