/**
 * The `@blindwire/directory/http` entry: the directory over HTTP (SPEC.md
 * §11), the handler that serves a store's records and the read-only client
 * store that fetches them, from their own modules.
 */
export * from './http-handler.js';
