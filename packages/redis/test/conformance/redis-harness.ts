/**
 * The Redis Streams adapter of the conformance harness (SPEC.md §7b, §11b,
 * §11c): per run, a stream `bwc:<run>:jobs` with consumer group `workers`,
 * its dead-letter stream `bwc:<run>:jobs:dlq`, a key prefix for the shared
 * Redis replay store, and a MONITOR connection (the spy) that sees the
 * arguments of every data-carrying command any client sends to Redis (XADD,
 * the dead-letter script, the replay store's writes; not the reads, whose
 * replies MONITOR never shows), so it reads what was added and
 * dead-lettered. `readStored` also reads both streams raw (XRANGE,
 * binary-safe). The run is a `ConformanceTarget` of the kit's suite.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import {
  amqpDestination,
  bindingContext,
  exportIdentity,
  exportPublicIdentity,
  generateIdentity,
  type Identity,
  type ReplayStore,
} from '@blindwire/core';
import { nodeBackend } from '@blindwire/core/backend/node';
import { createRedisBinding, entryFields, type RedisBinding } from '@blindwire/redis';
import { createRedisReplayStore } from '@blindwire/replay';
import {
  knobs,
  spawnNodeChild,
  type ConformanceTarget,
  type DeadLetter,
  type StoredMessage,
} from '@blindwire/testkit';
import IoRedis from 'ioredis';
import { startRedisConsumer } from './in-process.js';
import { core } from './shared.js';

export const REDIS_URL = 'redis://127.0.0.1:6379';
const CHILD = fileURLToPath(new URL('./consumer-child.mjs', import.meta.url));

export interface RedisHarnessOptions {
  concurrency?: number;
  /** XAUTOCLAIM's min idle time in ms (default 2000). */
  claimIdleMs?: number;
  /** The replay lease in ms (default 4000: longer than claimIdleMs, so a reclaim after a kill meets the dead child's lease). */
  leaseMs?: number;
  /** Whether a MONITOR connection records every command (default true). */
  monitor?: boolean;
}

export interface RedisHarness extends ConformanceTarget {
  run: string;
  redisUrl: string;
  client: IoRedis;
  sender: Identity;
  disallowed: Identity;
  consumerId: Identity;
  replay: ReplayStore;
  replayPrefix: string;
  bw: RedisBinding;
  /** The work stream (consumed by the group `workers`). */
  stream: string;
  keys: { work: string; dead: string };
}

/** Commands that carry no client data (reads, acks, claims): MONITOR lines the spy skips. */
const NO_DATA = new Set(
  [
    'xinfo',
    'xrange',
    'xrevrange',
    'xlen',
    'xread',
    'xreadgroup',
    'xpending',
    'xack',
    'xautoclaim',
  ].concat([
    'xclaim',
    'scan',
    'del',
    'exists',
    'pttl',
    'client',
    'info',
    'ping',
    'hello',
    'select',
  ]),
);

const field = (fields: Buffer[], name: string): Buffer | undefined => {
  for (let i = 0; i + 1 < fields.length; i += 2)
    if (fields[i]!.toString().toLowerCase() === name) return fields[i + 1];
  return undefined;
};

async function readStream(c: IoRedis, key: string): Promise<{ where: string; fields: Buffer[] }[]> {
  const out: { where: string; fields: Buffer[] }[] = [];
  let start = '-';
  for (;;) {
    const rows = await c.xrangeBuffer(key, start, '+', 'COUNT', 2000);
    for (const [id, fields] of rows) out.push({ where: `${key}#${id.toString()}`, fields });
    if (rows.length < 2000) return out;
    start = `(${rows.at(-1)![0].toString()}`;
  }
}

