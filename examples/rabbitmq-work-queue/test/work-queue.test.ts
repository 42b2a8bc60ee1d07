/**
 * The RabbitMQ work-queue example runs against the real broker (SPEC.md
 * §7b): three jobs done (one after a retry through the delay queue), the
 * tampered copy dead-lettered with ERR_OPEN_FAILED.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { probeService, requireBuild } from '@blindwire/testkit';
import { describe, expect, it } from 'vitest';

const rabbit = await probeService('rabbitmq');
const dist = (pkg: string) =>
  fileURLToPath(new URL(`../../../packages/${pkg}/dist/index.js`, import.meta.url));
const built = requireBuild(['core', 'amqp'].map(dist), '@blindwire/core and amqp');

describe.skipIf(rabbit.skip || built.skip)('example: rabbitmq-work-queue', () => {
  it('prints the jobs done and the dead-lettered copy', async () => {
    rabbit.assertUp();
    built.assertBuilt();
    const script = fileURLToPath(new URL('../index.mjs', import.meta.url));
    const { stdout } = await promisify(execFile)(process.execPath, [script], { timeout: 30_000 });
    const lines = stdout.trim().split('\n');
    expect(lines.filter((l) => l.startsWith('done: '))).toEqual([
      'done: resize photo 1 (from spiffe://example.org/agent, attempt 1)',
      'done: resize photo 2 (from spiffe://example.org/agent, attempt 2)',
      'done: resize photo 3 (from spiffe://example.org/agent, attempt 1)',
    ]);
    expect(lines.at(-1)).toMatch(/^dead-lettered: ERR_OPEN_FAILED \(\d+ bytes, unchanged\)$/);
  }, 60_000);
});
