/**
 * The real SDK clients and servers (v1 at its lowest supported and latest
 * version, v2) over Streamable HTTP through a Debian nginx that logs full
 * request bodies, with a TCP tap recording what it forwarded each way and a
 * spy transport under each decorator: the tool gets the plaintext and the
 * verified agent; no argument or result plaintext, nor the agent's name,
 * appears in the log, the forwarded bytes or any JSON-RPC message; no
 * `Mcp-Param-*` header is sent for the sealed tool, though its schema
 * declares one.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import * as zv3 from 'zod/v3';
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as ClientHttpV1 } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpServer as ServerV1 } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport as ServerHttpV1 } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { Client as ClientLow } from 'mcp-sdk-1-13/client/index.js';
import { StreamableHTTPClientTransport as ClientHttpLow } from 'mcp-sdk-1-13/client/streamableHttp.js';
import { McpServer as ServerLow } from 'mcp-sdk-1-13/server/mcp.js';
import { StreamableHTTPServerTransport as ServerHttpLow } from 'mcp-sdk-1-13/server/streamableHttp.js';
import {
  Client as ClientV2,
  StreamableHTTPClientTransport as ClientHttpV2,
} from '@modelcontextprotocol/client';
import {
  McpServer as ServerV2,
  WebStandardStreamableHTTPServerTransport,
  createMcpHandler,
} from '@modelcontextprotocol/server';
import { Client as Client20, StreamableHTTPClientTransport as ClientHttp20 } from 'mcp-client-2-0';
import {
  McpServer as Server20,
  WebStandardStreamableHTTPServerTransport as ServerHttp20,
  createMcpHandler as createMcpHandler20,
} from 'mcp-server-2-0';
import { createBlindnessSpy } from '@blindwire/testkit';
import { nginxSkip, startNginx, startTap, type Nginx, type Tap } from '@blindwire/testkit/nginx';
import {
  createSealedClientTransport,
  createSealedMcpHandler,
  createSealedServerTransport,
  sealedCaller,
  type McpTransport,
  type SealedCaller,
} from '../src/index.js';
import {
  AGENT,
  REFUND,
  TOOL,
  cast,
  confirmation,
  spy,
  utf8,
  type Cast,
  type Spy,
} from './helpers.js';
import { listen, type Running } from './web.js';

const skip = nginxSkip();

interface Flavour {
  name: string;
  /** Speaks the 2026-07-28 protocol: Mcp-Method and Mcp-Name headers. */
  modern?: boolean;
  /** Starts the app: a server whose transport is decorated, answering on loopback. */
  app(c: Cast, seen: Seen[], spies: Spy[]): Promise<Running>;
  /** Connects a client through `url`, its transport decorated; returns callTool / listTools / close. */
  client(c: Cast, url: URL, spies: Spy[]): Promise<AnyClient>;
}

interface Seen {
  args: unknown;
  caller: SealedCaller | undefined;
}
interface AnyClient {
  listTools(): Promise<unknown>;
  callTool(p: {
    name: string;
    arguments: Record<string, unknown>;
  }): Promise<{ structuredContent?: unknown }>;
  close(): Promise<void>;
}

const serverOptions = (c: Cast) => ({
  recipient: c.tool.encryption,
  resolveSender: c.resolveSigningKey,
  tools: { refund: { allowedSenders: ['spiffe://acme.example/agents/*'] } },
});
const clientOptions = (c: Cast) => ({
  sender: c.agent,
  to: TOOL,
  resolveRecipient: c.resolveRecipient,
  tools: ['refund'],
});
const answer = (order: string) => ({ status: 'refunded', confirmation: confirmation(order) });

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function register(server: any, zod: any, seen: Seen[], mark = true): void {
  server.registerTool(
    'refund',
    {
      description: 'Refunds an order',
      inputSchema: {
        order: zod === z && mark ? z.string().meta({ 'x-mcp-header': 'Order' }) : zod.string(),
        amount: zod.string(),
        iban: zod.string(),
      },
      outputSchema: { status: zod.string(), confirmation: zod.string() },
    },
    async (args: typeof REFUND, extra: unknown) => {
      seen.push({ args, caller: sealedCaller(extra) });
      const out = answer(args.order);
      return { content: [{ type: 'text', text: JSON.stringify(out) }], structuredContent: out };
    },
  );
}

