#!/usr/bin/env node
/**
 * `pnpm --filter @blindwire/example-jetstream-work-queue start` (needs
 * nats-server with JetStream on 127.0.0.1:4222, or NATS_URL): an agent
 * publishes sealed jobs to a JetStream work queue, two worker processes share
 * them, rejects land in a dead-letter stream. `--keep` keeps the streams and
 * writes the dead letters to dead-letter-N.bin for `blindwire inspect`.
 */
import { runWorkQueue } from './demo.mjs';

const keep = process.argv.includes('--keep');
const r = await runWorkQueue({ servers: process.env.NATS_URL ?? '127.0.0.1:4222', keep });

console.log(
  'Blindwire on JetStream: sealed jobs on a work queue, two workers, a dead-letter stream.\n',
);
console.log(
  `AGENT published ${r.published.length} sealed jobs to ${r.names.subject} (stream ${r.names.stream});`,
);
console.log(
  `  the same job again with its message id: JetStream said duplicate=${r.duplicatePublish.duplicate};`,
);
console.log(
  `  plus one tampered copy (${r.tamperedId}) and one job from an untrusted intruder (${r.intruderId}).\n`,
);
const by = Object.groupBy
  ? Object.groupBy(r.handled, (h) => h.worker)
  : r.handled.reduce((a, h) => ((a[h.worker] ??= []).push(h), a), {});
for (const [w, hs] of Object.entries(by)) {
  console.log(`${w.toUpperCase()} handled ${hs.length}: ${hs.map((h) => h.handled).join(', ')}`);
}
console.log(`  each from ${r.handled[0]?.sender} (verified signature), each exactly once.\n`);
console.log(
  `DEAD-LETTER stream ${r.names.deadLetterStream} holds ${r.deadLetters.length} unchanged envelopes:`,
);
for (const d of r.deadLetters)
  console.log(`  seq ${d.seq}: message ${d.messageId}, reason ${d.reason}, ${d.data.length} bytes`);
const all = Buffer.concat([...r.rawDeadLetterBytes.map((d) => d.data), ...r.wire]);
const leaked = all.includes(r.card) || all.includes('planner');
console.log(
  `\nWIRE: a plain subscriber saw ${r.wire.length} messages on jobs.>; card number or sender name`,
);
console.log(`  visible there or in the dead-letter stream: ${leaked ? 'YES (bug!)' : 'no'}`);
if (keep) {
  console.log(
    `\nKept the streams; the dead letters are in dead-letter-1.bin ... Inspect one with:`,
  );
  console.log('  node packages/cli/dist/bin.js inspect dead-letter-1.bin');
}
