/**
 * An agent calls a payments tool over MCP Streamable HTTP (SPEC.md §11e)
 * through a proxy that logs every request and response body in full, as a
 * gateway or an observability sidecar would. The tool's McpServer and the
 * agent's Client are the real v1 SDK; each transport is decorated by
 * @blindwire/mcp. The tool sees the refund and the verified agent; the
 * proxy's log shows the JSON-RPC method, the tool name and ciphertext. An
 * intruder's call is refused, and so is a replay of the agent's call
 * captured from the log. No broker, no nginx: everything runs in-process on
 * loopback. Prints one line per step.
 */
import { createServer, request as httpRequest } from 'node:http';
import { createMemoryReplayStore, generateIdentity, publicIdentity } from '@blindwire/core';
import {
  createSealedClientTransport,
  createSealedServerTransport,
  sealedCaller,
} from '@blindwire/mcp';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';

const agent = await generateIdentity('spiffe://example.org/agents/planner');
const intruder = await generateIdentity('spiffe://example.org/agents/intruder');
const payments = await generateIdentity('spiffe://example.org/tools/payments');
// Stands in for a directory (@blindwire/directory) that both ends trust.
const everyone = [agent, intruder, payments];
const resolveRecipient = (name) => publicIdentity(everyone.find((i) => i.name === name));
const resolveSigningKey = (name, kid) =>
  everyone.find((i) => i.name === name && i.signing.kid === kid)?.signing.publicKey ?? null;

// The tool: a refund that only the planner may ask for. Stateless Streamable
// HTTP: one server and transport per request, one replay store for all.
const replay = createMemoryReplayStore({ perSender: true });
function paymentsServer() {
  const server = new McpServer({ name: 'payments', version: '1.0.0' });
  server.registerTool(
    'refund',
    {
      description: 'Refunds an order to an IBAN',
      inputSchema: { order: z.string(), amount: z.string(), iban: z.string() },
      outputSchema: { status: z.string(), reference: z.string() },
    },
    async ({ order, amount, iban }, extra) => {
      const caller = sealedCaller(extra);
      console.log(`tool: refund ${amount} EUR for ${order} to ${iban}, asked by ${caller.sender}`);
      const out = { status: 'refunded', reference: `RF-${order}-7731` };
      return { content: [{ type: 'text', text: JSON.stringify(out) }], structuredContent: out };
    },
  );
  return server;
}
const tool = createServer(async (req, res) => {
  const server = paymentsServer();
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
  res.on('close', () => void server.close());
  await server.connect(
    createSealedServerTransport(transport, {
      recipient: payments.encryption,
      resolveSender: resolveSigningKey,
      tools: { refund: { allowedSenders: ['spiffe://example.org/agents/planner'] } },
      replay,
    }),
  );
  await transport.handleRequest(req, res);
});
await new Promise((r) => tool.listen(0, '127.0.0.1', r));

// The logging proxy: forwards to the tool and logs both bodies whole.
const log = [];
const proxy = createServer((req, res) => {
  const body = [];
  req.on('data', (c) => body.push(c));
  req.on('end', () => {
    log.push(`> ${req.method} ${req.url} ${Buffer.concat(body)}`);
    const up = httpRequest(
      {
        host: '127.0.0.1',
        port: tool.address().port,
        path: req.url,
        method: req.method,
        headers: req.headers,
      },
      (upRes) => {
        const answer = [];
        res.writeHead(upRes.statusCode, upRes.headers);
        upRes.on('data', (c) => {
          answer.push(c);
          res.write(c);
        });
        upRes.on('end', () => {
          log.push(`< ${upRes.statusCode} ${Buffer.concat(answer)}`);
          res.end();
        });
      },
    );
    up.end(Buffer.concat(body));
  });
});
await new Promise((r) => proxy.listen(0, '127.0.0.1', r));
const url = new URL(`http://127.0.0.1:${proxy.address().port}/mcp`);

/** An MCP client whose calls to `refund` are sealed by `who`. */
async function connect(who) {
  const client = new Client({ name: 'agent', version: '1.0.0' });
  await client.connect(
    createSealedClientTransport(new StreamableHTTPClientTransport(url), {
      sender: who,
      to: payments.name,
      resolveRecipient,
      tools: ['refund'],
    }),
  );
  return client;
}

const planner = await connect(agent);
const refund = { order: 'A-1042', amount: '1234.56', iban: 'DE89370400440532013000' };
const result = await planner.callTool({ name: 'refund', arguments: refund });
console.log(
  `agent: ${result.structuredContent.status}, reference ${result.structuredContent.reference}`,
);

const other = await connect(intruder);
try {
  await other.callTool({ name: 'refund', arguments: refund });
} catch (e) {
  console.log(`intruder: refused, ${e.message.replace(/^MCP error -?\d+: /, '')}`);
}

// A replay: the agent's sealed call, as the proxy logged it, sent again by the proxy's operator.
const captured = log.find((l) => l.includes('"tools/call"'));
const call = JSON.parse(captured.slice(captured.indexOf('{')));
const again = await globalThis.fetch(url, {
  method: 'POST',
  headers: {
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    'mcp-protocol-version': '2025-06-18',
  },
  body: JSON.stringify({ ...call, id: 999 }),
});
const code = /"code":"(ERR_\w+)"/.exec(await again.text())?.[1];
console.log(`replay: refused, ${code}`);

const text = log.join('\n');
const leaked = [refund.order, refund.iban, 'RF-A-1042', agent.name].filter((s) => text.includes(s));
console.log(
  `proxy: logged ${log.length} bodies, ${text.length} bytes; plaintext or agent seen: ${leaked.length === 0 ? 'none' : leaked.join(', ')}`,
);
console.log(`proxy saw: ${captured.slice(0, 160)}...`);

await planner.close();
await other.close();
await new Promise((r) => proxy.close(r));
proxy.closeAllConnections();
tool.closeAllConnections();
await new Promise((r) => tool.close(r));