/** v1 (latest, or 1.13.0): the node Streamable HTTP server transport, one session. */
function v1Flavour(
  name: string,
  S: typeof ServerV1,
  T: typeof ServerHttpV1,
  C: typeof ClientV1,
  CT: typeof ClientHttpV1,
  zod: unknown,
): Flavour {
  return {
    name,
    async app(c, seen, spies) {
      const server = new S({ name: 'payments', version: '1.0.0' });
      register(server, zod, seen);
      const transport = new T({ sessionIdGenerator: () => randomUUID() });
      const s = spy(transport as unknown as McpTransport);
      spies.push(s);
      await server.connect(createSealedServerTransport(s, serverOptions(c)) as never);
      return listen(
        () => undefined,
        (req, res) => void transport.handleRequest(req, res),
      );
    },
    async client(c, url, spies) {
      const s = spy(new CT(url) as unknown as McpTransport);
      spies.push(s);
      const client = new C({ name: 'planner', version: '1.0.0' });
      await client.connect(createSealedClientTransport(s, clientOptions(c)) as never);
      return client as unknown as AnyClient;
    },
  };
}

/** The v2 packages at one version: the latest 2.x, or 2.0.0 (the peer range's lowest). */
interface V2 {
  label: string;
  S: typeof ServerV2;
  T: typeof WebStandardStreamableHTTPServerTransport;
  C: typeof ClientV2;
  CT: typeof ClientHttpV2;
  handler: typeof createMcpHandler;
}
const latest: V2 = {
  label: '2.x',
  S: ServerV2,
  T: WebStandardStreamableHTTPServerTransport,
  C: ClientV2,
  CT: ClientHttpV2,
  handler: createMcpHandler,
};
const lowest: V2 = {
  label: '2.0.0',
  S: Server20 as unknown as typeof ServerV2,
  T: ServerHttp20 as unknown as typeof WebStandardStreamableHTTPServerTransport,
  C: Client20 as unknown as typeof ClientV2,
  CT: ClientHttp20 as unknown as typeof ClientHttpV2,
  handler: createMcpHandler20 as unknown as typeof createMcpHandler,
};

const v2Flavour = ({
  label,
  S: ServerV2,
  T: WebStandardStreamableHTTPServerTransport,
  C: ClientV2,
  CT: ClientHttpV2,
}: V2): Flavour => ({
  name: `v2 (@modelcontextprotocol/client and /server ${label})`,
  async app(c, seen, spies) {
    const server = new ServerV2({ name: 'payments', version: '1.0.0' });
    register(server, z, seen);
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
    });
    const s = spy(transport as unknown as McpTransport);
    spies.push(s);
    await server.connect(createSealedServerTransport(s, serverOptions(c)) as never);
    return listen((req) => transport.handleRequest(req));
  },
  async client(c, url, spies) {
    const s = spy(new ClientHttpV2(url) as unknown as McpTransport);
    spies.push(s);
    const client = new ClientV2({ name: 'planner', version: '1.0.0' });
    await client.connect(createSealedClientTransport(s, clientOptions(c)) as never);
    return client as unknown as AnyClient;
  },
});

/** v2 on the 2026-07-28 protocol: createMcpHandler (a server per request), decorated as a handler. */
const modernFlavour = (
  mark: boolean,
  { label, S: ServerV2, C: ClientV2, CT: ClientHttpV2, handler: createMcpHandler }: V2 = latest,
): Flavour => ({
  name: `v2 ${label} modern (2026-07-28, createMcpHandler${mark ? ', an x-mcp-header mark' : ''})`,
  modern: true,
  async app(c, seen) {
    const handler = createMcpHandler(() => {
      const server = new ServerV2({ name: 'payments', version: '1.0.0' });
      register(server, z, seen, mark);
      return server;
    });
    const sealed = createSealedMcpHandler(handler.fetch, serverOptions(c));
    return listen((req) => sealed(req));
  },
  async client(c, url, spies) {
    const s = spy(new ClientHttpV2(url) as unknown as McpTransport);
    spies.push(s);
    const client = new ClientV2(
      { name: 'planner', version: '1.0.0' },
      { versionNegotiation: { mode: 'auto' } },
    );
    await client.connect(createSealedClientTransport(s, clientOptions(c)) as never);
    return client as unknown as AnyClient;
  },
});

const flavours: Flavour[] = [
  v1Flavour(
    'v1 latest (@modelcontextprotocol/sdk 1.x)',
    ServerV1,
    ServerHttpV1,
    ClientV1,
    ClientHttpV1,
    z,
  ),
  v1Flavour(
    'v1 lowest (@modelcontextprotocol/sdk 1.13.0)',
    ServerLow as unknown as typeof ServerV1,
    ServerHttpLow as unknown as typeof ServerHttpV1,
    ClientLow as unknown as typeof ClientV1,
    ClientHttpLow as unknown as typeof ClientHttpV1,
    zv3,
  ),
  v2Flavour(latest),
  v2Flavour(lowest),
  modernFlavour(false),
  modernFlavour(false, lowest),
];

