/**
 * @blindwire/node: what runs on Node only, on top of the runtime-neutral
 * `@blindwire/core`: Node stream adapters for the streaming mode (SPEC.md
 * §7a, stream.ts) and the open pool, core `open` (SPEC.md §7) in worker
 * threads for `createConsumer({ opener })` (SPEC.md §7b, open-pool.ts).
 *
 * @module @blindwire/node
 */
export {
  openStreamNode,
  sealStreamNode,
  type AdapterOptions,
  type NodeOpenStream,
  type NodeSealStream,
} from './stream.js';
export { createOpenPool, type OpenPool, type OpenPoolOptions } from './open-pool.js';
export type { PoolBackendName } from './pool-wire.js';
