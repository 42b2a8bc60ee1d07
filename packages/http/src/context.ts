/**
 * The bound context of an HTTP call (SPEC.md §11b): `blindwire/http/v1
 * METHOD SP path`, the path as the client sent it, without query or fragment.
 * Both ends derive it; it is never transmitted. The tool's identity is bound
 * by the recipient key the body is sealed to.
 */
import { bindingContext, httpDestination } from '@blindwire/core';

/** How a caller overrides the context: a function of the method and path (a proxy that rewrites paths). */
export type ContextOf = (method: string, path: string) => string | Uint8Array;

/** SPEC.md §11b: the canonical context of `method` on the request target `target` (origin form). */
export function httpContext(method: string, target: string): string {
  return bindingContext('http', httpDestination(method, target));
}

/** The context of a call: the caller's override, else the canonical one. */
export function contextOf(
  override: ContextOf | undefined,
  method: string,
  path: string,
): string | Uint8Array {
  return override ? override(method, path) : httpContext(method, path);
}
