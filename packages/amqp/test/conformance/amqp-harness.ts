/**
 * The RabbitMQ adapter of the conformance harness (SPEC.md §7b, §11b,
 * §11c): per run, a work queue (classic or quorum) bound to `amq.direct`
 * under its own name (the destination `amq.direct/<work>`), its delay queue
 * (dead-lettering back to the work queue), a dead-letter queue bound to
 * `amq.direct` under `<work>.dead`, a Redis key prefix for the shared replay
 * store, and a spy queue bound to both keys: it receives a copy of every
 * message published to the work queue and of every dead-letter copy, which
 * `readStored` drains with the properties as the broker forwarded them.
 * `pending` counts ready and unacknowledged messages of the work and delay
 * queues (`rabbitmqctl list_queues`: AMQP's passive declare counts only
 * ready ones). The run is a `ConformanceTarget` of the kit's suite.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  amqpDestination,
  bindingContext,
  exportIdentity,
  exportPublicIdentity,
  generateIdentity,
  MediaType,
  type Identity,
  type ReplayStore,
} from '@blindwire/core';
import { nodeBackend } from '@blindwire/core/backend/node';
import { createAmqpBinding, type AmqpBinding } from '@blindwire/amqp';
import { createRedisReplayStore } from '@blindwire/replay';
import {
  knobs,
  spawnNodeChild,
  type ConformanceTarget,
  type DeadLetter,
  type HarnessAdapter,
  type StoredMessage,
} from '@blindwire/testkit';
import {
  connect,
  type Channel,
  type ChannelModel,
  type ConfirmChannel,
  type GetMessage,
} from 'amqplib';
import { createClient } from 'redis';
import { startInProcessConsumer } from './in-process.js';
import { AMQP_URL, EXCHANGE, REDIS_URL, core } from './shared.js';

export { EXCHANGE };
const CHILD = fileURLToPath(new URL('./consumer-child.mjs', import.meta.url));
const run$ = promisify(execFile);

export interface AmqpHarnessOptions {
  queueType?: 'classic' | 'quorum';
  /** Handlers at once in the child (default 24). */
  concurrency?: number;
  /** The replay lease in ms (default 4000). */
  leaseMs?: number;
}

export interface AmqpHarness extends ConformanceTarget {
  run: string;
  conn: ChannelModel;
  ch: ConfirmChannel;
  admin: Channel;
  sender: Identity;
  disallowed: Identity;
  consumerId: Identity;
  replay: ReplayStore;
  replayPrefix: string;
  bw: AmqpBinding;
  queues: { work: string; retry: string; dead: string; spy: string };
}

/** The properties as bytes for the spy: JSON, Buffers written as their UTF-8 text. */
function propertyBytes(p: unknown): Uint8Array {
  const json = JSON.stringify(p, (_k, v: unknown) => {
    if (v && typeof v === 'object' && (v as { type?: unknown }).type === 'Buffer')
      return Buffer.from((v as { data: number[] }).data).toString('utf8');
    return v;
  });
  return new TextEncoder().encode(json);
}

async function drain(ch: Channel, queue: string): Promise<GetMessage[]> {
  const out: GetMessage[] = [];
  for (let m; (m = await ch.get(queue, { noAck: true })) !== false;) out.push(m);
  return out;
}

/** Ready plus unacknowledged messages of each queue named. */
async function queueDepths(names: string[]): Promise<number> {
  const { stdout } = await run$('rabbitmqctl', [
    '-q',
    'list_queues',
    '--no-table-headers',
    'name',
    'messages',
  ]);
  let n = 0;
  for (const line of stdout.split('\n')) {
    const [name, count] = line.trim().split(/\s+/);
    if (name !== undefined && names.includes(name)) n += Number(count);
  }
  return n;
}

