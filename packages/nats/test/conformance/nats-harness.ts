/**
 * The NATS JetStream adapter of the conformance harness (SPEC.md §7b, §11b,
 * §11c): per run, a work-queue stream on `bwc.<run>.jobs`, a dead-letter
 * stream on `bwc.<run>.dead`, a durable pull consumer, a Redis key prefix
 * for the shared replay store, and a plain core subscriber (the spy) on
 * `bwc.<run>.>` and on the consumer child's own inbox prefix, so it sees what
 * was published, dead-lettered and delivered. `readStored` also reads both
 * streams raw through `$JS.API.STREAM.MSG.GET` (the stored header block and
 * body, base64 in the API's JSON). The run is a `ConformanceTarget` of the
 * kit's suite.
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
} from '@blindwire/core';
import { nodeBackend } from '@blindwire/core/backend/node';
import { createNatsBinding, messageHints, type NatsBinding } from '@blindwire/nats';
import { createRedisReplayStore } from '@blindwire/replay';
import type { ReplayStore } from '@blindwire/core';
import {
  knobs,
  spawnNodeChild,
  type ConformanceTarget,
  type DeadLetter,
  type HarnessAdapter,
  type StoredMessage,
} from '@blindwire/testkit';
import { jetstream, jetstreamManager, type JetStreamClient } from '@nats-io/jetstream';
import { headers as natsHeaders, type NatsConnection, type Subscription } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { createClient } from 'redis';
import { startInProcessConsumer } from './in-process.js';
import { REDIS_URL, SERVERS, core } from './shared.js';

const CHILD = fileURLToPath(new URL('./consumer-child.mjs', import.meta.url));

export interface NatsHarnessOptions {
  /** Handlers at once in the child (default 24). */
  concurrency?: number;
  /** The consumer's ack_wait in ms (default 3000). */
  ackWaitMs?: number;
  /** The replay lease in ms (default 6000: longer than ack_wait, so a redelivery after a kill meets the dead child's lease). */
  leaseMs?: number;
}

export interface NatsHarness extends ConformanceTarget {
  run: string;
  nc: NatsConnection;
  js: JetStreamClient;
  sender: Identity;
  disallowed: Identity;
  consumerId: Identity;
  replay: ReplayStore;
  /** The Redis key prefix of the run's replay store. */
  replayPrefix: string;
  /** The binding the adapter publishes through (sender = the allowed sender). */
  bw: NatsBinding;
  streams: { work: string; dead: string };
  /** Core messages the spy subscriber saw so far (drained by readStored). */
  spySeen(): number;
}

const b64 = (s: string | undefined) =>
  s === undefined ? undefined : new Uint8Array(Buffer.from(s, 'base64'));

/** Every message of `stream`, raw, through the stream API (parallel, 64 at a time). */
async function readStream(nc: NatsConnection, stream: string): Promise<StoredMessage[]> {
  const jsm = await jetstreamManager(nc);
  const { state } = await jsm.streams.info(stream);
  const seqs: number[] = [];
  if (state.messages > 0) for (let s = state.first_seq; s <= state.last_seq; s++) seqs.push(s);
  const out: (StoredMessage | undefined)[] = new Array(seqs.length);
  let next = 0;
  const worker = async () => {
    while (next < seqs.length) {
      const i = next++;
      const m = await nc.request(
        `$JS.API.STREAM.MSG.GET.${stream}`,
        JSON.stringify({ seq: seqs[i] }),
        { timeout: 5000 },
      );
      const r = m.json<{ message?: { data?: string; hdrs?: string } }>();
      if (!r.message) continue; // deleted (acknowledged from the work queue) meanwhile
      const headers = b64(r.message.hdrs);
      out[i] = {
        where: `${stream}#${seqs[i]}`,
        body: b64(r.message.data) ?? new Uint8Array(0),
        ...(headers ? { headers } : {}),
      };
    }
  };
  await Promise.all(Array.from({ length: 64 }, worker));
  return out.filter((m): m is StoredMessage => m !== undefined);
}

