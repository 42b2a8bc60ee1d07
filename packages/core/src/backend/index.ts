/**
 * Backend selection. The default comes from the `#default-backend` subpath
 * import (package.json "imports"): the node backend under the `node`
 * condition, the web backend everywhere else, so a browser graph never
 * contains node:crypto. Callers and tests may force one with `useBackend` or a
 * per-call `backend` option; the node backend itself is exported only from
 * the `@blindwire/core/backend/node` subpath.
 */
import { defaultBackend } from '#default-backend';
import { pureBackend } from './pure.js';
import type { CryptoBackend } from './types.js';
import { webBackend } from './web.js';

let current: CryptoBackend = defaultBackend;

/** The backend used when a call does not name one. */
export function getBackend(): CryptoBackend {
  return current;
}

/** Sets the process-wide default backend (for example to force `pure` in tests). */
export function useBackend(backend: CryptoBackend): void {
  current = backend;
}

export { pureBackend, webBackend };
export type { AeadAlgorithm, CryptoBackend, X25519KeyPair } from './types.js';
