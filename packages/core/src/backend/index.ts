/**
 * Backend selection. The default comes from the `#default-backend` subpath
 * import (package.json "imports"): the node backend under the `node`
 * condition, the web backend everywhere else, so a browser graph never
 * contains node:crypto. Callers and tests may replace the process-wide
 * default with `setDefaultBackend`, or pass a per-call `backend` option; the
 * node backend itself is exported only from the `@blindwire/core/backend/node`
 * subpath.
 */
import { defaultBackend } from '#default-backend';
import { pureBackend } from './pure.js';
import type { CryptoBackend } from './types.js';
import { webBackend } from './web.js';

let current: CryptoBackend = defaultBackend;

/**
 * The process-wide default backend: the one every call uses when it gets no
 * `backend` option.
 */
export function getDefaultBackend(): CryptoBackend {
  return current;
}

/**
 * Replaces the default backend **for the whole process**: every later call,
 * in every module and library that shares this copy of `@blindwire/core`,
 * uses it unless it passes its own. To choose a backend for one call, pass
 * the `backend` option that `seal`, `open`, `sealStream`, `openStream`,
 * `sealResponse`, `openResponse`, `createSuite` and the identity functions
 * take instead. Meant for start-up (or tests forcing `pureBackend`).
 */
export function setDefaultBackend(backend: CryptoBackend): void {
  current = backend;
}

export { pureBackend, webBackend };
export type { AeadAlgorithm, CryptoBackend, X25519KeyPair } from './types.js';
