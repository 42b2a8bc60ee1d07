/**
 * In-process consumers of the MQTT conformance suite (SPEC.md §7b): each on
 * an mqtt.js client of its own (MQTT 5, QoS 1, the binding's handleMessage)
 * with a dead-letter client and a Redis client for the run's shared replay
 * store, recording its handler calls, consume events and acknowledgements.
 * A plain subscription of the work topic: two of them each receive every
 * message (MQTT fans out). With a `clientId`, the session is persistent, so
 * that another consumer can take it over (the redelivery case).
 */
import { publicIdentity } from '@blindwire/core';
import { nodeBackend } from '@blindwire/core/backend/node';
import { createMqttBinding, type MqttConsumeEvent, type MqttClientLike } from '@blindwire/mqtt';
import { createRedisReplayStore } from '@blindwire/replay';
import type { ConsumerOptions, InProcessConsumer } from '@blindwire/testkit';
import mqtt from 'mqtt';
import { createClient } from 'redis';
import type { MqttHarness } from './mqtt-harness.js';

export interface MqttConsumerOptions extends ConsumerOptions {
  /** A persistent session of this client id (default a clean session). */
  clientId?: string;
}

export interface MqttInProcessConsumer extends InProcessConsumer {
  /** Drops the connection without DISCONNECT, as a crash would (the handler keeps running). */
  drop(): Promise<void>;
}

const end = (c: MqttClientLike, force = false) =>
  new Promise<void>((r) => (c as unknown as mqtt.MqttClient).end(force, {}, () => r()));

export async function startMqttConsumer(
  h: MqttHarness,
  o: MqttConsumerOptions = {},
): Promise<MqttInProcessConsumer> {
  const redis = createClient({ url: h.redisUrl });
  await redis.connect();
  const deadLetterClient = await mqtt.connectAsync(h.url, { protocolVersion: 5 });
  const calls: string[] = [];
  const events: MqttConsumeEvent[] = [];
  const client = mqtt.connect(h.url, {
    protocolVersion: 5,
    reconnectPeriod: 0,
    ...(o.clientId === undefined
      ? {}
      : { clientId: o.clientId, clean: false, properties: { sessionExpiryInterval: 600 } }),
  });
  const bw = createMqttBinding(client, {
    recipient: h.consumerId,
    trustedSenders: [publicIdentity(h.sender), publicIdentity(h.disallowed)],
    replay: createRedisReplayStore({ client: redis, prefix: h.replayPrefix }),
    replayLeaseMs: 5000,
    policy: [{ match: h.topic, allowedSenders: [h.sender.name] }],
    retry: { maxAttempts: 5, backoffMs: 100, maxBackoffMs: 200 },
    deadLetterClient,
    onEvent: (e) => {
      if (e.verb === 'subscribe') events.push(e);
      else if (e.verb === 'ack' && e.outcome === 'sent') h.settlements.acked(e.messageId);
    },
    backend: nodeBackend,
  });
  // In the tick that connects: a resumed session's messages follow the CONNACK at once.
  client.handleMessage = bw.handleMessage;
  const sub = await bw.subscribe(h.topic, async (m) => {
    calls.push(m.messageId);
    await o.work?.(m.messageId);
  });
  let closed: Promise<void> | undefined;
  let dropped: Promise<void> | undefined;
  return {
    calls,
    events,
    stats: () => ({ ...sub.stats }),
    drop: () => (dropped ??= end(client, true)),
    close: () =>
      (closed ??= (async () => {
        // A dropped client neither unsubscribes nor ends again (mqtt.js would not call back).
        if (dropped === undefined) await sub.unsubscribe().catch(() => undefined);
        await Promise.all([dropped ?? end(client), end(deadLetterClient)]);
        await redis.quit();
      })()),
  };
}
