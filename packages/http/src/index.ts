/**
 * @blindwire/http: sealed HTTP calls between agents and tools (SPEC.md §6,
 * §7a, §11a, §11b, §11c). The agent seals with `sealedFetch`; the tool opens
 * with a Web-standard handler mounted on node:http, Express, Fastify or Hono.
 *
 * @module @blindwire/http
 */
export { httpContext, type ContextOf } from './context.js';
export {
  sealedFetch,
  sealedFetchMiddleware,
  openSealedResponse,
  openWithState,
  DEFAULT_MAX_RESPONSE_BYTES,
  DEFAULT_REQUEST_TTL,
} from './client.js';
export {
  createSealedHandler,
  DEFAULT_MAX_MESSAGE_BYTES,
  DEFAULT_RESPONSE_TTL,
  type SealedHandler,
} from './server.js';
export { DEFAULT_MAX_STREAM_BYTES, REQUEST_CLAIM } from './stream-server.js';
export { PROBLEM_MEDIA_TYPE, statusOf } from './problem.js';
export { encodeRecord, decodeRecord, type HttpRecord } from './record.js';
export { toNodeListener, type NodeRequestLike, type NodeResponseLike } from './adapters/node.js';
export type * from './types.js';
export {
  expressHandler,
  fastifySealed,
  honoHandler,
  type FastifyLike,
} from './adapters/frameworks.js';
export type { SealedResponse } from './answer.js';
