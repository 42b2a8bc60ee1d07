/**
 * `node index.mjs`: runs the work-queue example against nats-server on
 * 127.0.0.1:4222 (with JetStream) and prints the accounting; the first
 * dead-letter copy is written to dead-letter.bin for `blindwire inspect`.
 */
import { writeFileSync } from 'node:fs';
import { runWorkQueue } from './demo.mjs';

const r = await runWorkQueue();
const perWorker = {};
for (const h of r.handled) perWorker[h.worker] = (perWorker[h.worker] ?? 0) + 1;
console.log(`sent ${r.sent.length} jobs; handled ${r.handled.length}:`, perWorker);
for (const d of r.deadLetters) console.log(`dead-letter: ${d.reason} ${d.messageId ?? '(no id)'}`);
if (r.deadLetters[0]) {
  writeFileSync('dead-letter.bin', r.deadLetters[0].envelope);
  console.log('wrote dead-letter.bin: try `blindwire inspect dead-letter.bin`');
}
