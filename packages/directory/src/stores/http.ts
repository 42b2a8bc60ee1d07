/**
 * The `@blindwire/directory/http` entry: the directory over HTTP (SPEC.md
 * §11), the handler that serves a store's records (http-handler.ts) and
 * the read-only client store that fetches them (http-client.ts).
 *
 * @module @blindwire/directory/http
 */
export * from './http-handler.js';
export * from './http-client.js';