export async function createRedisHarness(o: RedisHarnessOptions = {}): Promise<RedisHarness> {
  const run = randomBytes(6).toString('hex');
  const keys = { work: `bwc:${run}:jobs`, dead: `bwc:${run}:jobs:dlq` };
  const [sender, disallowed, consumerId] = (await Promise.all(
    ['agent.sender', 'agent.stranger', 'worker.consumer'].map((n) =>
      generateIdentity(`spiffe://conformance.test/${n}-${run}`, { backend: nodeBackend }),
    ),
  )) as [Identity, Identity, Identity];
  const client = new IoRedis(REDIS_URL);
  await client.xgroup('CREATE', keys.work, 'workers', '0', 'MKSTREAM');
  const replayPrefix = `bwc:${run}:replay:`;
  const replay = createRedisReplayStore({ client, prefix: replayPrefix });
  const bw = createRedisBinding(client, { sender, backend: nodeBackend });

  // The spy: every command any client sends, with its arguments (node-redis and ioredis alike).
  let captured: StoredMessage[] = [];
  let monitor: Awaited<ReturnType<IoRedis['monitor']>> | undefined;
  if (o.monitor !== false) {
    monitor = await new IoRedis(REDIS_URL).monitor();
    monitor.on('monitor', (_time: string, args: string[]) => {
      if (!NO_DATA.has(args[0]!.toLowerCase()) && args.some((a) => a.includes(run)))
        captured.push({ where: `MONITOR ${args[0]}`, body: Buffer.from(args.join(' '), 'latin1') });
    });
  }

  const dir = mkdtempSync(join(tmpdir(), `bwc-${run}-`));
  const configPath = join(dir, 'config.json');
  const childConfig = {
    redisUrl: REDIS_URL,
    replayPrefix,
    stream: keys.work,
    group: 'workers',
    identity: exportIdentity(consumerId),
    trusted: [exportPublicIdentity(sender), exportPublicIdentity(disallowed)],
    allowedSenders: [sender.name],
    concurrency: o.concurrency ?? 24,
    leaseMs: o.leaseMs ?? 4000,
    claimIdleMs: o.claimIdleMs ?? 2000,
    retry: { maxAttempts: 5, backoffMs: 200, maxBackoffMs: 1000 },
  };
  writeFileSync(configPath, JSON.stringify(childConfig), { mode: 0o600 });

  const adapter: ConformanceTarget['adapter'] = {
    binding: 'redis',
    destination: keys.work,
    otherDestination: `bwc:${run}:other`,
    deadLetterDestination: keys.dead,
    context: (d) => bindingContext('redis', d),
    async publishRaw(destination, bytes, hints) {
      const fields =
        hints?.messageId === undefined
          ? ['bw-envelope', bytes]
          : entryFields(bytes, hints.messageId);
      await client.xadd(
        destination,
        '*',
        ...fields.map((f) => (typeof f === 'string' ? f : Buffer.from(f))),
      );
    },
    async publishSealed(destination, payload) {
      const r = await bw.add(destination, payload, { to: consumerId });
      return { messageId: r.messageId };
    },
    startConsumerChild: async (c) =>
      spawnNodeChild(CHILD, [configPath, c.logPath, String(c.incarnation)], {
        env: typeof c.config.fault === 'string' ? { BW_CHILD_FAULT: c.config.fault } : {},
      }),
    async readStored() {
      const now = captured;
      captured = [];
      const stored = [
        ...(await readStream(client, keys.work)),
        ...(await readStream(client, keys.dead)),
      ];
      return [...stored.map((s) => ({ where: s.where, body: Buffer.concat(s.fields) })), ...now];
    },
    async readDeadLetters(): Promise<DeadLetter[]> {
      return (await readStream(client, keys.dead)).map((s) => ({
        bytes: field(s.fields, 'bw-envelope') ?? new Uint8Array(0),
        reason: field(s.fields, 'bw-reason')?.toString(),
        messageId: field(s.fields, 'bw-message-id')?.toString(),
      }));
    },
    async pending() {
      const groups = (await client.call('XINFO', 'GROUPS', keys.work)) as unknown[][];
      const g = groups[0]!;
      const m = new Map<string, unknown>();
      for (let i = 0; i + 1 < g.length; i += 2) m.set(String(g[i]), g[i + 1]);
      return Number(m.get('pending')) + Number(m.get('lag') ?? 0);
    },
  };

  const h: RedisHarness = {
    adapter,
    core,
    recipients: consumerId,
    disallowedSender: disallowed,
    foreignContexts: {
      nats: bindingContext('nats', 'bwc.jobs'),
      amqp: bindingContext('amqp', amqpDestination('bwc', keys.work)),
    },
    isCommitted: (id, name) => replay.has(id, name),
    startConsumer: (options) => startRedisConsumer(h, options),
    run,
    redisUrl: REDIS_URL,
    client,
    sender,
    disallowed,
    consumerId,
    replay,
    replayPrefix,
    bw,
    stream: keys.work,
    keys,
    childConfig: { configPath },
    logPath: join(dir, 'run.log'),
    async close() {
      monitor?.disconnect();
      let cursor = '0';
      do {
        const [next, found] = await client.scan(cursor, 'MATCH', `bwc:${run}:*`, 'COUNT', 1000);
        cursor = next;
        if (found.length > 0) await client.del(...found);
      } while (cursor !== '0');
      await client.quit();
      if (!knobs.keep()) rmSync(dir, { recursive: true, force: true });
    },
  };
  return h;
}
