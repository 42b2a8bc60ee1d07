/**
 * `blindwire seal` and `open` as processes (the built dist/bin.js), with real
 * stdin and stdout pipes: a 64 MiB stream round trip, armored and binary, in
 * bounded memory (peak resident set measured in the child by a preloaded
 * module, asserted only against a generous bound: no timing), exit statuses
 * from a real process, temporaries of plaintext removed when the process is
 * cut short (a closed pipe, SIGTERM), and binary refused on a real terminal
 * (a pty from script(1), where it exists).
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireBuild } from '@blindwire/testkit';
import { sandbox, type Sandbox } from './helpers/cli.js';
import { PAYMENTS, STORE, createWorld } from './helpers/world.js';

const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url));
const built = requireBuild([bin], '@blindwire/cli');
const MiB = 1024 * 1024;
const SIZE = 64 * MiB + 12_345;
/** Peak resident set allowed to one CLI process: generous (measured about 130 MiB on Node 20). */
const RSS_BOUND = 200 * MiB;

/** Writes the child's peak resident set (bytes) to $BW_TEST_RSS_FILE at exit. */
const RSS_PRELOAD =
  'data:text/javascript,' +
  encodeURIComponent(
    "import { writeFileSync } from 'node:fs';" +
      'process.on("exit", () => writeFileSync(process.env.BW_TEST_RSS_FILE, String(process.resourceUsage().maxRSS * 1024)));',
  );

interface Run {
  code: number | null;
  stderr: string;
  rss: number;
  sha256?: string;
}

let sb: Sandbox;
let rssFiles = 0;

/**
 * Runs `blindwire argv` with `stdin` piped from a file (or nothing), stdout
 * piped to a file or hashed, and returns its status, stderr and peak RSS.
 */
