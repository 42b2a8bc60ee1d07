/**
 * `#default-backend` under the `node` condition (package.json "imports"):
 * the node:crypto backend. Never reached from a browser graph.
 */
export { nodeBackend as defaultBackend } from './node.js';
