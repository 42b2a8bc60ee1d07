/**
 * Express 5, Fastify 5 and Hono 4, typed structurally (no import of the
 * frameworks): each hands the unread request to the sealed handler, so the
 * body is opened before any body parser, and writes the sealed answer.
 *
 * - Express: mount `expressHandler(h)` before `express.json()` and friends;
 *   a body a parser already consumed is refused (500 `ERR_INVALID_ARGUMENT`).
 * - Fastify: `app.register(fastifySealed(h), { prefix })` adds content-type
 *   parsers for our media types that leave the body unread, and one route.
 * - Hono: `app.all(path, honoHandler(h))`; Hono is Web-standard already.
 */
import { ErrorCode } from '@blindwire/core';
import { problem } from '../problem.js';
import type { SealedHandler } from '../server.js';
import { serveNode, writeResponse, type NodeRequestLike, type NodeResponseLike } from './node.js';

/** `(req, res, next)`: an Express 5 middleware. */
export function expressHandler(
  handler: SealedHandler,
): (
  req: NodeRequestLike & { body?: unknown; readableEnded?: boolean; originalUrl?: string },
  res: NodeResponseLike,
  next: (e?: unknown) => void,
) => void {
  return (req, res, next) => {
    if (req.body !== undefined || req.readableEnded === true) {
      writeResponse(problem(ErrorCode.InvalidArgument, 500), res).catch(next);
      return;
    }
    // Express strips the mount path from req.url: the context binds the path the client sent.
    if (typeof req.originalUrl === 'string') req.url = req.originalUrl;
    serveNode(handler, req, res).catch(next);
  };
}

/** The parts of a Fastify instance used. */
export interface FastifyLike {
  addContentTypeParser(
    types: string[],
    parser: (
      req: unknown,
      payload: unknown,
      done: (err: Error | null, body?: unknown) => void,
    ) => void,
  ): unknown;
  all(
    path: string,
    handler: (
      req: { raw: NodeRequestLike },
      reply: { raw: NodeResponseLike; hijack(): void },
    ) => Promise<void>,
  ): unknown;
}

/** A Fastify plugin: register it with the prefix the sealed routes live under. */
export function fastifySealed(
  handler: SealedHandler,
): (app: FastifyLike, opts: unknown, done: (err?: Error) => void) => void {
  return (app, _opts, done) => {
    app.addContentTypeParser(
      ['application/vnd.blindwire.envelope', 'application/vnd.blindwire.stream'],
      (_req, _payload, next) => next(null),
    );
    app.all('/*', async (req, reply) => {
      reply.hijack();
      await serveNode(handler, req.raw, reply.raw);
    });
    done();
  };
}

/** A Hono 4 handler: `(c) => Response` on the raw Web request. */
export function honoHandler(
  handler: SealedHandler,
): (c: { req: { raw: Request } }) => Promise<Response> {
  return (c) => handler(c.req.raw);
}