/** Sets up one run's streams, consumer, identities, Redis store and spy. */
export async function createNatsHarness(options: NatsHarnessOptions = {}): Promise<NatsHarness> {
  const run = randomBytes(6).toString('hex');
  const subject = `bwc.${run}.jobs`;
  const dead = `bwc.${run}.dead`;
  const streams = { work: `BWC_${run}_WORK`, dead: `BWC_${run}_DEAD` };
  const inboxPrefix = `_INBOX_BWC_${run}`;
  // Everything that can fail before the streams exist, so a failed set-up leaves none behind.
  const [sender, disallowed, consumerId] = await Promise.all(
    ['agent.sender', 'agent.stranger', 'worker.consumer'].map((n) =>
      generateIdentity(`spiffe://conformance.test/${n}-${run}`, { backend: nodeBackend }),
    ),
  );
  const redis = createClient({ url: REDIS_URL });
  await redis.connect();
  const nc = await connect({ servers: SERVERS });
  const js = jetstream(nc);
  const jsm = await jetstreamManager(nc);
  const stream = (name: string, subjects: string[], retention: string) =>
    jsm.streams.add({ name, subjects, retention, storage: 'memory' } as never);
  await stream(streams.work, [subject], 'workqueue');
  await stream(streams.dead, [dead], 'limits');
  await jsm.consumers.add(streams.work, {
    durable_name: 'worker',
    ack_policy: 'explicit',
    ack_wait: (options.ackWaitMs ?? 3000) * 1e6,
    max_deliver: -1,
    max_ack_pending: 2000,
  } as never);

  const replayPrefix = `bwc:${run}:`;
  const replay = createRedisReplayStore({ client: redis, prefix: replayPrefix });
  const bw = createNatsBinding(nc, { sender: sender!, backend: nodeBackend });

  const dir = mkdtempSync(join(tmpdir(), `bwc-${run}-`));
  const configPath = join(dir, 'config.json');
  const childConfig = {
    servers: SERVERS,
    inboxPrefix,
    redisUrl: REDIS_URL,
    replayPrefix,
    stream: streams.work,
    consumer: 'worker',
    subject,
    deadLetterSubject: dead,
    identity: exportIdentity(consumerId!),
    trusted: [exportPublicIdentity(sender!), exportPublicIdentity(disallowed!)],
    allowedSenders: [sender!.name],
    concurrency: options.concurrency ?? 24,
    leaseMs: options.leaseMs ?? 6000,
    retry: { maxAttempts: 5, backoffMs: 200, maxBackoffMs: 1000 },
  };
  writeFileSync(configPath, JSON.stringify(childConfig), { mode: 0o600 });

  let captured: StoredMessage[] = [];
  let seen = 0;
  const spy = (filter: string): Subscription => {
    const sub = nc.subscribe(filter);
    void (async () => {
      for await (const m of sub) {
        seen++;
        const h = (m.headers as { encode?: () => Uint8Array } | undefined)?.encode?.();
        captured.push({
          where: `core ${filter} ${m.subject}`,
          body: m.data,
          ...(h ? { headers: h } : {}),
        });
      }
    })();
    return sub;
  };
  const subs = [spy(`bwc.${run}.>`), spy(`${inboxPrefix}.>`)];
  await nc.flush();

  const adapter: HarnessAdapter = {
    binding: 'nats',
    destination: subject,
    otherDestination: `bwc.${run}.other`,
    deadLetterDestination: dead,
    context: (d) => bindingContext('nats', d),
    async publishRaw(destination, bytes, hints) {
      if (hints?.messageId === undefined) {
        await js.publish(destination, bytes);
        return;
      }
      const h = natsHeaders();
      for (const [k, v] of Object.entries(messageHints(hints.messageId, true)))
        if (k !== 'Nats-Msg-Id') h.set(k, v);
      await js.publish(destination, bytes, { msgID: hints.messageId, headers: h });
    },
    async publishSealed(destination, payload) {
      const r = await bw.jetstream(js).publish(destination, payload, { to: consumerId! });
      return { messageId: r.messageId };
    },
    startConsumerChild: async (o) =>
      spawnNodeChild(CHILD, [configPath, o.logPath, String(o.incarnation)], {
        env: typeof o.config.fault === 'string' ? { BW_CHILD_FAULT: o.config.fault } : {},
      }),
    async readStored() {
      await nc.flush();
      const now = captured;
      captured = [];
      return [
        ...(await readStream(nc, streams.work)),
        ...(await readStream(nc, streams.dead)),
        ...now,
      ];
    },
    async readDeadLetters(): Promise<DeadLetter[]> {
      const out: DeadLetter[] = [];
      for (const m of await readStream(nc, streams.dead)) {
        const text = m.headers ? new TextDecoder().decode(m.headers) : '';
        const hint = (name: string) =>
          new RegExp(`^${name}:\\s*(\\S+)\\s*$`, 'im').exec(text)?.[1] ?? undefined;
        out.push({ bytes: m.body, reason: hint('bw-reason'), messageId: hint('bw-message-id') });
      }
      return out;
    },
    async pending() {
      const { state } = await jsm.streams.info(streams.work);
      return state.messages;
    },
  };

  const h: NatsHarness = {
    adapter,
    core,
    recipients: consumerId!,
    disallowedSender: disallowed!,
    foreignContexts: {
      amqp: bindingContext('amqp', amqpDestination('bwc', subject)),
      redis: bindingContext('redis', subject),
    },
    isCommitted: (id, name) => replay.has(id, name),
    startConsumer: (o) =>
      startInProcessConsumer(h, {
        ...(o?.work ? { work: o.work } : {}),
        ...(o?.noProgress === true ? { workingIntervalMs: 60_000 } : {}),
      }),
    run,
    nc,
    js,
    sender: sender!,
    disallowed: disallowed!,
    consumerId: consumerId!,
    replay,
    replayPrefix,
    bw,
    streams,
    childConfig: { configPath },
    logPath: join(dir, 'run.log'),
    spySeen: () => seen,
    async close() {
      for (const s of subs) s.unsubscribe();
      await jsm.streams.delete(streams.work).catch(() => false);
      await jsm.streams.delete(streams.dead).catch(() => false);
      for await (const key of redis.scanIterator({ MATCH: `${replayPrefix}*`, COUNT: 1000 })) {
        const keys = Array.isArray(key) ? key : [key];
        if (keys.length > 0) await redis.del(keys);
      }
      await redis.quit();
      await nc.close();
      if (!knobs.keep()) rmSync(dir, { recursive: true, force: true });
    },
  };
  return h;
}
