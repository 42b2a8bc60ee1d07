/**
 * The consumer child of the Redis Streams conformance suite (SPEC.md §7b),
 * run with plain `node` on the built packages (dist/):
 * `node consumer-child.mjs <config.json> <run.log> <incarnation>`.
 *
 * It consumes the work stream as one consumer of the group through
 * @blindwire/redis on a node-redis client, with the shared Redis replay
 * store, and appends to the run log (`R` once consuming, `H` from the handler
 * before it returns, `E` per consume event). The handler checks that it got
 * an opened plaintext (the workload's `P:` prefix), never ciphertext.
 * SIGTERM stops it cleanly; the harness SIGKILLs it to simulate a crash.
 * Each incarnation is a new consumer name, so the entries a killed one held
 * are reclaimed with XAUTOCLAIM.
 */
import { readFileSync } from 'node:fs';
import { importIdentity, importPublicIdentity } from '@blindwire/core';
import { nodeBackend } from '@blindwire/core/backend/node';
import { createRedisBinding } from '@blindwire/redis';
import { createRedisReplayStore } from '@blindwire/replay';
import { PLAINTEXT_PREFIX, openRunLog } from '@blindwire/testkit';
import { createClient } from 'redis';

const [configPath, logPath, incarnation] = process.argv.slice(2);
const c = JSON.parse(readFileSync(configPath, 'utf8'));
const log = openRunLog(logPath, Number(incarnation));
const MARKER = new TextEncoder().encode(PLAINTEXT_PREFIX);

const redis = createClient({ url: c.redisUrl });
await redis.connect();
const me = await importIdentity(c.identity, { backend: nodeBackend });
const trusted = await Promise.all(
  c.trusted.map((j) => importPublicIdentity(j, { backend: nodeBackend })),
);

const bw = createRedisBinding(redis, {
  recipient: me.encryption,
  trustedSenders: trusted,
  replay: createRedisReplayStore({ client: redis, prefix: c.replayPrefix }),
  replayLeaseMs: c.leaseMs,
  policy: [{ match: c.stream, allowedSenders: c.allowedSenders }],
  onEvent: (e) => {
    if (e.verb === 'consume') log.event(e);
  },
  concurrency: c.concurrency,
  retry: c.retry,
  backend: nodeBackend,
});

const handler = async (m) => {
  const opened = MARKER.every((b, i) => m.payload[i] === b);
  if (!opened) {
    log.stray(`NOT-PLAINTEXT ${incarnation} ${m.messageId}`);
    throw new Error('not an opened plaintext');
  }
  log.handled(m.messageId);
  await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 5)));
};

const run = bw.consume(
  { stream: c.stream, group: c.group, consumer: `child-${incarnation}` },
  handler,
  { claimIdleMs: c.claimIdleMs, count: 64, blockMs: 500 },
);
log.ready();

process.once('SIGTERM', () => {
  void (async () => {
    await run.stop();
    await redis.quit();
    log.close();
    process.exit(0);
  })();
});
await run.done;
