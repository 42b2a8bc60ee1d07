/** The in-memory private key store (SPEC.md §11.4): for tests and single-process deployments. */
import { wipe } from '@blindwire/core/internal';
import {
  assertStoredKey,
  byCreation,
  copyStoredKey,
  type PrivateKeyStore,
  type StoredKey,
} from './key-store.js';

export function createMemoryKeyStore(): PrivateKeyStore {
  const keys = new Map<string, StoredKey>();
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
  };
}
