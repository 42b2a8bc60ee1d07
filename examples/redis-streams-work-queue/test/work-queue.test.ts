/**
 * The Redis Streams example runs end to end against the real Redis (SPEC.md
 * §7b): both jobs reach the worker, the tampered copy is dead-lettered with
 * ERR_OPEN_FAILED. Needs `pnpm build` (it runs on the built packages).
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { probeService } from '@blindwire/testkit';
import { describe, expect, it } from 'vitest';

const redis = await probeService('redis');
const script = fileURLToPath(new URL('../index.mjs', import.meta.url));

describe.skipIf(redis.skip)('examples/redis-streams-work-queue', () => {
  it('delivers both jobs and dead-letters the tampered copy', async () => {
    redis.assertUp();
    const { stdout } = await promisify(execFile)(process.execPath, [script], { timeout: 30_000 });
    expect(stdout).toContain('worker-1 got "resize image 42"');
    expect(stdout).toContain('worker-1 got "transcode video 7"');
    expect(stdout).toContain('dead-lettered: ERR_OPEN_FAILED');
    expect(stdout).not.toMatch(/bw-envelope|BW/);
  });
});
