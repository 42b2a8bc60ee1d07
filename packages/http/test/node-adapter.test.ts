/**
 * The node:http adapter with a body it refuses: a refusal before the body is
 * read, or in the middle of it, answers with `Connection: close`, reads at
 * most a small bounded amount more of the refused body (so that the client
 * reads the answer rather than a reset) and then lets the connection go; a
 * body the handler read whole keeps the connection alive.
 */
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateIdentity } from '@blindwire/core';
import { createSealedHandler, toNodeListener } from '../src/index.js';

let server: Server;
let port: number;
/** bytesRead of each server-side socket, once it closed. */
const closedSockets: number[] = [];

beforeAll(async () => {
  const tool = await generateIdentity('spiffe://acme.example/tools/payments');
  const handler = createSealedHandler({
    recipient: tool.encryption,
    trustedSenders: [],
    routes: [{ path: '/tools/*', allowedSenders: ['spiffe://acme.example/agents/*'] }],
    maxMessageBytes: 1024,
    handler: () => new Response('never'),
  });
  const listener = toNodeListener(handler);
  server = createServer((req, res) => {
    req.socket.once('close', () => closedSockets.push(req.socket.bytesRead));
    listener(req, res);
  });
  server.keepAliveTimeout = 120_000; // a connection that stays open is the adapter's doing
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(
  () =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
);

const MiB = 1024 * 1024;

/**
 * Sends `head` and then up to `total` bytes of body as fast as the server
 * takes them; resolves with the response head and the bytes sent once the
 * server closed the connection.
 */
async function send(
  head: string,
  total: number,
  frame: (b: Buffer) => Buffer = (b) => b,
): Promise<{ response: string; sent: number }> {
  const s: Socket = connect(port, '127.0.0.1');
  await new Promise<void>((r) => s.once('connect', () => r()));
  let response = '';
  s.on('data', (d: Buffer) => (response += d.toString('latin1')));
  s.on('error', () => undefined);
  const closed = new Promise<void>((r) => s.once('close', () => r()));
  s.write(head);
  const chunk = Buffer.alloc(64 * 1024, 0x41);
  let sent = 0;
  while (sent < total && !s.destroyed && !s.writableEnded) {
    const more = s.write(frame(chunk));
    sent += chunk.length;
    if (!more) await Promise.race([new Promise((r) => s.once('drain', r)), closed]);
  }
  await closed;
  return { response: response.split('\r\n\r\n', 1)[0]!, sent };
}

const envelopeHead = (path: string, length: string) =>
  `POST ${path} HTTP/1.1\r\nhost: tool\r\ncontent-type: application/vnd.blindwire.envelope\r\n${length}\r\n\r\n`;

describe('node adapter: refused bodies', () => {
  it('a streamed body refused in the middle: 413 with Connection: close, at most a bounded read more', async () => {
    const before = closedSockets.length;
    const { response, sent } = await send(
      envelopeHead('/tools/refund', 'transfer-encoding: chunked'),
      64 * MiB,
      (b) => Buffer.concat([Buffer.from(`${b.length.toString(16)}\r\n`), b, Buffer.from('\r\n')]),
    );
    expect(response).toMatch(/^HTTP\/1\.1 413 /);
    expect(response).toMatch(/\r\nconnection: close/i);
    expect(sent).toBeLessThan(64 * MiB);
    await expect.poll(() => closedSockets.length).toBe(before + 1);
    expect(closedSockets.at(-1)!).toBeLessThan(MiB);
  });

  it('a body refused before it is read (no route, declared too long): Connection: close, a bounded read', async () => {
    for (const [path, length] of [
      ['/elsewhere', `content-length: ${64 * MiB}`],
      ['/tools/refund', `content-length: ${64 * MiB}`],
    ] as const) {
      const before = closedSockets.length;
      const { response, sent } = await send(envelopeHead(path, length), 64 * MiB);
      expect(response).toMatch(/^HTTP\/1\.1 (403|413) /);
      expect(response).toMatch(/\r\nconnection: close/i);
      expect(sent).toBeLessThan(64 * MiB);
      await expect.poll(() => closedSockets.length).toBe(before + 1);
      expect(closedSockets.at(-1)!).toBeLessThan(MiB);
    }
  });

  it('a small refused body is read to its end and the connection kept alive', async () => {
    const s = connect(port, '127.0.0.1');
    await new Promise<void>((r) => s.once('connect', () => r()));
    let got = '';
    s.on('data', (d: Buffer) => (got += d.toString('latin1')));
    const body = 'x'.repeat(2000);
    const one = envelopeHead('/elsewhere', `content-length: ${body.length}`) + body;
    s.write(one + one);
    await expect.poll(() => got.match(/HTTP\/1\.1 403 /g)?.length ?? 0).toBe(2);
    expect(got).not.toMatch(/connection: close/i);
    s.destroy();
  });
});
