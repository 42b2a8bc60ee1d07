/**
 * What every conformance file of the RabbitMQ suite shares (SPEC.md §7b):
 * the service and build guards, and core's `seal` / `inspect` for the
 * harness's workload (the test kit imports no workspace package).
 */
import { inspect, seal, type SealOptions } from '@blindwire/core';
import { nodeBackend } from '@blindwire/core/backend/node';
import { probeService, requireBuild, type CoreFunctions } from '@blindwire/testkit';
import { fileURLToPath } from 'node:url';

export const AMQP_URL = 'amqp://guest:guest@127.0.0.1:5672';
export const REDIS_URL = 'redis://127.0.0.1:6379';
export const EXCHANGE = 'amq.direct';

export const rabbit = await probeService('rabbitmq');
export const redis = await probeService('redis');
const dist = (pkg: string) =>
  fileURLToPath(new URL(`../../../${pkg}/dist/index.js`, import.meta.url));
/** The consumer child runs on the built packages. */
export const built = requireBuild(
  ['core', 'amqp', 'replay', 'testkit'].map(dist),
  '@blindwire/core, amqp, replay and testkit',
);
export const skip = rabbit.skip || redis.skip || built.skip;

export function assertReady(): void {
  rabbit.assertUp();
  redis.assertUp();
  built.assertBuilt();
}

export const core: CoreFunctions = {
  seal: (payload, o) => seal(payload, { ...(o as SealOptions), backend: nodeBackend }),
  inspect: (e) => inspect(e),
};
