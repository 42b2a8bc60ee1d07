/**
 * The bound context of an MCP call (SPEC.md §11b): `blindwire/mcp/v1
 * tools/call <tool name>`. Both ends derive it from the JSON-RPC method and
 * the tool name, which travel in the clear; it is never transmitted, so a
 * sealed call replayed to another tool fails with ERR_CONTEXT_MISMATCH.
 */
import { bindingContext, mcpDestination } from '@blindwire/core';

/** How a caller overrides the context: a function of the method and the tool name. */
export type McpContextOf = (method: string, name: string) => string | Uint8Array;

/** SPEC.md §11b: the canonical context of `method` acting on `name` (or on nothing). */
export function mcpContext(method: string, name?: string): string {
  return bindingContext('mcp', mcpDestination(method, name));
}

/** The context of a call: the caller's override, else the canonical one. */
export function contextOf(
  override: McpContextOf | undefined,
  method: string,
  name: string,
): string | Uint8Array {
  return override ? override(method, name) : mcpContext(method, name);
}
