/**
 * A node:http server around a Web-standard `(Request) => Promise<Response>`
 * handler (the v2 SDK's Streamable HTTP transport), streaming the response
 * body so that SSE answers flow as they are written.
 */
import { createServer, type IncomingMessage, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';

export interface Running {
  port: number;
  close(): Promise<void>;
}

export async function listen(
  handler: (req: Request, node: IncomingMessage) => Promise<Response> | void,
  nodeHandler?: RequestListener,
): Promise<Running> {
  const server: Server = createServer(
    nodeHandler ??
      ((req, res) => {
        void (async () => {
          const chunks: Buffer[] = [];
          for await (const c of req) chunks.push(c as Buffer);
          const headers = new Headers();
          for (const [k, v] of Object.entries(req.headers))
            if (typeof v === 'string') headers.set(k, v);
          const body = chunks.length > 0 ? Buffer.concat(chunks) : undefined;
          const request = new Request(`http://127.0.0.1${req.url}`, {
            method: req.method!,
            headers,
            ...(body !== undefined && req.method !== 'GET' && { body }),
          });
          const response = (await handler(request, req))!;
          const out: Record<string, string> = {};
          response.headers.forEach((v, k) => (out[k] = v));
          res.writeHead(response.status, out);
          if (response.body === null) res.end();
          else Readable.fromWeb(response.body as never).pipe(res);
        })().catch(() => {
          res.statusCode = 500;
          res.end();
        });
      }),
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
