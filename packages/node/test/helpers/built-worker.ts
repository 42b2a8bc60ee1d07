/**
 * The open pool's workers run the BUILT worker script, dist/open-worker.js
 * (src/open-pool.ts finds it there when it runs from source, as in these
 * tests), so the pool's tests need `pnpm build` first. Missing: the suite is
 * skipped with one line outside CI and fails under CI (@blindwire/testkit's
 * build guard). Older than a file of src/: the suite fails, saying so,
 * rather than test the calling thread of today against yesterday's worker.
 */
import { readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { BUILD_HINT, requireBuild } from '@blindwire/testkit';

const WORKER = fileURLToPath(new URL('../../dist/open-worker.js', import.meta.url));
const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

/**
 * How long a test polls for work that crosses to a worker: a worker's start
 * and a round trip take well under a second, but several on 2 shared cores
 * under load can exceed expect.poll's 1 s default. A ceiling, not a timing.
 */
export const WORKER_WAIT = { timeout: 30_000 };

const status = requireBuild(WORKER, '@blindwire/node (its open pool runs dist/open-worker.js)');

/** Pass `skip` to `describe.skipIf`; call `assertBuilt` in `beforeAll`, before creating a pool. */
export const worker = {
  skip: status.skip,
  assertBuilt(): void {
    status.assertBuilt();
    const built = statSync(WORKER).mtimeMs;
    const newer = readdirSync(SRC).filter((f) => statSync(`${SRC}${f}`).mtimeMs > built);
    if (newer.length > 0)
      throw new Error(
        `packages/node/dist/open-worker.js is older than src/${newer.join(', src/')}; ${BUILD_HINT}`,
      );
  },
};
