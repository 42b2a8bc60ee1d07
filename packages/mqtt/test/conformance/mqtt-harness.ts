/**
 * The MQTT adapter of the conformance harness (SPEC.md §7b, §11b, §11c),
 * against Mosquitto on 127.0.0.1:1883: per run, a work topic
 * `bwc/<run>/jobs`, its dead-letter topic `bw-dlq/bwc/<run>/jobs` read by a
 * subscriber of the test's own (online from the set-up on: MQTT keeps nothing
 * for a topic nobody reads), a key prefix for the shared Redis replay store,
 * and a spy subscribed to `bwc/<run>/#` and the dead-letter topic at QoS 1
 * that sees every message the broker forwards, payload and properties: a
 * process of its own (spy-child.mjs), read up to a mark on each call.
 *
 * The child holds 16 persistent sessions that share one subscription of the
 * work topic, created here before anything is published: Mosquitto queues at
 * most 1,000 messages per offline session (`max_queued_messages`) and drops
 * the rest without telling anyone, and the harness publishes its 10,000
 * messages before the child first connects. MQTT has no count of unsettled
 * messages: `pending()` counts them from both ends (settlements.ts).
 */
import {
  closeSync,
  fstatSync,
  mkdtempSync,
  openSync,
  readSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
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
import {
  createMqttBinding,
  messageProperties,
  readHint,
  type MqttBinding,
  type MqttPublishProperties,
} from '@blindwire/mqtt';
import { createRedisReplayStore } from '@blindwire/replay';
import {
  knobs,
  sleep,
  spawnNodeChild,
  waitForLine,
  type CaseName,
  type ConformanceTarget,
  type DeadLetter,
  type StoredMessage,
} from '@blindwire/testkit';
import mqtt from 'mqtt';
import { createClient } from 'redis';
import { startMqttConsumer } from './in-process.js';
import { createSettlements, type Settlements } from './settlements.js';
import { core } from './shared.js';

export const MQTT_URL = 'mqtt://127.0.0.1:1883';
export const REDIS_URL = 'redis://127.0.0.1:6379';
const CHILD = fileURLToPath(new URL('./consumer-child.mjs', import.meta.url));
const SPY = fileURLToPath(new URL('./spy-child.mjs', import.meta.url));
/** The child's sessions: 10,000 messages and the replays over 16 stay under 1,000 each. */
const SESSIONS = 16;
/** The kinds whose run consumes through the child. */
const CHILD_KINDS: CaseName[] = ['nothing-lost', 'faulty-consumer', 'blindness'];

export interface MqttHarness extends ConformanceTarget {
  run: string;
  url: string;
  redisUrl: string;
  /** The work topic. */
  topic: string;
  publisher: mqtt.MqttClient;
  bw: MqttBinding;
  sender: Identity;
  disallowed: Identity;
  consumerId: Identity;
  replay: ReplayStore;
  replayPrefix: string;
  settlements: Settlements;
}

/** Properties as carried, one `key: value` line each (user properties included), for the spy. */
function propertyText(p: MqttPublishProperties | undefined): string {
  const lines: string[] = [];
  for (const [k, v] of Object.entries(p ?? {})) {
    if (k === 'userProperties')
      for (const [uk, uv] of Object.entries(v as Record<string, string | string[]>))
        for (const one of [uv].flat()) lines.push(`${uk}: ${one}`);
    else lines.push(`${k}: ${Buffer.isBuffer(v) ? v.toString('latin1') : String(v)}`);
  }
  return lines.join('\n');
}

interface Spy {
  /**
   * What the spy saw since the last call: first a mark published after
   * everything before it and awaited in the spy's file, so that the spy has
   * caught up with what the broker forwarded before the call.
   */
  read(publisher: mqtt.MqttClient, markTopic: string): Promise<StoredMessage[]>;
  stop(): Promise<void>;
}

/** Starts spy-child.mjs on `filters`, appending to `out`; resolves once it is subscribed. */
async function startSpy(out: string, filters: string[]): Promise<Spy> {
  writeFileSync(out, '');
  const child = spawnNodeChild(SPY, [out, ...filters], { env: { BWC_MQTT_URL: MQTT_URL } });
  await waitForLine(`${out}.ready`, 'ready', { timeoutMs: 30_000, child });
  let offset = 0;
  let partial = '';
  let marks = 0;
  const readNew = (): string[] => {
    const fd = openSync(out, 'r');
    try {
      const size = fstatSync(fd).size;
      const buf = Buffer.alloc(size - offset);
      readSync(fd, buf, 0, buf.length, offset);
      offset = size;
      const lines = (partial + buf.toString('utf8')).split('\n');
      partial = lines.pop() ?? '';
      return lines;
    } finally {
      closeSync(fd);
    }
  };
  return {
    async read(publisher, markTopic) {
      const mark = `spy-mark ${++marks}`;
      await publisher.publishAsync(markTopic, Buffer.from(mark), { qos: 1 });
      const got: StoredMessage[] = [];
      const t1 = Date.now();
      for (let seen = false; !seen;) {
        if (Date.now() - t1 > 60_000) throw new Error('the MQTT spy did not catch up in 60 s');
        await sleep(20);
        for (const line of readNew()) {
          const m = JSON.parse(line) as SpyLine;
          const body = Buffer.from(m.body, 'base64');
          if (m.topic === markTopic) {
            seen ||= body.toString() === mark;
            continue;
          }
          const props = Object.fromEntries(
            Object.entries(m.properties).map(([k, v]) => [
              k,
              typeof v === 'object' && v !== null && 'b64' in v
                ? Buffer.from(String(v.b64), 'base64')
                : v,
            ]),
          ) as MqttPublishProperties;
          got.push({
            where: `spy ${m.topic}`,
            body,
            headers: Buffer.from(propertyText(props), 'latin1'),
          });
        }
      }
      return got;
    },
    async stop() {
      child.kill('SIGTERM');
      await child.exited;
    },
  };
}

interface SpyLine {
  topic: string;
  body: string;
  properties: Record<string, unknown>;
}

/** Creates `SESSIONS` offline persistent sessions sharing one subscription of `filter`. */
async function createSessions(ids: string[], filter: string): Promise<void> {
  for (const clientId of ids) {
    const c = await mqtt.connectAsync(MQTT_URL, {
      protocolVersion: 5,
      clientId,
      clean: false,
      properties: { sessionExpiryInterval: 600 },
    });
    await c.subscribeAsync(filter, { qos: 1 });
    await c.endAsync();
  }
}

/** Ends persistent sessions (a clean connect with no expiry). */
async function endSessions(ids: string[]): Promise<void> {
  for (const clientId of ids) {
    const c = await mqtt.connectAsync(MQTT_URL, { protocolVersion: 5, clientId, clean: true });
    await c.endAsync();
  }
}

export async function createMqttHarness(kind: CaseName): Promise<MqttHarness> {
  const run = randomBytes(6).toString('hex');
  const topic = `bwc/${run}/jobs`;
  const deadTopic = `bw-dlq/${topic}`;
  const [sender, disallowed, consumerId] = (await Promise.all(
    ['agent.sender', 'agent.stranger', 'worker.consumer'].map((n) =>
      generateIdentity(`spiffe://conformance.test/${n}-${run}`, { backend: nodeBackend }),
    ),
  )) as [Identity, Identity, Identity];
  const dir = mkdtempSync(join(tmpdir(), `bwc-${run}-`));
  const logPath = join(dir, 'run.log');
  const settlements = createSettlements(`${logPath}.acks`);
  const redis = createClient({ url: REDIS_URL });
  await redis.connect();
  const replayPrefix = `bwc:${run}:mqtt-replay:`;
  const replay = createRedisReplayStore({ client: redis, prefix: replayPrefix });

  // The spy and the dead-letter reader, online before anything is published.
  const spy = await startSpy(join(dir, 'spy.jsonl'), [`bwc/${run}/#`, `${deadTopic}/#`, deadTopic]);
  const dead: DeadLetter[] = [];
  const deadReader = await mqtt.connectAsync(MQTT_URL, {
    protocolVersion: 5,
    properties: { receiveMaximum: 65535 },
  });
  deadReader.on('message', (_t, payload, packet) => {
    const p = packet.properties as MqttPublishProperties | undefined;
    dead.push({
      bytes: payload,
      reason: readHint(p, 'bw-reason'),
      messageId: readHint(p, 'bw-message-id'),
    });
  });
  await deadReader.subscribeAsync(deadTopic, { qos: 1 });

  const sessions = CHILD_KINDS.includes(kind)
    ? Array.from({ length: SESSIONS }, (_, i) => `bwc-${run}-s${i}`)
    : [];
  const filter = `$share/bwc${run}/${topic}`;
  const redeliverId = `bwc-${run}-redeliver`;
  await createSessions(sessions, filter);

  const publisher = await mqtt.connectAsync(MQTT_URL, { protocolVersion: 5 });
  const bw = createMqttBinding(publisher, { sender, backend: nodeBackend });
  const configPath = join(dir, 'config.json');
  const childConfig = {
    url: MQTT_URL,
    redisUrl: REDIS_URL,
    replayPrefix,
    topic,
    filter,
    sessions,
    acksPath: `${logPath}.acks`,
    identity: exportIdentity(consumerId),
    trusted: [exportPublicIdentity(sender), exportPublicIdentity(disallowed)],
    allowedSenders: [sender.name],
    leaseMs: 4000,
    retry: { maxAttempts: 5, backoffMs: 200, maxBackoffMs: 1000 },
  };
  writeFileSync(configPath, JSON.stringify(childConfig), { mode: 0o600 });

  const adapter: ConformanceTarget['adapter'] = {
    binding: 'mqtt',
    destination: topic,
    otherDestination: `bwc/${run}/other`,
    deadLetterDestination: deadTopic,
    context: (d) => bindingContext('mqtt', d),
    async publishRaw(destination, bytes, hints) {
      const properties = hints?.messageId === undefined ? {} : messageProperties(hints.messageId);
      if (destination === topic) settlements.published(bytes, hints?.messageId);
      await publisher.publishAsync(destination, Buffer.from(bytes), { qos: 1, properties });
    },
    async publishSealed(destination, payload) {
      const r = await bw.publish(destination, payload, { to: consumerId });
      if (destination === topic) settlements.published(new Uint8Array(0), r.messageId);
      return { messageId: r.messageId };
    },
    startConsumerChild: async (c) =>
      spawnNodeChild(CHILD, [configPath, c.logPath, String(c.incarnation)], {
        env: typeof c.config.fault === 'string' ? { BW_CHILD_FAULT: c.config.fault } : {},
      }),
    readStored: () => spy.read(publisher, `bwc/${run}/spy-mark`),
    readDeadLetters: async () => [...dead],
    pending: async () => settlements.pending(),
  };

  const h: MqttHarness = {
    adapter,
    core,
    recipients: consumerId,
    disallowedSender: disallowed,
    foreignContexts: {
      nats: bindingContext('nats', `bwc.${run}.jobs`),
      amqp: bindingContext('amqp', amqpDestination('bwc', topic)),
      redis: bindingContext('redis', topic),
    },
    isCommitted: (id, name) => replay.has(id, name),
    // The redelivery case takes the first consumer's session over: it must be persistent.
    startConsumer: (options) =>
      startMqttConsumer(h, kind === 'redelivery' ? { clientId: redeliverId, ...options } : options),
    run,
    url: MQTT_URL,
    redisUrl: REDIS_URL,
    topic,
    publisher,
    bw,
    sender,
    disallowed,
    consumerId,
    replay,
    replayPrefix,
    settlements,
    childConfig: { configPath },
    logPath,
    async close() {
      await endSessions(kind === 'redelivery' ? [...sessions, redeliverId] : sessions);
      await spy.stop();
      await Promise.all([deadReader, publisher].map((c) => c.endAsync()));
      for await (const keys of redis.scanIterator({ MATCH: `${replayPrefix}*`, COUNT: 1000 })) {
        const batch = ([] as string[]).concat(keys);
        if (batch.length > 0) await redis.unlink(batch);
      }
      await redis.quit();
      if (!knobs.keep()) rmSync(dir, { recursive: true, force: true });
    },
  };
  return h;
}
