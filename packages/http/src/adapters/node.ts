/**
 * node:http: `toNodeListener(handler)` serves a sealed handler as a
 * `(req, res)` listener. The body is passed on unread, as a Web stream, so the
 * handler opens it before any body parser; the response is written with its
 * exact Content-Length. Typed structurally: no import of node:http.
 */
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

/** Runs `handler` on a node request and writes its answer; resolves when the answer is written. */
export async function serveNode(
  handler: SealedHandler,
  req: NodeRequestLike,
  res: NodeResponseLike,
): Promise<void> {
  const response = await handler(toRequest(req));
  await writeResponse(response, res);
}

export function toRequest(req: NodeRequestLike): Request {
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
    init.body = bodyOf(req);
    init.duplex = 'half';
  }
  return new Request(url, init);
}

function bodyOf(req: NodeRequestLike): ReadableStream<Uint8Array> {
  const it = req[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>({
    async pull(c) {
      const r = await it.next();
      if (r.done) c.close();
      else {
        const v = r.value;
        c.enqueue(
          v instanceof Uint8Array
            ? new Uint8Array(v.buffer, v.byteOffset, v.byteLength)
            : new TextEncoder().encode(String(v)),
        );
      }
    },
    cancel() {
      // The handler refused before the end (policy, a failed check): read and
      // drop up to DRAIN_BYTES more so that the client reads the answer rather
      // than a reset connection; past that, close the connection.
      void drain(it, req);
    },
  });
}

/** How much of a refused body is read and dropped before the connection is closed. */
const DRAIN_BYTES = 4 * 1024 * 1024;

async function drain(it: AsyncIterator<unknown>, req: NodeRequestLike): Promise<void> {
  let n = 0;
  try {
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      n += (r.value as { length?: number }).length ?? 0;
      if (n > DRAIN_BYTES) break;
    }
  } catch {
    // the client went away
  }
  req.destroy();
}

export async function writeResponse(response: Response, res: NodeResponseLike): Promise<void> {
  // One object, each name once: merges with headers a framework set before (Express's own).
  const headers: Record<string, string | string[]> = {};
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
