#!/usr/bin/env node
/**
 * The `blindwire` executable: runs one command line with the real process
 * streams and sets the exit code (0 success, 1 failed, 2 usage error, 3-7
 * the failure classes of seal, open and directory get).
 */
import { run } from './cli.js';

// A reader that went away (`blindwire open m.bw | head`): stop at once, as
// programs killed by SIGPIPE do (status 128 + 13), rather than crash.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(141);
  throw e;
});

process.exitCode = await run(process.argv.slice(2));
