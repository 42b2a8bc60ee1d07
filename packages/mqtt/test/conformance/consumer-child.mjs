/**
 * The consumer child of the MQTT conformance suite (SPEC.md §7b), run with
 * plain `node` on the built packages (dist/):
 * `node consumer-child.mjs <config.json> <run.log> <incarnation>`.
 *
 * It holds the run's persistent sessions (MQTT 5, QoS 1), each an mqtt.js
 * client with @blindwire/mqtt's handleMessage, all members of one shared
 * subscription of the work topic (`$share/<group>/<topic>`), with one
 * dead-letter client and the shared Redis replay store; it appends to the
 * run log (`R` once consuming, `H` from the handler before it returns, `E`
 * per consume event) and one message id per acknowledgement to
 * `<run.log>.acks`. Every incarnation takes over the same sessions, so the
 * broker sends again what a killed one held. The handler checks that it got
 * an opened plaintext (the workload's `P:` prefix), never ciphertext.
 * SIGTERM stops it cleanly; the harness SIGKILLs it to simulate a crash.
 */
import { openSync, readFileSync, writeSync } from 'node:fs';
import { importIdentity, importPublicIdentity } from '@blindwire/core';
import { nodeBackend } from '@blindwire/core/backend/node';
import { createMqttBinding } from '@blindwire/mqtt';
import { createRedisReplayStore } from '@blindwire/replay';
import { PLAINTEXT_PREFIX, openRunLog } from '@blindwire/testkit';
import mqtt from 'mqtt';
import { createClient } from 'redis';

const [configPath, logPath, incarnation] = process.argv.slice(2);
const c = JSON.parse(readFileSync(configPath, 'utf8'));
const log = openRunLog(logPath, Number(incarnation));
const acks = openSync(c.acksPath, 'a');
const MARKER = new TextEncoder().encode(PLAINTEXT_PREFIX);

const redis = createClient({ url: c.redisUrl });
await redis.connect();
const replay = createRedisReplayStore({ client: redis, prefix: c.replayPrefix });
const me = await importIdentity(c.identity, { backend: nodeBackend });
const trusted = await Promise.all(
  c.trusted.map((j) => importPublicIdentity(j, { backend: nodeBackend })),
);
const deadLetterClient = await mqtt.connectAsync(c.url, { protocolVersion: 5 });

const handler = async (m) => {
  const opened = MARKER.every((b, i) => m.payload[i] === b);
  if (!opened) {
    log.stray(`NOT-PLAINTEXT ${incarnation} ${m.messageId}`);
    throw new Error('not an opened plaintext');
  }
  log.handled(m.messageId);
  await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 5)));
};

const clients = [];
const connected = [];
const subscribing = c.sessions.map((clientId) => {
  const client = mqtt.connect(c.url, {
    protocolVersion: 5,
    clientId,
    clean: false,
    properties: { sessionExpiryInterval: 600 },
    reconnectPeriod: 500,
  });
  clients.push(client);
  connected.push(new Promise((resolve) => client.once('connect', resolve)));
  const bw = createMqttBinding(client, {
    recipient: me.encryption,
    trustedSenders: trusted,
    replay,
    replayLeaseMs: c.leaseMs,
    policy: [{ match: c.topic, allowedSenders: c.allowedSenders }],
    deadLetterClient,
    onEvent: (e) => {
      if (e.verb === 'subscribe') log.event(e);
      else if (e.verb === 'ack' && e.outcome === 'sent') writeSync(acks, `${e.messageId ?? '-'}\n`);
    },
    retry: c.retry,
    backend: nodeBackend,
  });
  // In the tick that connects: the session's waiting messages follow the CONNACK at once.
  client.handleMessage = bw.handleMessage;
  return bw.subscribe(c.filter, handler);
});
// Consuming from the CONNACK on: a resumed session that held unacknowledged messages gets
// its SUBACK from Mosquitto only after its whole backlog (the subscription is the session's).
const subs = Promise.all(subscribing);
subs.catch((e) => {
  log.stray(`SUBSCRIBE-FAILED ${incarnation} ${e?.code ?? 'error'}`);
  process.exit(1);
});
await Promise.all(connected);
log.ready();

process.once('SIGTERM', () => {
  void (async () => {
    await Promise.all((await subs).map((s) => s.unsubscribe().catch(() => undefined)));
    await Promise.all([...clients, deadLetterClient].map((x) => x.endAsync()));
    await redis.quit();
    log.close();
    process.exit(0);
  })();
});
