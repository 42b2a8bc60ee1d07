/**
 * The consumer child of the NATS conformance suite (SPEC.md §7b), run with
 * plain `node` on the built packages (dist/), so it needs no TypeScript
 * runner: `node consumer-child.mjs <config.json> <run.log> <incarnation>`.
 *
 * It consumes the work stream through @blindwire/nats with the shared Redis
 * replay store and appends to the run log (testkit run-log: `R` once
 * consuming, `H` from the handler before it returns, `E` per consume event).
 * The handler checks that it got an opened plaintext (the workload's `P:`
 * prefix, where an envelope starts with `BW`), never ciphertext; anything else is written as a stray line, which
 * the accounting reports. SIGTERM stops it cleanly (in-flight handlers
 * finish); the harness SIGKILLs it to simulate a crash.
 */
import { readFileSync } from 'node:fs';
import { importIdentity, importPublicIdentity } from '@blindwire/core';
import { nodeBackend } from '@blindwire/core/backend/node';
import { createNatsBinding } from '@blindwire/nats';
import { createRedisReplayStore } from '@blindwire/replay';
import { PLAINTEXT_PREFIX, openRunLog } from '@blindwire/testkit';
import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { createClient } from 'redis';

const [configPath, logPath, incarnation] = process.argv.slice(2);
const c = JSON.parse(readFileSync(configPath, 'utf8'));
const log = openRunLog(logPath, Number(incarnation));
const MARKER = new TextEncoder().encode(PLAINTEXT_PREFIX);

const redis = createClient({ url: c.redisUrl });
await redis.connect();
const nc = await connect({ servers: c.servers, inboxPrefix: c.inboxPrefix });
const js = jetstream(nc);
const me = await importIdentity(c.identity, { backend: nodeBackend });
const trusted = await Promise.all(
  c.trusted.map((j) => importPublicIdentity(j, { backend: nodeBackend })),
);

const bw = createNatsBinding(nc, {
  recipient: me.encryption,
  trustedSenders: trusted,
  replay: createRedisReplayStore({ client: redis, prefix: c.replayPrefix }),
  replayLeaseMs: c.leaseMs,
  policy: [{ match: c.subject, allowedSenders: c.allowedSenders }],
  onEvent: (e) => {
    if (e.verb === 'consume') log.event(e);
  },
  concurrency: c.concurrency,
  retry: c.retry,
  backend: nodeBackend,
});

// The faulty consumer's handlers work 20-24 ms instead: its early acknowledgement must
// have reached the broker, and the commit not yet been written, when a kill lands, or
// the negative case finds nothing lost by chance (seen on a loaded machine).
const WORK_MS = process.env.BW_CHILD_FAULT === 'ack-on-receipt' ? 20 : 0;
// The handler's own work after it logged: 0-4 ms, so that a kill finds handlers between
// their start and the commit (the case where a handler may run again).
const handler = async (m) => {
  const opened = MARKER.every((b, i) => m.payload[i] === b);
  if (!opened) {
    log.stray(`NOT-PLAINTEXT ${incarnation} ${m.messageId}`);
    throw new Error('not an opened plaintext');
  }
  log.handled(m.messageId);
  await new Promise((r) => setTimeout(r, WORK_MS + Math.floor(Math.random() * 5)));
};

/**
 * BW_CHILD_FAULT=ack-on-receipt: a broken consumer for the suite's negative
 * case, acknowledging each message as it arrives (at-most-once), so that a
 * kill loses what was received and not yet committed. The binding's own
 * ack / nak / term / working calls are then no-ops.
 */
function ackOnReceipt(consumer) {
  const inert = new Set(['ack', 'nak', 'term', 'working']);
  return {
    info: (cached) => consumer.info(cached),
    async fetch(opts) {
      const msgs = await consumer.fetch(opts);
      return {
        stop: (e) => msgs.stop(e),
        async *[Symbol.asyncIterator]() {
          for await (const m of msgs) {
            m.ack();
            yield new Proxy(m, {
              get: (t, k) => (inert.has(k) ? () => {} : Reflect.get(t, k)),
            });
          }
        },
      };
    },
  };
}

const pulled = await js.consumers.get(c.stream, c.consumer);
const consumer = process.env.BW_CHILD_FAULT === 'ack-on-receipt' ? ackOnReceipt(pulled) : pulled;
const run = await bw.jetstream(js).consume(consumer, handler, {
  deadLetterSubject: c.deadLetterSubject,
});
log.ready();

process.once('SIGTERM', () => {
  void (async () => {
    await run.stop();
    await nc.drain();
    await redis.quit();
    log.close();
    process.exit(0);
  })();
});
await run.done;
