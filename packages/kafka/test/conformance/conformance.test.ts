/**
 * The binding conformance suite (SPEC.md §7b, §11b, §11c; the cases are the
 * test kit's, harness/README.md) on Kafka: KafkaJS 2.2.4 clients over TCP
 * against the test broker (or `KAFKA_BROKERS`), the adapter and runs of
 * kafka-harness.ts, the child a member of the group `workers` that resumes
 * from the committed offset after a kill, the spy a consumer of its own group
 * reading both topics from offset 0.
 */
import { nodeBackend } from '@blindwire/core/backend/node';
import { createKafkaBinding, createKafkaSerializer } from '@blindwire/kafka';
import { defineConformanceSuite, type ConformanceSuite } from '@blindwire/testkit';
import * as vitest from 'vitest';
import { startKafkaConsumer } from './in-process.js';
import { createKafkaHarness, type KafkaHarness } from './kafka-harness.js';
import { assertReady, skip } from './shared.js';

const MAX_MESSAGE_BYTES = 64 * 1024;

export const kafkaSuite: ConformanceSuite<KafkaHarness> = {
  name: 'kafka',
  skip,
  assertReady,
  setup: () => createKafkaHarness(),
  faultyConsumer: true,
  blindness: {
    publishInClear: async (h, plaintext, name) => {
      await h.producer.send({
        topic: h.topics.work,
        messages: [{ value: Buffer.from(plaintext), headers: { 'x-note': name } }],
      });
    },
  },
  limits: (h) => ({
    maxBytes: MAX_MESSAGE_BYTES,
    backend: nodeBackend,
    publishers: (backend) => {
      const options = {
        sender: h.sender,
        backend: backend as typeof nodeBackend,
        maxMessageBytes: MAX_MESSAGE_BYTES,
      };
      const bw = createKafkaBinding({ producer: h.producer }, options);
      const ser = createKafkaSerializer({ ...options, to: h.consumerId });
      return {
        send: async (payload) => {
          const r = await bw.send(
            { topic: h.topics.work, messages: [{ value: payload }] },
            {
              to: h.consumerId,
            },
          );
          return { bytes: r.messages[0]!.bytes };
        },
        serializer: async (payload) => {
          const headers = {};
          const value = await ser.serialize(h.topics.work, payload, headers);
          await h.producer.send({ topic: h.topics.work, messages: [{ value, headers }] });
          return { bytes: value.length };
        },
      };
    },
  }),
  // A fan-out: two consumer groups read every record of the topic at once,
  // over one replay store: one handler call per id, the other group waits
  // (in flight) or finds it done.
  concurrency: {
    count: 10,
    workMs: 400,
    start: async (h, work) => ({
      consumers: [
        await startKafkaConsumer(h, { group: `fan-a-${h.run}`, work }),
        await startKafkaConsumer(h, { group: `fan-b-${h.run}`, work }),
      ],
      destination: h.topics.work,
      copies: 1,
      expectInFlight: true,
      pending: async () =>
        (await h.pendingOf(`fan-a-${h.run}`)) + (await h.pendingOf(`fan-b-${h.run}`)),
    }),
  },
  stats: { replay: { retried: 0, unsettled: 0 }, context: { acked: 5 } },
};

defineConformanceSuite(vitest, kafkaSuite);
