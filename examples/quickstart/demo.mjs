/**
 * The quickstart flow as a function, so the test runs exactly what the demo
 * prints. An organisation's trust anchor certifies two identities, which
 * publish signed key records to a directory (untrusted storage: clients
 * verify every record). The agent resolves the tool's encryption key through
 * the directory and seals a tool call for it; the broker carries it; the tool
 * opens it, verifying the agent's signing key through the directory, and
 * answers with a sealed response.
 */
import { generateIdentity, inspect, open, openResponse, seal, sealResponse } from '@blindwire/core';
import {
  certifyIdentity,
  createDirectory,
  createEncryptionKeyRecord,
  createMemoryStore,
  createTrustAnchor,
  trustAnchorPublic,
} from '@blindwire/directory';
import { createLoggingBroker } from './broker.mjs';

const text = (b) => new TextDecoder().decode(b);

export async function runQuickstart() {
  // The organisation's root key certifies identities; relying parties configure its public half.
  const anchor = await createTrustAnchor('acme.example root');
  const agent = await generateIdentity('spiffe://acme.example/agents/planner');
  const tool = await generateIdentity('spiffe://acme.example/tools/payments');

  // Each identity publishes its certificate and a signed encryption-key record.
  const store = createMemoryStore();
  for (const id of [agent, tool]) {
    await store.put(id.name, await certifyIdentity(anchor, id));
    await store.put(id.name, await createEncryptionKeyRecord(id, id.encryption));
  }
  const directory = createDirectory({ store, trust: { anchors: [trustAnchorPublic(anchor)] } });
  const broker = createLoggingBroker();

  // Agent: resolve the tool's verified key, seal a call bound to the tool name.
  const request = JSON.stringify({
    tool: 'refund',
    arguments: { order: 'A-1042', amount: '129.00', card: '4111 1111 1111 1111' },
  });
  const toolKey = await directory.resolveRecipient(tool.name);
  const sealed = await seal(request, {
    sender: agent,
    recipients: toolKey,
    aead: toolKey.aead,
    context: 'mcp:tool/refund',
    contentType: 'application/json',
    ttl: 60,
  });
  broker.publish('tools.payments.requests', sealed.envelope);

  // Tool: take it off the broker, open it, verify the sender through the directory.
  const incoming = broker.take('tools.payments.requests');
  const opened = await open(incoming, {
    recipient: tool,
    context: 'mcp:tool/refund',
    resolveSender: (name, kid) => directory.resolveSigningKey(name, kid),
    allowedSenders: ['spiffe://acme.example/agents/*'],
  });
  const call = JSON.parse(text(opened.payload));
  const answer = JSON.stringify({
    refunded: call.arguments.amount,
    order: call.arguments.order,
    status: 'ok',
  });
  broker.publish(
    'tools.payments.responses',
    (await sealResponse(opened, answer, { contentType: 'application/json' })).envelope,
  );

  // Agent: open the response with the state kept from seal().
  const reply = await openResponse(sealed, broker.take('tools.payments.responses'));
  const directoryRecords =
    (await store.list(agent.name)).length + (await store.list(tool.name)).length;
  await directory.close();

  return {
    request,
    answer,
    directoryRecords,
    brokerLog: broker.log.map((m) => ({
      topic: m.topic,
      bytes: m.bytes,
      header: inspect(m.bytes),
    })),
    toolSaw: { sender: opened.sender, senderKid: opened.senderKid, payload: text(opened.payload) },
    agentSaw: { responder: reply.responder, payload: text(reply.payload) },
  };
}
