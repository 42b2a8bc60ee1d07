/**
 * An in-process logging reverse proxy on node:http: it forwards every request
 * to the upstream unchanged and records everything it carried each way (the
 * request line, headers and full bodies), the way a gateway, a load balancer
 * or its access log could. It is the untrusted middle of the demo.
 */
import { createServer, request as forward } from 'node:http';

/** Starts the proxy on 127.0.0.1 in front of `upstream` (`{ host, port }`). */
export async function startLoggingProxy(upstream) {
  const log = [];
  const server = createServer(async (req, res) => {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const body = Buffer.concat(chunks);
    const entry = {
      method: req.method,
      url: req.url,
      requestHeaders: { ...req.headers },
      requestBody: body,
    };
    log.push(entry);
    const out = forward(
      {
        host: upstream.host,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      async (up) => {
        const back = [];
        for await (const c of up) back.push(c);
        entry.status = up.statusCode;
        entry.responseHeaders = { ...up.headers };
        entry.responseBody = Buffer.concat(back);
        res.writeHead(up.statusCode ?? 502, up.headers);
        res.end(entry.responseBody);
      },
    );
    out.on('error', () => {
      entry.status = 502;
      res.writeHead(502, { 'content-length': '0' });
      res.end();
    });
    out.end(body);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    log,
    url: `http://127.0.0.1:${server.address().port}`,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
