#!/usr/bin/env node
/** `pnpm demo`: what the broker saw, beside what the endpoints saw. */
import { runQuickstart } from './demo.mjs';

const hex = (b, n = 48) =>
  Buffer.from(b)
    .toString('hex')
    .slice(0, n * 2) + (b.length > n ? '…' : '');

const r = await runQuickstart();
console.log('Blindwire quickstart: an agent calls a payments tool through a broker.\n');
console.log(
  `DIRECTORY holds ${r.directoryRecords} signed records (certificates and public keys only); both sides verified them against the trust anchor.\n`,
);
for (const m of r.brokerLog) {
  const h = m.header;
  console.log(`BROKER saw on "${m.topic}": ${m.bytes.length} bytes`);
  console.log(`  kind ${h.kind}, suite ${h.suite.name}, message id ${h.messageId}`);
  if (h.kind === 'message')
    console.log(`  recipients (kids): ${h.recipients.map((x) => x.kid).join(', ')}`);
  else console.log(`  answers request ${h.requestId}, responder kid ${h.responder}`);
  console.log(
    `  content type ${h.contentType ?? '-'}, expires ${new Date(h.expiresAt * 1000).toISOString()}`,
  );
  console.log(`  bytes: ${hex(m.bytes)}`);
  const leaked =
    Buffer.from(m.bytes).includes(Buffer.from('4111')) ||
    Buffer.from(m.bytes).includes(Buffer.from('refund'));
  console.log(`  plaintext visible to the broker: ${leaked ? 'YES (bug!)' : 'no'}\n`);
}
console.log(
  `TOOL saw: a request from ${r.toolSaw.sender} (signing key ${r.toolSaw.senderKid}), verified:`,
);
console.log(`  ${r.toolSaw.payload}\n`);
console.log(`AGENT saw: a response from the tool's key ${r.agentSaw.responder}:`);
console.log(`  ${r.agentSaw.payload}`);
