/**
 * The consumer child of the RabbitMQ conformance suite (SPEC.md §7b), run
 * with plain `node` on the built packages (dist/):
 * `node consumer-child.mjs <config.json> <run.log> <incarnation>`.
 *
 * It consumes the work queue through @blindwire/amqp on a confirm channel
 * with the shared Redis replay store and appends to the run log (testkit
 * run-log: `R` once consuming, `H` from the handler before it returns, `E`
 * per consume event). The handler checks that it got an opened plaintext
 * (the workload's `P:` prefix), never ciphertext. SIGTERM stops it cleanly;
 * the harness SIGKILLs it to simulate a crash (the broker then requeues
 * every unacknowledged delivery).
 *
 * BW_CHILD_FAULT=ack-on-receipt: a broken consumer for the suite's negative
 * case, acknowledging each delivery when its handler starts (at-most-once).
 */
import { readFileSync } from 'node:fs';
import { importIdentity, importPublicIdentity } from '@blindwire/core';
import { nodeBackend } from '@blindwire/core/backend/node';
import { createAmqpBinding } from '@blindwire/amqp';
import { createRedisReplayStore } from '@blindwire/replay';
import { PLAINTEXT_PREFIX, openRunLog } from '@blindwire/testkit';
import { connect } from 'amqplib';
import { createClient } from 'redis';

const [configPath, logPath, incarnation] = process.argv.slice(2);
const c = JSON.parse(readFileSync(configPath, 'utf8'));
const log = openRunLog(logPath, Number(incarnation));
const MARKER = new TextEncoder().encode(PLAINTEXT_PREFIX);

const redis = createClient({ url: c.redisUrl });
await redis.connect();
const conn = await connect(c.url);
const real = await conn.createConfirmChannel();
const me = await importIdentity(c.identity, { backend: nodeBackend });
const trusted = await Promise.all(
  c.trusted.map((j) => importPublicIdentity(j, { backend: nodeBackend })),
);

const FAULT = process.env.BW_CHILD_FAULT === 'ack-on-receipt';
const rawOf = new WeakMap(); // delivered body -> the broker's message
const acked = new WeakSet();
/**
 * The fault: each delivery is acknowledged as soon as its handler starts,
 * before the commit (at-most-once), so a kill loses what was running. Acks
 * stay bounded by prefetch (a plain ack on arrival would drain the whole
 * queue into the first incarnation). The binding's own later ack is then a
 * no-op; its nack of an acknowledged delivery too.
 */
function ackEarly(ch) {
  const once = (m) => {
    if (acked.has(m)) return;
    acked.add(m);
    ch.ack(m);
  };
  return new Proxy(ch, {
    get(t, k) {
      if (k === 'ack') return once;
      if (k === 'nack')
        return (m, all, requeue) => (acked.has(m) ? undefined : t.nack(m, all, requeue));
      if (k === 'consume')
        return (q, onMessage, o) =>
          t.consume(
            q,
            (m) => {
              if (m) rawOf.set(m.content, m);
              onMessage(m);
            },
            o,
          );
      const v = Reflect.get(t, k);
      return typeof v === 'function' ? v.bind(t) : v;
    },
  });
}
const ch = FAULT ? ackEarly(real) : real;
const ackNow = FAULT
  ? (m) => {
      const r = rawOf.get(m.bytes);
      if (r && !acked.has(r)) {
        acked.add(r);
        real.ack(r);
      }
    }
  : () => {};

const bw = createAmqpBinding(ch, {
  recipient: me.encryption,
  trustedSenders: trusted,
  replay: createRedisReplayStore({ client: redis, prefix: c.replayPrefix }),
  replayLeaseMs: c.leaseMs,
  policy: [{ match: c.destination, allowedSenders: c.allowedSenders }],
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
const WORK_MS = FAULT ? 20 : 0;
// The handler's own work after it logged: 0-4 ms, so that a kill finds
// handlers between their start and the commit.
const handler = async (m) => {
  const opened = MARKER.every((b, i) => m.payload[i] === b);
  if (!opened) {
    log.stray(`NOT-PLAINTEXT ${incarnation} ${m.messageId}`);
    throw new Error('not an opened plaintext');
  }
  log.handled(m.messageId);
  ackNow(m);
  await new Promise((r) => setTimeout(r, WORK_MS + Math.floor(Math.random() * 5)));
};

const run = await bw.consume(c.queue, handler, {
  deadLetter: c.deadLetter,
  retryQueue: c.retryQueue,
  prefetch: c.concurrency * 2,
});
log.ready();

process.once('SIGTERM', () => {
  void (async () => {
    await run.stop();
    await conn.close();
    await redis.quit();
    log.close();
    process.exit(0);
  })();
});
