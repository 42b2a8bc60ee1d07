/**
 * The cross-process race (SPEC.md §7 step 18): several Node processes, each
 * with its own client and the built package, reserve the same ids at the same
 * moment; for every id exactly one of them may be answered 'reserved'.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { requireBuild } from '@blindwire/testkit';
import { expect } from 'vitest';

const CHILD = fileURLToPath(new URL('../fixtures/race-child.mjs', import.meta.url));

/** The built package the children import; the race is skipped (or fails under CI) without it. */
export const built = requireBuild(
  [fileURLToPath(new URL('../../dist/index.js', import.meta.url))],
  '@blindwire/replay',
);

interface Child {
  ready: Promise<void>;
  result: Promise<Record<string, string>>;
  go(): void;
}

function startChild(arg: object): Child {
  const child = spawn(process.execPath, [CHILD, JSON.stringify(arg)], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  let onReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (onReady = resolve));
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    if (out.startsWith('ready\n')) onReady();
  });
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const result = new Promise<Record<string, string>>((resolve, reject) => {
    child.on('close', (code) => {
      const line = out.split('\n')[1];
      if (code !== 0 || !line)
        reject(new Error(`race child exited ${code}: ${err.slice(0, 2000)}`));
      else resolve(JSON.parse(line) as Record<string, string>);
    });
  });
  // A child that dies before `ready` must not leave the race waiting.
  return {
    ready: Promise.race([ready, result.then(() => undefined)]),
    result,
    go: () => child.stdin.end('go\n'),
  };
}

/**
 * Starts `processes` children of `kind` on `config`, releases them together,
 * and asserts that each of `count` fresh ids was reserved by exactly one.
 */
export async function raceProcesses(
  kind: 'node-redis' | 'ioredis' | 'postgres' | 'nats',
  config: object,
  count = 300,
  processes = 3,
): Promise<void> {
  const ids = Array.from({ length: count }, () => randomBytes(16).toString('hex'));
  const sender = `spiffe://race.example/${randomBytes(6).toString('hex')}`;
  const children = Array.from({ length: processes }, (_, i) =>
    startChild({
      kind,
      config,
      ids,
      sender,
      token: `racer-${i}`,
      offset: Math.floor((i * count) / processes),
    }),
  );
  await Promise.all(children.map((c) => c.ready));
  for (const c of children) c.go();
  const results = await Promise.all(children.map((c) => c.result));
  for (const id of ids) {
    const answers = results.map((r) => r[id]);
    expect(
      answers.filter((a) => a === 'reserved'),
      id,
    ).toHaveLength(1);
    expect(
      answers.filter((a) => a === 'in-flight'),
      id,
    ).toHaveLength(processes - 1);
  }
}