describe.skipIf(skip).each(flavours)('$name over Streamable HTTP through nginx', (f) => {
  let c: Cast;
  let app: Running;
  let tap: Tap;
  let proxy: Nginx;
  let client: AnyClient;
  const seen: Seen[] = [];
  const spies: Spy[] = [];

  beforeAll(async () => {
    c = await cast();
    app = await f.app(c, seen, spies);
    tap = await startTap(app.port);
    proxy = await startNginx(tap.port);
    client = await f.client(c, new URL(`http://127.0.0.1:${proxy.port}/mcp`), spies);
  });
  afterAll(async () => {
    await client?.close().catch(() => undefined);
    await proxy?.stop();
    await tap?.close();
    await app?.close();
  });

  it('the tool gets the plaintext and the verified agent; the proxy and the transports see neither', async () => {
    await client.listTools();
    const orders = [REFUND.order, 'B-2048-SECRET'];
    for (const order of orders) {
      const res = await client.callTool({ name: 'refund', arguments: { ...REFUND, order } });
      expect(res.structuredContent).toEqual(answer(order));
    }
    expect(seen.map((s) => s.args)).toEqual(orders.map((order) => ({ ...REFUND, order })));
    expect(seen.every((s) => s.caller?.sender === AGENT)).toBe(true);

    const plaintexts = [
      ...orders.map(utf8),
      ...orders.map((o) => utf8(confirmation(o))),
      utf8(REFUND.iban),
    ];
    const s = createBlindnessSpy(plaintexts, [AGENT]);
    const log = proxy.accessLog();
    expect(log.toString()).toContain('POST /mcp status=200');
    s.scan({ where: 'nginx access log', body: log });
    s.scan({ where: 'forwarded to the app', body: Buffer.concat(tap.toApp) });
    s.scan({ where: 'forwarded to the agent', body: Buffer.concat(tap.toProxy) });
    for (const sp of spies)
      for (const m of [...sp.sent, ...sp.received])
        s.scan({ where: 'a JSON-RPC message', body: utf8(m) });
    expect(s.scanned.bytes).toBeGreaterThan(2000);
    expect(s.findings).toEqual([]);
    const control = createBlindnessSpy(plaintexts, [AGENT]);
    control.scan({ where: 'control', body: utf8(`x ${REFUND.iban} ${AGENT}`) });
    expect(control.findings.length).toBeGreaterThan(0);

    const toApp = Buffer.concat(tap.toApp).toString('latin1');
    expect(toApp).toContain('"name":"refund"');
    expect(toApp).toContain('"blindwire/envelope"');
    expect(toApp).not.toMatch(/mcp-param-/i);
    if (f.modern) {
      expect(toApp).toMatch(/mcp-method: tools\/call\r\n/i);
      expect(toApp).toMatch(/mcp-name: refund\r\n/i);
    }
  });
});

describe.skipIf(skip)('v2 modern, a sealed tool whose schema keeps an x-mcp-header mark', () => {
  it('the SDK refuses the opened call (no mirrored header), and the refusal is sealed to the caller', async () => {
    const f = modernFlavour(true);
    const c = await cast();
    const seen: Seen[] = [];
    const spies: Spy[] = [];
    const app = await f.app(c, seen, spies);
    const tap = await startTap(app.port);
    const proxy = await startNginx(tap.port);
    const client = await f.client(c, new URL(`http://127.0.0.1:${proxy.port}/mcp`), spies);
    try {
      await expect(client.callTool({ name: 'refund', arguments: REFUND })).rejects.toThrow(
        /Mcp-Param-Order header is absent/,
      );
      expect(seen).toEqual([]);
      const s = createBlindnessSpy([utf8(REFUND.order), utf8(REFUND.iban)], [AGENT]);
      s.scan({ where: 'nginx access log', body: proxy.accessLog() });
      s.scan({ where: 'forwarded to the app', body: Buffer.concat(tap.toApp) });
      s.scan({ where: 'forwarded to the agent', body: Buffer.concat(tap.toProxy) });
      expect(s.findings).toEqual([]);
      expect(Buffer.concat(tap.toApp).toString('latin1')).not.toMatch(/mcp-param-/i);
    } finally {
      await client.close().catch(() => undefined);
      await proxy.stop();
      await tap.close();
      await app.close();
    }
  });
});
