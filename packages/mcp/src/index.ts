/**
 * @blindwire/mcp: sealed MCP tool calls (SPEC.md §6, §11a, §11b, §11e).
 * Transport decorators for the MCP TypeScript SDK v1 and v2: the agent's
 * client seals `tools/call` arguments and opens the answer; the tool server
 * opens the call before the SDK validates it, gives the tool the verified
 * caller and seals the whole answer with the call's response key.
 */
export { mcpContext, type McpContextOf } from './context.js';
export {
  createSealedClientTransport,
  openAnswerWithState,
  DEFAULT_CALL_TTL,
  DEFAULT_MAX_ARGUMENT_BYTES,
  DEFAULT_MAX_RESPONSE_BYTES,
  type OpenedAnswer,
} from './client.js';
export {
  createSealedServerTransport,
  sealedCaller,
  DEFAULT_MAX_MESSAGE_BYTES,
  DEFAULT_RESPONSE_TTL,
} from './server.js';
export { createSealedMcpHandler, type McpFetch } from './handler.js';
export {
  CALLER_META,
  ENVELOPE_FIELD,
  META_PREFIX,
  RESPONSE_FIELD,
  RESPONSE_URI,
  SEALED_META,
  hasHeaderMark,
  withoutHeaderMarks,
} from './carrier.js';
export { INVALID_PARAMS, INVALID_REQUEST } from './errors.js';
export type * from './types.js';
