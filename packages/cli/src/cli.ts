/**
 * `run(argv, io)`: finds the command, parses its arguments, runs it and maps
 * the outcome to an exit code: 0 success, 1 a failed operation (a
 * `BlindwireError`, printed as `error ERR_CODE: message`), 2 a usage error;
 * `seal`, `open` and `directory get` map a failed operation to 3-7 by its
 * class (exit-codes.ts).
 * Error output never includes a `cause`: client libraries may echo
 * connection strings, and nothing here prints key material.
 */
import { createRequire } from 'node:module';
import { isBlindwireError } from '@blindwire/core';
import { UsageError, commandHelp, parseCommand, type CommandSpec } from './args.js';
import { anchorCreate } from './commands/anchor.js';
import { directoryPrune, directoryPublish, directoryResolve } from './commands/directory.js';
import { directoryGet } from './commands/directory-get.js';
import { identityCreate } from './commands/identity.js';
import { inspectCommand } from './commands/inspect.js';
import { keyRotate } from './commands/key.js';
import { openCommand } from './commands/open.js';
import { revoke } from './commands/revoke.js';
import { sealCommand } from './commands/seal.js';
import { directoryServe } from './commands/serve.js';
import { vectorsVerify } from './commands/vectors.js';
import { ExitCode } from './exit-codes.js';
import { println, resolveIo, type CliIo } from './io.js';

export { ExitCode } from './exit-codes.js';

export const COMMANDS: readonly CommandSpec[] = [
  anchorCreate,
  identityCreate,
  keyRotate,
  directoryPublish,
  directoryResolve,
  directoryGet,
  directoryPrune,
  directoryServe,
  revoke,
  sealCommand,
  openCommand,
  inspectCommand,
  vectorsVerify,
];

function version(): string {
  // src/ and dist/ are both one level below package.json.
  return (createRequire(import.meta.url)('../package.json') as { version: string }).version;
}

function mainHelp(): string {
  const groups = [...new Set(COMMANDS.map((c) => c.name.split(' ')[0]))];
  const width = Math.max(...COMMANDS.map((c) => c.name.length)) + 4;
  const lines = [
    'Usage: blindwire <command> [options]',
    '',
    'Blindwire: trust anchors, identities, keys and directories for end-to-end payload encryption.',
    '',
    'Commands:',
  ];
  for (const c of COMMANDS) lines.push(`  ${c.name.padEnd(width)}${c.summary}`);
  lines.push(
    '',
    'Run "blindwire <command> --help" for the options of one command.',
    '',
    'Exit codes: 0 success, 1 the operation failed (error ERR_CODE: message on stderr), 2 usage error;',
    'seal, open and directory get fail with 3 unreadable or tampered, 4 no usable key, 5 untrusted or not allowed,',
    '6 expired or not yet valid, 7 a file, store or argument problem.',
    `Command groups: ${groups.join(', ')}. Version: blindwire ${version()}`,
  );
  return lines.join('\n') + '\n';
}

function groupHelp(group: string): string {
  const cmds = COMMANDS.filter((c) => c.name.startsWith(group + ' '));
  const lines = [
    `Usage: blindwire ${group} <${cmds.map((c) => c.name.slice(group.length + 1)).join('|')}> [options]`,
    '',
  ];
  for (const c of cmds) lines.push(`  ${c.name.padEnd(22)}${c.summary}`);
  lines.push('', `Run "blindwire ${group} <command> --help" for its options.`);
  return lines.join('\n') + '\n';
}

/** The command `argv` names, and the rest of `argv`; a group name alone is returned as a string. */
function find(
  argv: string[],
): { spec: CommandSpec; rest: string[] } | { group: string; rest: string[] } {
  const [first = '', second = ''] = argv;
  const single = COMMANDS.find((c) => c.name === first);
  if (single) return { spec: single, rest: argv.slice(1) };
  const pair = COMMANDS.find((c) => c.name === `${first} ${second}`);
  if (pair) return { spec: pair, rest: argv.slice(2) };
  if (COMMANDS.some((c) => c.name.startsWith(first + ' '))) {
    if (second === '' || second === '--help' || second === '-h')
      return { group: first, rest: argv.slice(1) };
    throw new UsageError(`unknown command "${first} ${second}"; run "blindwire ${first} --help"`);
  }
  throw new UsageError(`unknown command ${JSON.stringify(first)}; run "blindwire --help"`);
}

/**
 * Runs one `blindwire` command line (`argv` without the node and script
 * paths) and resolves with its exit code. Never throws and never exits the
 * process; the bin sets `process.exitCode` from the result.
 */
export async function run(
  argv: readonly string[],
  ioOptions: Partial<CliIo> = {},
): Promise<number> {
  const io = resolveIo(ioOptions);
  const args = [...argv];
  let spec: CommandSpec | undefined;
  try {
    if (args.length === 0 || args[0] === '--help' || args[0] === '-h' || args[0] === 'help') {
      const topic = args[0] === 'help' ? args.slice(1) : [];
      if (topic.length > 0) return await run([...topic, '--help'], io);
      // No command at all is a usage error: the help goes to stderr.
      (args.length === 0 ? io.stderr : io.stdout).write(mainHelp());
      return args.length === 0 ? ExitCode.Usage : ExitCode.Ok;
    }
    if (args[0] === '--version' || args[0] === '-V') {
      println(io.stdout, version());
      return ExitCode.Ok;
    }
    const found = find(args);
    if ('group' in found) {
      const missing = found.rest.length === 0;
      (missing ? io.stderr : io.stdout).write(groupHelp(found.group));
      return missing ? ExitCode.Usage : ExitCode.Ok;
    }
    const parsed = parseCommand(found.spec, found.rest);
    if (parsed === 'help') {
      io.stdout.write(commandHelp(found.spec));
      return ExitCode.Ok;
    }
    spec = found.spec;
    return await found.spec.run({ io, command: found.spec.name, ...parsed });
  } catch (e) {
    return report(io, e, spec);
  }
}

function report(io: CliIo, e: unknown, spec: CommandSpec | undefined): number {
  if (e instanceof UsageError) {
    println(io.stderr, `usage error: ${e.message}`);
    println(
      io.stderr,
      e.command
        ? `Run "blindwire ${e.command} --help" for usage.`
        : 'Run "blindwire --help" for usage.',
    );
    return ExitCode.Usage;
  }
  if (isBlindwireError(e)) {
    println(io.stderr, `error ${e.code}: ${e.message}`);
    return spec?.exitStatus?.(e) ?? ExitCode.Failed;
  }
  // Not ours: name and errno code only; the message of an unknown error may quote anything.
  const name = e instanceof Error ? e.name : typeof e;
  const code = (e as { code?: unknown })?.code;
  println(
    io.stderr,
    `error: unexpected ${name}${typeof code === 'string' ? ` (${code})` : ''}; please report it`,
  );
  return ExitCode.Failed;
}
