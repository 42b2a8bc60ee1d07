/**
 * What every conformance file of the MQTT suite shares (SPEC.md §7b): the
 * service guards (Mosquitto, and Redis for the shared replay store) and the
 * build guard of the packages the child runs on, and core's `seal` /
 * `inspect` for the harness's workload (the test kit imports no workspace
 * package, so they are passed in).
 */
import { inspect, seal, type SealOptions } from '@blindwire/core';
import { nodeBackend } from '@blindwire/core/backend/node';
import { probeService, requireBuild, type CoreFunctions } from '@blindwire/testkit';
import { fileURLToPath } from 'node:url';

export const mosquitto = await probeService('mosquitto');
export const redis = await probeService('redis');
const dist = (pkg: string) =>
  fileURLToPath(new URL(`../../../${pkg}/dist/index.js`, import.meta.url));
/** The consumer child runs on the built packages. */
export const built = requireBuild(
  ['core', 'mqtt', 'replay', 'testkit'].map(dist),
  '@blindwire/core, mqtt, replay and testkit',
);
export const skip = mosquitto.skip || redis.skip || built.skip;

export function assertReady(): void {
  mosquitto.assertUp();
  redis.assertUp();
  built.assertBuilt();
}

export const core: CoreFunctions = {
  seal: (payload, o) => seal(payload, { ...(o as SealOptions), backend: nodeBackend }),
  inspect: (e) => inspect(e),
};