export async function createAmqpHarness(o: AmqpHarnessOptions = {}): Promise<AmqpHarness> {
  const run = randomBytes(6).toString('hex');
  const work = `bwc.${run}.jobs`;
  const queues = { work, retry: `${work}.retry`, dead: `${work}.dead`, spy: `${work}.spy` };
  const [sender, disallowed, consumerId] = await Promise.all(
    ['agent.sender', 'agent.stranger', 'worker.consumer'].map((n) =>
      generateIdentity(`spiffe://conformance.test/${n}-${run}`, { backend: nodeBackend }),
    ),
  );
  const redis = createClient({ url: REDIS_URL });
  await redis.connect();
  const conn = await connect(AMQP_URL);
  const ch = await conn.createConfirmChannel();
  const admin = await conn.createChannel();
  await admin.assertQueue(work, {
    durable: true,
    arguments: { 'x-queue-type': o.queueType ?? 'classic' },
  });
  await admin.assertQueue(queues.retry, {
    durable: true,
    arguments: { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': work },
  });
  await admin.assertQueue(queues.dead, { durable: true });
  await admin.assertQueue(queues.spy, { durable: false });
  await admin.bindQueue(work, EXCHANGE, work);
  await admin.bindQueue(queues.dead, EXCHANGE, queues.dead);
  await admin.bindQueue(queues.spy, EXCHANGE, work);
  await admin.bindQueue(queues.spy, EXCHANGE, queues.dead);

  const replayPrefix = `bwc:${run}:`;
  const replay = createRedisReplayStore({ client: redis, prefix: replayPrefix });
  const bw = createAmqpBinding(ch, { sender: sender!, backend: nodeBackend });
  const dir = mkdtempSync(join(tmpdir(), `bwc-${run}-`));
  const configPath = join(dir, 'config.json');
  writeFileSync(
    configPath,
    JSON.stringify({
      url: AMQP_URL,
      redisUrl: REDIS_URL,
      replayPrefix,
      queue: work,
      retryQueue: queues.retry,
      deadLetter: { exchange: EXCHANGE, routingKey: queues.dead },
      destination: amqpDestination(EXCHANGE, work),
      identity: exportIdentity(consumerId!),
      trusted: [exportPublicIdentity(sender!), exportPublicIdentity(disallowed!)],
      allowedSenders: [sender!.name],
      concurrency: o.concurrency ?? 24,
      leaseMs: o.leaseMs ?? 4000,
      retry: { maxAttempts: 5, backoffMs: 200, maxBackoffMs: 1000 },
    }),
    { mode: 0o600 },
  );
  const dead: DeadLetter[] = [];

  const adapter: HarnessAdapter = {
    binding: 'amqp',
    destination: amqpDestination(EXCHANGE, work),
    otherDestination: amqpDestination(EXCHANGE, `${work}.other`),
    deadLetterDestination: amqpDestination(EXCHANGE, queues.dead),
    context: (d) => bindingContext('amqp', d),
    publishRaw(destination, bytes, hints) {
      const slash = destination.indexOf('/');
      const props =
        hints?.messageId === undefined
          ? { persistent: true }
          : { persistent: true, messageId: hints.messageId, contentType: MediaType.Envelope };
      return new Promise<void>((resolve, reject) => {
        ch.publish(
          destination.slice(0, slash),
          destination.slice(slash + 1),
          Buffer.from(bytes),
          props,
          (err) => (err ? reject(err as Error) : resolve()),
        );
      });
    },
    async publishSealed(destination, payload) {
      const slash = destination.indexOf('/');
      const r = await bw.publish(
        destination.slice(0, slash),
        destination.slice(slash + 1),
        payload,
        {
          to: consumerId!,
          confirm: true,
          expiration: false,
        },
      );
      return { messageId: r.messageId };
    },
    startConsumerChild: async (c) =>
      spawnNodeChild(CHILD, [configPath, c.logPath, String(c.incarnation)], {
        env: typeof c.config.fault === 'string' ? { BW_CHILD_FAULT: c.config.fault } : {},
      }),
    async readStored(): Promise<StoredMessage[]> {
      return (await drain(admin, queues.spy)).map((m) => ({
        where: `spy ${m.fields.exchange}/${m.fields.routingKey}`,
        body: m.content,
        headers: propertyBytes(m.properties),
      }));
    },
    async readDeadLetters() {
      for (const m of await drain(admin, queues.dead)) {
        const h = m.properties.headers ?? {};
        const s = (v: unknown) => (v === undefined ? undefined : String(v));
        dead.push({
          bytes: m.content,
          reason: s(h['bw-reason']),
          messageId: s(h['bw-message-id']),
        });
      }
      return dead;
    },
    pending: () => queueDepths([work, queues.retry]),
  };

  const h: AmqpHarness = {
    adapter,
    core,
    recipients: consumerId!,
    disallowedSender: disallowed!,
    foreignContexts: {
      nats: bindingContext('nats', work),
      redis: bindingContext('redis', adapter.destination),
    },
    isCommitted: (id, name) => replay.has(id, name),
    startConsumer: (o) => startInProcessConsumer(h, o?.work ? { work: o.work } : {}),
    run,
    conn,
    ch,
    admin,
    sender: sender!,
    disallowed: disallowed!,
    consumerId: consumerId!,
    replay,
    replayPrefix,
    bw,
    queues,
    childConfig: { configPath },
    logPath: join(dir, 'run.log'),
    async close() {
      for (const q of Object.values(queues)) await admin.deleteQueue(q).catch(() => undefined);
      for await (const key of redis.scanIterator({ MATCH: `${replayPrefix}*`, COUNT: 1000 })) {
        const keys = Array.isArray(key) ? key : [key];
        if (keys.length > 0) await redis.del(keys);
      }
      await redis.quit();
      await conn.close().catch(() => undefined);
      if (!knobs.keep()) rmSync(dir, { recursive: true, force: true });
    },
  };
  return h;
}
