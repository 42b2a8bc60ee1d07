/**
 * Which agents may call which routes: the first route whose method and path
 * pattern (SPEC.md §7.1) match the call decides; none is `ERR_NO_POLICY`,
 * answered before the body is read.
 */
import { BlindwireError, ErrorCode } from '@blindwire/core';
import { compileNamePattern } from '@blindwire/core/internal';
import type { RoutePolicy } from './types.js';

const allowing = new WeakMap<RoutePolicy, (name: string) => boolean>();

/**
 * Whether the route's `allowedSenders` admit the verified `sender`. The
 * binding checks it after the open, which checked the context: a copy sent to
 * another route is ERR_CONTEXT_MISMATCH whoever sealed it, so a proxy cannot
 * sort captured envelopes by what their senders may call (SPEC.md §11d.2).
 */
export function senderAllowed(route: RoutePolicy, sender: string): boolean {
  return allowing.get(route)?.(sender) === true;
}

export interface CompiledRoute {
  route: RoutePolicy;
  matches(method: string, path: string): boolean;
}

export function compileRoutes(routes: RoutePolicy[]): CompiledRoute[] {
  if (!Array.isArray(routes) || routes.length === 0)
    throw new BlindwireError(ErrorCode.InvalidArgument, '"routes" expected a non-empty array');
  return routes.map((route, i) => {
    if (typeof route?.path !== 'string' || !route.path.startsWith('/'))
      throw new BlindwireError(
        ErrorCode.InvalidArgument,
        `"routes[${i}].path" expected a path from /`,
      );
    if (!Array.isArray(route.allowedSenders) || route.allowedSenders.length === 0)
      throw new BlindwireError(
        ErrorCode.InvalidArgument,
        `"routes[${i}].allowedSenders" expected a non-empty array of patterns`,
      );
    const senders = route.allowedSenders.map((p) =>
      compileNamePattern(p, `routes[${i}].allowedSenders`),
    );
    allowing.set(route, (name) => senders.some((m) => m(name)));
    const method = (route.method ?? '*').toUpperCase();
    const path = compileNamePattern(route.path, `routes[${i}].path`);
    return {
      route,
      matches: (m: string, p: string) => (method === '*' || method === m) && path(p),
    };
  });
}

export function routeFor(
  routes: CompiledRoute[],
  method: string,
  path: string,
): RoutePolicy | undefined {
  return routes.find((r) => r.matches(method, path))?.route;
}