async function cli(
  argv: string[],
  o: { stdinFile?: string; stdoutFile?: string; hash?: boolean } = {},
): Promise<Run> {
  const rssFile = sb.path(`rss-${++rssFiles}.txt`);
  const child = spawn(process.execPath, ['--import', RSS_PRELOAD, bin, ...argv], {
    cwd: sb.dir,
    env: { ...process.env, BW_TEST_RSS_FILE: rssFile, NO_COLOR: '1' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  if (o.stdinFile) createReadStream(sb.path(o.stdinFile)).pipe(child.stdin);
  else child.stdin.end();
  const hash = createHash('sha256');
  const done = new Promise<void>((resolve, reject) => {
    if (o.stdoutFile) {
      const out = createWriteStream(sb.path(o.stdoutFile));
      child.stdout.pipe(out);
      out.on('finish', resolve).on('error', reject);
    } else {
      child.stdout.on('data', (d: Buffer) => hash.update(d));
      child.stdout.on('end', resolve);
    }
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  await done;
  const rss = Number(await readFile(rssFile, 'utf8').catch(() => 'NaN'));
  return { code, stderr, rss, ...(o.hash ? { sha256: hash.digest('hex') } : {}) };
}

/** A file of `size` bytes, no two 64 KiB blocks alike, written in pieces; returns its SHA-256. */
async function bigFile(name: string, size: number): Promise<string> {
  const fh = await open(sb.path(name), 'w');
  const h = createHash('sha256');
  try {
    const block = Buffer.alloc(64 * 1024);
    for (let i = 0; i < block.length; i++) block[i] = (i * 2654435761) >>> 24;
    for (let left = size, n = 0; left > 0; n++) {
      const b = block.subarray(0, Math.min(left, block.length));
      b.writeUInt32BE(n, 0);
      h.update(b);
      await fh.write(b);
      left -= b.length;
    }
  } finally {
    await fh.close();
  }
  return h.digest('hex');
}

const sealArgs = [
  'seal',
  '-r',
  PAYMENTS,
  '-i',
  'planner.json',
  '--store',
  STORE,
  '--anchor',
  'anchor-public.json',
];
const openArgs = [
  'open',
  '-i',
  'payments.json',
  '--store',
  STORE,
  '--anchor',
  'anchor-public.json',
];

describe.skipIf(built.skip)('seal and open as processes', () => {
  let digest: string;
  beforeAll(async () => {
    built.assertBuilt();
    sb = await sandbox();
    await createWorld(sb);
    digest = await bigFile('big.bin', SIZE);
  }, 120_000);
  afterAll(async () => {
    await sb?.remove();
  });

  it('a small message: stdin to stdout through pipes, both ways', async () => {
    await writeFile(sb.path('small.txt'), 'through real pipes\n');
    const sealed = await cli(sealArgs, { stdinFile: 'small.txt', stdoutFile: 'small.bw' });
    expect(sealed.stderr).toBe('');
    expect(sealed.code).toBe(0);
    const opened = await cli(openArgs, { stdinFile: 'small.bw', hash: true });
    expect(opened.code).toBe(0);
    expect(opened.sha256).toBe(createHash('sha256').update('through real pipes\n').digest('hex'));
    expect(opened.stderr).toMatch(/^verified sender spiffe:\/\/acme\.example\/agents\/planner /);
  });

  it('64 MiB armored, stdin to stdout on both sides: the body intact, each process under the memory bound', async () => {
    const sealed = await cli([...sealArgs, '--armor'], {
      stdinFile: 'big.bin',
      stdoutFile: 'big.asc',
    });
    expect(sealed.stderr).toBe('');
    expect(sealed.code).toBe(0);
    const head = (await readFile(sb.path('big.asc'))).subarray(0, 40).toString();
    expect(head.startsWith('-----BEGIN BLINDWIRE MESSAGE-----\n')).toBe(true);
    const opened = await cli(openArgs, { stdinFile: 'big.asc', hash: true });
    expect(opened.code).toBe(0);
    expect(opened.stderr).toMatch(new RegExp(`, stream, ${SIZE} bytes, `));
    expect(opened.sha256).toBe(digest);
    expect(sealed.rss).toBeLessThan(RSS_BOUND);
    expect(opened.rss).toBeLessThan(RSS_BOUND);
  }, 300_000);

  it('64 MiB binary, FILE to --out on both sides, and a tampered copy releases nothing (exit 3)', async () => {
    const sealed = await cli([...sealArgs, 'big.bin', '-o', 'big.bws']);
    expect(sealed.code).toBe(0);
    const opened = await cli([...openArgs, 'big.bws', '-o', 'big.out']);
    expect(opened.code).toBe(0);
    expect(
      createHash('sha256')
        .update(await readFile(sb.path('big.out')))
        .digest('hex'),
    ).toBe(digest);
    expect(sealed.rss).toBeLessThan(RSS_BOUND);
    expect(opened.rss).toBeLessThan(RSS_BOUND);
    // One flipped bit near the end: every chunk before it verifies, yet none is released.
    const fh = await open(sb.path('big.bws'), 'r+');
    const at = (await fh.stat()).size - 1000;
    const b = Buffer.alloc(1);
    await fh.read(b, 0, 1, at);
    b[0]! ^= 0x10;
    await fh.write(b, 0, 1, at);
    await fh.close();
    const tampered = await cli([...openArgs, 'big.bws'], { hash: true });
    expect(tampered.code).toBe(3);
    expect(tampered.stderr).toBe('error ERR_OPEN_FAILED: envelope could not be opened\n');
    expect(tampered.sha256).toBe(createHash('sha256').digest('hex')); // nothing on stdout
    const toFile = await cli([...openArgs, 'big.bws', '-o', 'tampered.out']);
    expect(toFile.code).toBe(3);
    await expect(readFile(sb.path('tampered.out'))).rejects.toThrow();
  }, 300_000);

  it('exit statuses from the real process: wrong recipient 4, untrusted 5, usage 2', async () => {
    expect(
      (await cli(['open', 'small.bw', '-i', 'mallory.json', '--pin', 'planner-public.json'])).code,
    ).toBe(4);
    expect(
      (await cli(['open', 'small.bw', '-i', 'payments.json', '--pin', 'mallory-public.json'])).code,
    ).toBe(5);
    expect((await cli(['seal', '-i', 'planner.json'])).code).toBe(2);
  });

  it('a reader that goes away (EPIPE): exit 141, and the spool of plaintext is removed', async () => {
    await mkdir(sb.path('tmp-epipe'));
    expect((await cli([...sealArgs, 'big.bin', '-o', 'fresh.bws'])).code).toBe(0);
    const child = spawn(process.execPath, [bin, ...openArgs, 'fresh.bws'], {
      cwd: sb.dir,
      env: { ...process.env, TMPDIR: sb.path('tmp-epipe') },
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(141);
    expect(await readdir(sb.path('tmp-epipe'))).toEqual([]);
  }, 120_000);

  it('SIGTERM while a stream is being opened: the partial plaintext beside --out is removed', async () => {
    const child = spawn(process.execPath, [bin, ...openArgs, 'fresh.bws', '-o', 'again.out'], {
      cwd: sb.dir,
      stdio: 'ignore',
    });
    const closed = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('close', (_code, signal) => resolve(signal)),
    );
    const partial = async () => (await readdir(sb.dir)).filter((f) => f.startsWith('.again.out.'));
    // Wait (by polling, not by time) until the hidden neighbour exists and holds bytes.
    for (;;) {
      const [name] = await partial();
      if (name && (await stat(sb.path(name)).catch(() => undefined))?.size) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    child.kill('SIGTERM');
    expect(await closed).toBe('SIGTERM');
    expect(await partial()).toEqual([]);
    await expect(stat(sb.path('again.out'))).rejects.toThrow();
  }, 120_000);

  const hasScript = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;
  it.skipIf(!hasScript)(
    'binary output on a real terminal (a pty from script(1)) is refused with exit 2',
    () => {
      const command = `node ${bin} seal small.txt -R payments-public.json -i planner.json; echo "status=$?"`;
      const r = spawnSync('script', ['-qec', command, '/dev/null'], {
        cwd: sb.dir,
        encoding: 'utf8',
      });
      expect(r.stdout).toContain('usage error: refusing to write binary to a terminal');
      expect(r.stdout).toMatch(/status=2/);
      expect(r.stdout).not.toContain('BW');
    },
  );
});
