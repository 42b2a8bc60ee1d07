/**
 * What a command may touch of the outside world. `run(argv, io)` takes a
 * partial `CliIo` so tests capture output in-process; the bin passes nothing
 * and gets the real process streams, environment, working directory and
 * signals.
 */
import { concat } from '@blindwire/core/internal';

/** An output stream of `run`: stdout or stderr. */
export interface CliWriter {
  /** Text from every command; bytes from `seal` and `open` (stdout only). */
  write(chunk: string | Uint8Array): unknown;
  /**
   * True for a terminal: `seal` then refuses to write binary to stdout, and
   * `seal` and `open` show a progress line on stderr for a stream.
   */
  readonly isTTY?: boolean;
}

/**
 * Where `run` reads and writes (stdin, stdout, stderr), and its working directory, environment and
 * abort signal.
 */
export interface CliIo {
  stdout: CliWriter;
  stderr: CliWriter;
  /** Read by `seal`, `open`, `inspect -` and `directory publish -`. Default `process.stdin`. */
  stdin: AsyncIterable<Uint8Array | string>;
  /** Where `--passphrase-env` and `BLINDWIRE_STORE` are looked up. Default `process.env`. */
  env: Record<string, string | undefined>;
  /** Relative paths resolve against this. Default `process.cwd()`. */
  cwd: string;
  /**
   * Stops long-running commands (`directory serve`). When absent, SIGINT and
   * SIGTERM stop them.
   */
  signal?: AbortSignal;
}

export function resolveIo(io: Partial<CliIo> = {}): CliIo {
  const out: CliIo = {
    stdout: io.stdout ?? process.stdout,
    stderr: io.stderr ?? process.stderr,
    stdin: io.stdin ?? process.stdin,
    env: io.env ?? process.env,
    cwd: io.cwd ?? process.cwd(),
  };
  if (io.signal) out.signal = io.signal;
  return out;
}

/** Prints one line (a trailing newline is added). */
export function println(w: CliWriter, line = ''): void {
  w.write(line + '\n');
}

/** Prints `value` as indented JSON. */
export function printJson(w: CliWriter, value: unknown): void {
  w.write(JSON.stringify(value, null, 2) + '\n');
}

/** Reads all of `stdin`, refusing more than `max` bytes. */
export async function readAll(
  stdin: AsyncIterable<Uint8Array | string>,
  max: number,
): Promise<Uint8Array | undefined> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const c of stdin) {
    const b = typeof c === 'string' ? new TextEncoder().encode(c) : c;
    total += b.length;
    if (total > max) return undefined;
    chunks.push(b);
  }
  return concat(...chunks);
}
