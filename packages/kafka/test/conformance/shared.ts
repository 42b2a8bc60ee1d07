/**
 * What every conformance file of the Kafka suite shares (SPEC.md §7b): the
 * service and build guards (Redis holds the shared replay store; Kafka is
 * `KAFKA_BROKERS` or the test broker started per run from the built test
 * kit, ../brokers.ts), core's `seal` /
 * `inspect` for the harness's workload (the test kit imports no workspace
 * package), and the consumer group timings.
 */
import { inspect, seal, type SealOptions } from '@blindwire/core';
import { nodeBackend } from '@blindwire/core/backend/node';
import { probeService, requireBuild, type CoreFunctions } from '@blindwire/testkit';
import { fileURLToPath } from 'node:url';

export const REDIS_URL = 'redis://127.0.0.1:6379';

export const redis = await probeService('redis');
const dist = (path: string) => fileURLToPath(new URL(`../../../${path}`, import.meta.url));
/** The consumer child and the test broker run on the built packages. */
export const built = requireBuild(
  [
    'core/dist/index.js',
    'kafka/dist/index.js',
    'replay/dist/index.js',
    'testkit/dist/index.js',
    'testkit/dist/kafka-broker/main.js',
  ].map(dist),
  '@blindwire/core, kafka, replay and testkit',
);
export const skip = redis.skip || built.skip;

export function assertReady(): void {
  redis.assertUp();
  built.assertBuilt();
}

export const core: CoreFunctions = {
  seal: (payload, o) => seal(payload, { ...(o as SealOptions), backend: nodeBackend }),
  inspect: (e) => inspect(e),
};

/**
 * Group timings: a killed child's member leaves the group after its session
 * timeout, Kafka's smallest by default (6 s): a shorter one expires under a
 * loaded machine's pauses, and the rebalance then hands records settled but
 * not yet committed to the group again. Short fetch long-polls, so that
 * stopping a consumer is quick.
 */
export const GROUP_TIMINGS = {
  sessionTimeout: 6000,
  heartbeatInterval: 1000,
  rebalanceTimeout: 10_000,
  maxWaitTimeInMs: 200,
};
