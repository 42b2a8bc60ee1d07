/**
 * Runs `blindwire` in-process with captured output, in a temp directory.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, type CliIo } from '../../src/index.js';

export interface Result {
  code: number;
  /** What was written as text. */
  stdout: string;
  stderr: string;
  /** Every byte written to stdout, text and binary, in order. */
  stdoutBytes: Buffer;
}

export interface RunOptions {
  env?: Record<string, string | undefined>;
  stdin?: Uint8Array | string;
  signal?: AbortSignal;
  /** Receives stdout as it is written (for long-running commands). */
  onStdout?: (all: string) => void;
  /** Which of stdout and stderr claim to be a terminal (`isTTY`). */
  tty?: { stdout?: boolean; stderr?: boolean };
}

export interface Sandbox {
  dir: string;
  path(name: string): string;
  cli(argv: string[], options?: RunOptions): Promise<Result>;
  /** Like cli(), but fails the test unless the exit code is 0. */
  ok(argv: string[], options?: RunOptions): Promise<Result>;
  /** `cli` with `--json`, parsed. */
  json<T = unknown>(argv: string[], options?: RunOptions): Promise<T>;
  remove(): Promise<void>;
}

export async function sandbox(): Promise<Sandbox> {
  const dir = await mkdtemp(join(tmpdir(), 'blindwire-cli-'));
  const cli = async (argv: string[], o: RunOptions = {}): Promise<Result> => {
    let stdout = '';
    let stderr = '';
    const bytes: Buffer[] = [];
    const io: Partial<CliIo> = {
      cwd: dir,
      env: o.env ?? {},
      stdout: {
        isTTY: o.tty?.stdout === true,
        write(s: string | Uint8Array) {
          bytes.push(Buffer.from(s));
          if (typeof s !== 'string') return;
          stdout += s;
          o.onStdout?.(stdout);
        },
      },
      stderr: {
        isTTY: o.tty?.stderr === true,
        write: (s: string | Uint8Array) => (stderr += String(s)),
      },
      stdin: (async function* () {
        if (o.stdin !== undefined) yield o.stdin;
      })(),
    };
    if (o.signal) io.signal = o.signal;
    const code = await run(argv, io);
    return { code, stdout, stderr, stdoutBytes: Buffer.concat(bytes) };
  };
  const ok = async (argv: string[], o?: RunOptions) => {
    const r = await cli(argv, o);
    if (r.code !== 0) throw new Error(`blindwire ${argv.join(' ')} exited ${r.code}\n${r.stderr}`);
    return r;
  };
  return {
    dir,
    path: (name) => join(dir, name),
    cli,
    ok,
    json: async <T>(argv: string[], o?: RunOptions) =>
      JSON.parse((await ok([...argv, '--json'], o)).stdout) as T,
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

/** File mode bits (permissions only). */
export async function modeOf(path: string): Promise<number> {
  const { stat } = await import('node:fs/promises');
  return (await stat(path)).mode & 0o777;
}
