/**
 * Sealed jobs on a Redis Streams work queue (SPEC.md §7b, §11b): an agent
 * adds sealed jobs to a stream; a consumer of a group opens them with the
 * shared Redis replay store; a tampered copy lands, unchanged and with its
 * reason, in `<key>:dlq`. Needs Redis on 127.0.0.1:6379 (REDIS_URL).
 * Prints one line per job and the dead-letter reasons, then deletes its keys.
 */
import { randomBytes } from 'node:crypto';
import { generateIdentity, publicIdentity } from '@blindwire/core';
import { createRedisBinding } from '@blindwire/redis';
import { createRedisReplayStore } from '@blindwire/replay';
import Redis from 'ioredis';

const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const run = randomBytes(4).toString('hex');
const stream = `example:${run}:jobs`;
const agent = await generateIdentity('spiffe://example.org/agent');
const worker = await generateIdentity('spiffe://example.org/worker');
await redis.xgroup('CREATE', stream, 'workers', '$', 'MKSTREAM');

const handled = [];
const workerBw = createRedisBinding(redis, {
  recipient: worker,
  trustedSenders: [publicIdentity(agent)],
  replay: createRedisReplayStore({ client: redis, prefix: `example:${run}:replay:` }),
  policy: [{ match: stream, allowedSenders: [agent.name] }],
});
const consumer = workerBw.consume(
  { stream, group: 'workers', consumer: 'worker-1' },
  (m) => {
    handled.push(new TextDecoder().decode(m.payload));
    console.log(`worker-1 got "${handled.at(-1)}" from ${m.sender}`);
  },
  { blockMs: 200 },
);

const agentBw = createRedisBinding(redis, { sender: agent });
for (const job of ['resize image 42', 'transcode video 7'])
  await agentBw.add(stream, job, { to: publicIdentity(worker), maxLen: 10_000 });
// An attacker flips one bit of a stored envelope and adds it again.
const [[, fields]] = await redis.xrangeBuffer(stream, '-', '+', 'COUNT', 1);
const envelope = Buffer.from(
  fields[fields.indexOf(fields.find((f) => f.toString() === 'bw-envelope')) + 1],
);
envelope[envelope.length - 1] ^= 1;
await redis.xadd(stream, '*', 'bw-envelope', envelope);

while ((await redis.xlen(`${stream}:dlq`)) < 1 || handled.length < 2)
  await new Promise((r) => setTimeout(r, 50));
await consumer.stop();
const dead = await redis.xrange(`${stream}:dlq`, '-', '+');
const reasons = dead.map(([, f]) => f[f.indexOf('bw-reason') + 1]);
console.log(`dead-lettered: ${reasons.join(', ')}`);
await redis.del(stream, `${stream}:dlq`);
const replayKeys = await redis.keys(`example:${run}:replay:*`);
if (replayKeys.length > 0) await redis.del(...replayKeys);
redis.disconnect();
