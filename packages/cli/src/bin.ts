#!/usr/bin/env node
/**
 * The `blindwire` executable: runs one command line with the real process
 * streams and sets the exit code (0 success, 1 failed, 2 usage error).
 */
import { run } from './cli.js';

process.exitCode = await run(process.argv.slice(2));
