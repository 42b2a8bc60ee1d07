/**
 * What every conformance file of the Kafka suite shares (SPEC.md §7b): the
 * service and build guards (Redis holds the shared replay store; Kafka is
 * `KAFKA_BROKERS` or the test broker started per run), core's `seal` /
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
/** The consumer child runs on the built packages (the test broker runs in this process). */
export const built = requireBuild(
  [
    'core/dist/index.js',
    'kafka/dist/index.js',
    'replay/dist/index.js',
    'testkit/dist/index.js',
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
 * timeout (Kafka refuses sessions under 6 s; the test broker takes shorter).
 */
export const GROUP_TIMINGS = process.env['KAFKA_BROKERS']
  ? { sessionTimeout: 6000, heartbeatInterval: 1000, rebalanceTimeout: 10_000 }
  : { sessionTimeout: 2000, heartbeatInterval: 300, rebalanceTimeout: 4000 };
