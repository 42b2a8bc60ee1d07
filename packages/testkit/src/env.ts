/**
 * Whether the tests run under CI (`CI=true` or `CI=1`): there, a missing
 * service or a missing build fails a suite instead of skipping it.
 */

/** `CI=true` or `CI=1` in `env` (default: this process's environment). */
export function isCI(env: NodeJS.ProcessEnv = process.env): boolean {
  return env['CI'] === 'true' || env['CI'] === '1';
}
