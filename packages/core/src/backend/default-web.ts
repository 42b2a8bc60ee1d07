/**
 * `#default-backend` everywhere but Node (browsers, Deno, Bun, Workers and any
 * bundler without the `node` condition): the WebCrypto backend.
 */
export { webBackend as defaultBackend } from './web.js';
