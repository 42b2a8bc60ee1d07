#!/usr/bin/env node
/** An agent calls a payments tool over HTTP through a logging proxy: what each of them saw. */
import { runAgentToolHttp } from './demo.mjs';

const hex = (b, n = 40) => b.toString('hex').slice(0, n * 2) + (b.length > n ? '…' : '');
const secrets = ['4111 1111', 'A-1042', '129.00', 'idem-5f1c', 'LEDGER-7781', 'planner'];
const leaks = (b) => secrets.filter((s) => b.includes(Buffer.from(s)));

const r = await runAgentToolHttp();
console.log('Blindwire over HTTP: an agent calls a payments tool through a logging proxy.\n');
console.log(
  `DIRECTORY holds ${r.directoryRecords} signed records; both sides verified them against the trust anchor.\n`,
);
const e = r.proxyLog[0];
console.log(`PROXY logged: ${e.method} ${e.url} -> ${e.status}`);
console.log(
  `  request:  ${e.requestHeaders['content-type']}, ${e.requestBody.length} bytes: ${hex(e.requestBody)}`,
);
console.log(
  `  response: ${e.responseHeaders['content-type']}, ${e.responseBody.length} bytes: ${hex(e.responseBody)}`,
);
console.log(
  `  cache-control: ${e.responseHeaders['cache-control']}, vary: ${e.responseHeaders['vary']}`,
);
const found = [
  ...leaks(e.requestBody),
  ...leaks(e.responseBody),
  ...leaks(Buffer.from(JSON.stringify([e.url, e.requestHeaders, e.responseHeaders]))),
];
console.log(
  `  plaintext or caller visible to the proxy: ${found.length ? `YES (bug!) ${found}` : 'no'}\n`,
);
const t = r.toolSaw[0];
console.log(`TOOL saw: ${t.route} from ${t.sender} (signing key ${t.senderKid}), verified:`);
console.log(`  ${t.body}  (idempotency key ${t.idempotencyKey}, sealed)\n`);
console.log(`AGENT saw: ${r.agentSaw.status} ${r.agentSaw.contentType}`);
console.log(`  ${r.agentSaw.body}\n`);
console.log(`REPLAY of the captured request: ${r.replay.status} ${r.replay.code}`);
console.log(`SAME request sent to /tools/payments/payout: ${r.moved.status} ${r.moved.code}`);
console.log(`The tool's handler ran ${r.toolSaw.length} time(s).`);
