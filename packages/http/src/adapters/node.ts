/**
 * node:http: `toNodeListener(handler)` serves a sealed handler as a
 * `(req, res)` listener. The body is passed on unread, as a Web stream, so the
 * handler opens it before any body parser; the response is written with its
 * exact Content-Length. Typed structurally: no import of node:http.
 */
import { ErrorCode } from '@blindwire/core';
import { problem } from '../problem.js';
import type { SealedHandler } from '../server.js';

/** The parts of an `IncomingMessage` used. */
export interface NodeRequestLike extends AsyncIterable<unknown> {
  method?: string | undefined;
  url?: string | undefined;
  rawHeaders: string[];
  headers: Record<string, string | string[] | undefined>;
  destroy(error?: Error): unknown;
}

/** The parts of a `ServerResponse` used. */
export interface NodeResponseLike {
  writeHead(
    status: number,
    headers: [string, string][] | Record<string, string | string[]>,
  ): unknown;
  write(chunk: Uint8Array, cb?: (error?: Error | null) => void): boolean;
  end(cb?: () => void): unknown;
  once(event: 'drain', listener: () => void): unknown;
  readonly headersSent: boolean;
  destroy(error?: Error): unknown;
}

/** Mounts a Web-standard handler on node:http: `http.createServer(toNodeListener(handler))`. */
export function toNodeListener(
  handler: SealedHandler,
): (req: NodeRequestLike, res: NodeResponseLike) => void {
  return (req, res) => {
    serveNode(handler, req, res).catch(() => {
      if (!res.headersSent) {
        res.writeHead(500, { 'content-length': '0' });
        res.end();
      } else res.destroy();
    });
  };
}

/**
 * Runs `handler` on a node request and writes its answer; resolves when the
 * answer is written. A request body the handler left unread (a refusal
 * before or in the middle of it) is read and dropped up to DRAIN_BYTES so
 * that the client reads the answer rather than a reset; the answer says
 * `Connection: close`, and past that bound the connection is closed once the
 * answer is written.
 */
export async function serveNode(
  handler: SealedHandler,
  req: NodeRequestLike,
  res: NodeResponseLike,
): Promise<void> {
  const body = new BodyState(req);
  const request = toRequest(req, body);
  const response = canonicalTarget(req.url ?? '/', request.url)
    ? await handler(request)
    : problem(ErrorCode.ContextMismatch);
  const unread = body.abandon();
  // An unread rest that the bounded drop may not reach the end of: not reusable.
  const close = unread && !declaredWithin(req.headers['content-length'], DRAIN_BYTES);
  await writeResponse(response, res, close ? { connection: 'close' } : undefined);
  // Not awaited: a client that stalls its upload holds no caller of serveNode.
  void body.drained?.then((r) => r === 'cut' && req.destroy());
}

/**
 * Whether the raw target's path is already the one the WHATWG URL parser
 * gives (SPEC.md §11b): no dot segment (plain or percent-encoded), no `\`,
 * nothing the parser would encode. Another form would bind, and match routes
 * on, a path other than the one the target names (SPEC.md §11d.2 step 2).
 */
export function canonicalTarget(target: string, parsed: string): boolean {
  let path = target;
  const absolute = /^https?:\/\/[^/?#]*/i.exec(path);
  if (absolute) path = path.slice(absolute[0].length) || '/';
  path = path.split(/[?#]/, 1)[0]!;
  return path === new URL(parsed).pathname;
}

function toRequest(req: NodeRequestLike, body: BodyState): Request {
  const method = (req.method ?? 'GET').toUpperCase();
  const target = req.url ?? '/';
  const host =
    typeof req.headers.host === 'string' && /^[A-Za-z0-9.:[\]-]+$/.test(req.headers.host)
      ? req.headers.host
      : 'localhost';
  const url = /^https?:\/\//i.test(target)
    ? target
    : `http://${host}${target.startsWith('/') ? target : `/${target}`}`;
  const headers = new Headers();
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    try {
      headers.append(req.rawHeaders[i]!, req.rawHeaders[i + 1]!);
    } catch {
      // a header the Fetch API refuses is not passed on
    }
  }
  const hasBody = method !== 'GET' && method !== 'HEAD';
  const init: RequestInit & { duplex?: 'half' } = { method, headers };
  if (hasBody) {
    init.body = body.stream();
    init.duplex = 'half';
  } else body.ended = true;
  return new Request(url, init);
}

/** How much of a refused body is read and dropped before the connection is closed. */
const DRAIN_BYTES = 64 * 1024;

function declaredWithin(value: string | string[] | undefined, limit: number): boolean {
  return typeof value === 'string' && /^\d+$/.test(value) && Number(value) <= limit;
}

/** The request body as a Web stream, and whether the handler read it to its end. */
class BodyState {
  ended = false;
  /** Set once the rest is being dropped: 'done' at the body's end, 'cut' past DRAIN_BYTES. */
  drained: Promise<'done' | 'cut'> | undefined;
  private readonly it: AsyncIterator<unknown>;

  constructor(private readonly req: NodeRequestLike) {
    this.it = req[Symbol.asyncIterator]();
  }

  stream(): ReadableStream<Uint8Array> {
    return new ReadableStream<Uint8Array>({
      pull: async (c) => {
        const r = await this.it.next();
        if (r.done) {
          this.ended = true;
          c.close();
        } else {
          const v = r.value;
          c.enqueue(
            v instanceof Uint8Array
              ? new Uint8Array(v.buffer, v.byteOffset, v.byteLength)
              : new TextEncoder().encode(String(v)),
          );
        }
      },
      // The handler refused in the middle of the body: drop the rest, bounded.
      cancel: () => void this.abandon(),
    });
  }

  /** Starts dropping what the handler left unread; whether any was. */
  abandon(): boolean {
    if (this.ended) return false;
    this.drained ??= this.drain();
    return true;
  }

  private async drain(): Promise<'done' | 'cut'> {
    let n = 0;
    try {
      for (;;) {
        const r = await this.it.next();
        if (r.done) return 'done';
        n += (r.value as { length?: number }).length ?? 0;
        if (n > DRAIN_BYTES) return 'cut';
      }
    } catch {
      return 'cut'; // the client went away
    }
  }
}

export async function writeResponse(
  response: Response,
  res: NodeResponseLike,
  extra?: Record<string, string>,
): Promise<void> {
  // One object, each name once: merges with headers a framework set before (Express's own).
  const headers: Record<string, string | string[]> = { ...extra };
  response.headers.forEach((v, k) => {
    if (k !== 'set-cookie') headers[k] = v;
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) headers['set-cookie'] = cookies;
  res.writeHead(response.status, headers);
  if (response.body) {
    const reader = response.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (!res.write(value)) await new Promise<void>((r) => res.once('drain', r));
    }
  }
  await new Promise<void>((r) => res.end(r));
}
