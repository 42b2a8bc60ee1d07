/**
 * The Kafka example runs end to end (SPEC.md §7b): against `KAFKA_BROKERS`,
 * or the test broker it starts itself. Both jobs reach the worker, the
 * tampered copy is dead-lettered with ERR_OPEN_FAILED. Needs `pnpm build`
 * (it runs on the built packages).
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { requireBuild } from '@blindwire/testkit';
import { describe, expect, it } from 'vitest';

const script = fileURLToPath(new URL('../index.mjs', import.meta.url));
const dist = (p: string) => fileURLToPath(new URL(`../../../packages/${p}`, import.meta.url));
const built = requireBuild(
  ['core/dist/index.js', 'kafka/dist/index.js', 'testkit/dist/kafka-broker/main.js'].map(dist),
  '@blindwire/core, kafka and testkit',
);

describe.skipIf(built.skip)('examples/kafka-work-queue', () => {
  it('delivers both jobs and dead-letters the tampered copy', async () => {
    built.assertBuilt();
    const { stdout } = await promisify(execFile)(process.execPath, [script], { timeout: 60_000 });
    expect(stdout).toContain(
      'worker got "resize image 42" from spiffe://example.org/agent (key image-42)',
    );
    expect(stdout).toContain('worker got "transcode video 7"');
    expect(stdout).toContain('dead-lettered: ERR_OPEN_FAILED');
  });
});
