/**
 * The binding conformance suite (SPEC.md §7b, §11b, §11c; the cases are the
 * test kit's, harness/README.md) on MQTT 5 against Mosquitto: the adapter
 * and runs of mqtt-harness.ts, a child holding 16 persistent QoS 1 sessions
 * of one shared subscription (each incarnation takes them over, so the
 * broker sends again what a killed one held), the spy subscribed to the
 * run's topics. The redelivery before the ack: the first consumer's
 * connection is dropped while its handler runs, and a new consumer takes
 * over its session.
 */
import { nodeBackend } from '@blindwire/core/backend/node';
import { createMqttBinding } from '@blindwire/mqtt';
import { defineConformanceSuite, type ConformanceSuite } from '@blindwire/testkit';
import * as vitest from 'vitest';
import { startMqttConsumer, type MqttInProcessConsumer } from './in-process.js';
import { createMqttHarness, type MqttHarness } from './mqtt-harness.js';
import { assertReady, skip } from './shared.js';

/** The limit the publishers enforce (Mosquitto announces none: MQTT's own is 256 MiB). */
const MAX_PACKET_BYTES = 64 * 1024;

export const mqttSuite: ConformanceSuite<MqttHarness> = {
  name: 'mqtt',
  skip,
  assertReady,
  setup: (kind) => createMqttHarness(kind),
  blindness: {
    publishInClear: async (h, plaintext, name) => {
      h.settlements.published(plaintext);
      await h.publisher.publishAsync(h.topic, Buffer.from(plaintext), {
        qos: 1,
        properties: { userProperties: { 'x-note': name } },
      });
    },
  },
  redeliver: async (h, first) => {
    // Drop the first consumer's connection mid-handler; a new one takes over the session.
    await (first as MqttInProcessConsumer).drop();
    return [await h.startConsumer()];
  },
  limits: (h) => ({
    maxBytes: MAX_PACKET_BYTES,
    backend: nodeBackend,
    publishers: (backend) => {
      const bw = createMqttBinding(h.publisher, {
        sender: h.sender,
        backend: backend as typeof nodeBackend,
        maxPacketBytes: MAX_PACKET_BYTES,
      });
      return {
        publish: async (payload) => {
          const r = await bw.publish(h.topic, payload, { to: h.consumerId });
          h.settlements.published(new Uint8Array(0), r.messageId);
          return r;
        },
      };
    },
  }),
  // MQTT fans out: two plain subscriptions each receive every message at once.
  concurrency: {
    start: async (h, work) => ({
      consumers: [await startMqttConsumer(h, { work }), await startMqttConsumer(h, { work })],
      destination: h.topic,
      copies: 1,
      expectInFlight: true,
      pending: () => h.adapter.pending(),
    }),
  },
};

defineConformanceSuite(vitest, mqttSuite);
