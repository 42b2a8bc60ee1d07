/**
 * @blindwire/cli: the `blindwire` command. The library entry exists so the
 * command can be run in-process (tests, embedding): `run(argv, io)` resolves
 * with the exit code and writes only to the streams in `io`.
 *
 * @module @blindwire/cli
 */
export { run, ExitCode } from './cli.js';
export type { CliIo, CliWriter } from './io.js';
