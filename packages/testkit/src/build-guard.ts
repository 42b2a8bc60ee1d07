/**
 * The build guard: a suite that needs built output (a package's dist/, run
 * in a child process or imported as Node resolves it) asks for it here.
 * Under CI (`CI=true`) a missing build fails the suite, because CI builds
 * first and a silent skip would hide a broken build; elsewhere the suite is
 * skipped with one console line saying how to build.
 *
 *   const built = requireBuild([dist('index.js')], 'core');
 *   describe.skipIf(built.skip)('streams in a child process', () => {
 *     beforeAll(() => built.assertBuilt());
 *     ...
 */
import { existsSync } from 'node:fs';
import { isCI } from './env.js';

export interface BuildStatus {
  /** Every required file exists. */
  readonly built: boolean;
  /** Pass to `describe.skipIf`: true only outside CI when a file is missing. */
  readonly skip: boolean;
  /** The missing files (absolute paths, as given). */
  readonly missing: readonly string[];
  /** Call in `beforeAll` (or the test): throws, failing the suite, when a file is missing. */
  assertBuilt(): void;
}

/** For the kit's own tests: another environment, file check or console. */
export interface BuildGuardOptions {
  env?: NodeJS.ProcessEnv;
  exists?: (path: string) => boolean;
  warn?: (line: string) => void;
}

/** The one-line hint: the root build builds every package in dependency order. */
export const BUILD_HINT = 'run `pnpm build` at the repository root';

/**
 * Checks that the built `files` exist; `what` names the build in the message
 * (e.g. '@blindwire/core'). Outside CI a missing build is reported in one
 * line and skipped; under CI it is not skipped and `assertBuilt` fails.
 */
export function requireBuild(
  files: string | readonly string[],
  what: string,
  options: BuildGuardOptions = {},
): BuildStatus {
  const list = typeof files === 'string' ? [files] : files;
  const missing = list.filter((f) => !(options.exists ?? existsSync)(f));
  const built = missing.length === 0;
  const ci = isCI(options.env);
  const why = `${what} is not built (missing ${missing.join(', ')})`;
  if (!built && !ci) (options.warn ?? console.warn)(`[skipped] ${why}; ${BUILD_HINT}`);
  return {
    built,
    skip: !built && !ci,
    missing,
    assertBuilt() {
      if (!built)
        throw new Error(`${why} (CI=true, so this fails rather than skips); ${BUILD_HINT}`);
    },
  };
}
