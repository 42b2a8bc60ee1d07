/**
 * The agent-tool-http flow as a function, so the test runs exactly what the
 * demo prints. An organisation's trust anchor certifies an agent and a
 * payments tool, which publish signed key records to a directory (untrusted
 * storage: each side verifies every record against the anchor). The tool
 * serves a sealed handler on node:http behind a logging reverse proxy; the
 * agent resolves the tool's key through the directory and calls it with
 * `sealedFetch`. The proxy logs full bodies and sees only ciphertext; the
 * tool gets the plaintext and the verified agent. Then the proxy plays the
 * attacker: it replays the captured request, and sends it to another route.
 */
/* global fetch, Response -- Node 20 has them */
import { createServer } from 'node:http';
import { generateIdentity } from '@blindwire/core';
import {
  certifyIdentity,
  createDirectory,
  createEncryptionKeyRecord,
  createMemoryStore,
  createTrustAnchor,
  trustAnchorPublic,
} from '@blindwire/directory';
import { createSealedHandler, sealedFetch, toNodeListener } from '@blindwire/http';
import { startLoggingProxy } from './proxy.mjs';

export const AGENT = 'spiffe://acme.example/agents/planner';
export const TOOL = 'spiffe://acme.example/tools/payments';

export async function runAgentToolHttp() {
  // The organisation's root key certifies identities; relying parties configure its public half.
  const anchor = await createTrustAnchor('acme.example root');
  const agent = await generateIdentity(AGENT);
  const tool = await generateIdentity(TOOL);
  const store = createMemoryStore();
  for (const id of [agent, tool]) {
    await store.put(id.name, await certifyIdentity(anchor, id));
    await store.put(id.name, await createEncryptionKeyRecord(id, id.encryption));
  }
  // Each side has its own directory client over the shared, untrusted store.
  const trust = { anchors: [trustAnchorPublic(anchor)] };
  const agentDirectory = createDirectory({ store, trust });
  const toolDirectory = createDirectory({ store, trust });

  // The tool: a sealed handler on node:http; only agents of acme.example may refund.
  const toolSaw = [];
  const handler = createSealedHandler({
    recipient: tool.encryption,
    resolveSender: (name, kid) => toolDirectory.resolveSigningKey(name, kid),
    routes: [
      {
        method: 'POST',
        path: '/tools/payments/*',
        allowedSenders: ['spiffe://acme.example/agents/*'],
      },
    ],
    handler: (call) => {
      const args = call.json();
      toolSaw.push({
        sender: call.sender,
        senderKid: call.senderKid,
        route: `${call.method} ${call.path}`,
        idempotencyKey: call.headers.get('x-idempotency-key'),
        body: call.text(),
      });
      return Response.json({
        status: 'refunded',
        order: args.order,
        amount: args.amount,
        ledger: 'LEDGER-7781-CONFIDENTIAL',
      });
    },
  });
  const server = createServer(toNodeListener(handler));
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const toolUrl = `http://127.0.0.1:${server.address().port}`;
  const proxy = await startLoggingProxy({ host: '127.0.0.1', port: server.address().port });

  try {
    // The agent: resolve the tool's verified key through the directory, seal the call.
    const call = sealedFetch(fetch, {
      sender: agent,
      to: TOOL,
      resolveRecipient: (name, o) => agentDirectory.resolveRecipient(name, o), // o: { context }
      sealHeaders: ['x-idempotency-key'],
    });
    const request = JSON.stringify({
      order: 'A-1042',
      amount: '129.00',
      card: '4111 1111 1111 1111',
    });
    const res = await call(`${proxy.url}/tools/payments/refund`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-idempotency-key': 'idem-5f1c-secret' },
      body: request,
    });
    const agentSaw = {
      status: res.status,
      contentType: res.headers.get('content-type'),
      body: await res.text(),
    };

    // The proxy turns attacker: it replays what it captured, then sends it to another route.
    const captured = proxy.log[0];
    const again = (path) =>
      fetch(`${toolUrl}${path}`, {
        method: captured.method,
        headers: { 'content-type': captured.requestHeaders['content-type'] },
        body: captured.requestBody,
      }).then(async (r) => ({ status: r.status, code: (await r.json()).code }));
    const replay = await again('/tools/payments/refund');
    const moved = await again('/tools/payments/payout');

    return {
      request,
      agentSaw,
      toolSaw,
      replay,
      moved,
      directoryRecords: (await store.list(AGENT)).length + (await store.list(TOOL)).length,
      proxyLog: proxy.log.map((e) => ({ ...e })),
    };
  } finally {
    await proxy.close();
    await new Promise((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
    await agentDirectory.close();
    await toolDirectory.close();
  }
}
