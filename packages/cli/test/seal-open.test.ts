/**
 * `blindwire seal` and `blindwire open`, in-process on a file store: names
 * resolved and verified through the directory, public identity files,
 * several recipients, context, content type and lifetime, binary and
 * armored, messages and streams, files and stdin/stdout, the key store
 * after rotation, and what open reports (SPEC.md §4, §7, §7a, Appendix A).
 */
import { readFile, stat, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modeOf, sandbox, type Sandbox } from './helpers/cli.js';
import {
  MALLORY,
  PASSPHRASE_ENV,
  PAYMENTS,
  PLANNER,
  ROTATED,
  STORE,
  createRotatedIdentity,
  createWorld,
} from './helpers/world.js';

let sb: Sandbox;
beforeAll(async () => {
  sb = await sandbox();
  await createWorld(sb);
});
afterAll(async () => {
  await sb.remove();
});

const trust = ['--store', STORE, '--anchor', 'anchor-public.json'];
const sealTo = (...recipients: string[]) => ['seal', ...recipients, '-i', 'planner.json', ...trust];
const openAs = (identity: string) => ['open', '-i', identity, ...trust];

interface Opened {
  mode: string;
  sender: string;
  senderKid: string;
  messageId: string;
  contentType: string | null;
  issuedAt: number;
  expiresAt: number;
  bytes: number;
}
interface Info {
  kind: string;
  messageId: string;
  recipients?: { kid: string }[];
  contentType?: string;
  issuedAt: number;
  expiresAt: number;
}

async function publicKid(short: string): Promise<string> {
  return JSON.parse(await readFile(sb.path(`${short}-public.json`), 'utf8')).encryption.kid;
}

async function inspectFile(file: string): Promise<Info> {
  return sb.json<Info>(['inspect', file]);
}

describe('seal then open, a message', () => {
  it('stdin to stdout: a recipient by name, verified through the anchor; open names the sender on stderr', async () => {
    const sealed = await sb.ok([...sealTo('-r', PAYMENTS)], { stdin: 'hello payments\n' });
    expect(sealed.stderr).toBe('');
    expect(sealed.stdoutBytes.subarray(0, 4)).toEqual(Buffer.from([0x42, 0x57, 1, 1]));
    const opened = await sb.ok(openAs('payments.json'), { stdin: sealed.stdoutBytes });
    expect(opened.stdoutBytes.toString()).toBe('hello payments\n');
    const lines = opened.stderr.trimEnd().split('\n');
    expect(lines[0]).toMatch(
      new RegExp(`^verified sender ${PLANNER} \\(signing key [\\w-]{22}\\)$`),
    );
    expect(lines[1]).toMatch(/^message id [0-9a-f]{32}, message, 15 bytes, issued /);
  });

  it('--json prints one JSON line on stderr: sender, signing kid, message id (the header one)', async () => {
    const sealed = await sb.ok([...sealTo('-r', PAYMENTS), '-o', 'json.bw'], { stdin: 'x' });
    expect(sealed.stdoutBytes).toHaveLength(0);
    const opened = await sb.ok([...openAs('payments.json'), 'json.bw', '--json']);
    const planner = JSON.parse(await readFile(sb.path('planner-public.json'), 'utf8'));
    const r = JSON.parse(opened.stderr) as Opened;
    expect(r).toMatchObject({
      mode: 'message',
      sender: PLANNER,
      senderKid: planner.signing.kid,
      bytes: 1,
    });
    expect(r.messageId).toBe((await inspectFile('json.bw')).messageId);
    expect(opened.stderr.trimEnd().split('\n')).toHaveLength(1);
  });

  it('several recipients (a name and a public identity file): each opens it, nobody else', async () => {
    await sb.ok([...sealTo('-r', PAYMENTS, '-R', 'mallory-public.json'), '-o', 'both.bw'], {
      stdin: 'for both',
    });
    const kids = (await inspectFile('both.bw')).recipients!.map((r) => r.kid).sort();
    expect(kids).toEqual([await publicKid('payments'), await publicKid('mallory')].sort());
    for (const id of ['payments.json', 'mallory.json'])
      expect((await sb.ok([...openAs(id), 'both.bw'])).stdoutBytes.toString()).toBe('for both');
    const planner = await sb.cli([...openAs('planner.json'), 'both.bw']);
    expect(planner.code).toBe(4);
  });

  it('one key named twice (name and file) is sealed to once', async () => {
    await sb.ok([...sealTo('-r', PAYMENTS, '-R', 'payments-public.json'), '-o', 'once.bw'], {
      stdin: 'x',
    });
    expect((await inspectFile('once.bw')).recipients).toHaveLength(1);
  });

  it('a --recipient-file needs no store or anchor; open with --pin needs none either', async () => {
    const sealed = await sb.ok(['seal', '-R', 'payments-public.json', '-i', 'planner.json'], {
      stdin: 'pinned',
    });
    const opened = await sb.ok(['open', '-i', 'payments.json', '--pin', 'planner-public.json'], {
      stdin: sealed.stdoutBytes,
    });
    expect(opened.stdoutBytes.toString()).toBe('pinned');
  });

  it('--context, --content-type and --ttl: visible where they should be, bound where they must be', async () => {
    await sb.ok(
      [
        ...sealTo('-r', PAYMENTS),
        '--context',
        'mcp:tool/refund',
        '--content-type',
        'application/json',
        '--ttl',
        '15m',
        '-o',
        'ctx.bw',
      ],
      { stdin: '{"order":"A-1042"}' },
    );
    const info = await inspectFile('ctx.bw');
    expect(info.contentType).toBe('application/json');
    expect(info.expiresAt - info.issuedAt).toBe(900);
    expect(await readFile(sb.path('ctx.bw'))).not.toContain(Buffer.from('mcp:tool/refund'));
    const opened = await sb.ok([
      ...openAs('payments.json'),
      'ctx.bw',
      '--context',
      'mcp:tool/refund',
      '--json',
    ]);
    expect(opened.stdoutBytes.toString()).toBe('{"order":"A-1042"}');
    expect(JSON.parse(opened.stderr)).toMatchObject({ contentType: 'application/json' });
    for (const context of [[], ['--context', 'mcp:tool/other']]) {
      const r = await sb.cli([...openAs('payments.json'), 'ctx.bw', ...context]);
      expect(r.code).toBe(5);
      expect(r.stderr).toBe(
        "error ERR_CONTEXT_MISMATCH: the bound context differs from the sender's\n",
      );
      expect(r.stdoutBytes).toHaveLength(0);
    }
  });

  it('FILE and --out: written at 0644 (sealed) and 0600 (plaintext), never over an existing file without --force', async () => {
    await writeFile(sb.path('report.txt'), 'quarterly numbers');
    await sb.ok([...sealTo('-r', PAYMENTS), 'report.txt', '-o', 'report.bw']);
    expect(await modeOf(sb.path('report.bw'))).toBe(0o644);
    await sb.ok([...openAs('payments.json'), 'report.bw', '-o', 'report.out']);
    expect(await readFile(sb.path('report.out'), 'utf8')).toBe('quarterly numbers');
    expect(await modeOf(sb.path('report.out'))).toBe(0o600);
    const again = await sb.cli([...openAs('payments.json'), 'report.bw', '-o', 'report.out']);
    expect(again.code).toBe(7);
    expect(again.stderr).toBe(
      'error ERR_INVALID_ARGUMENT: "--out" report.out already exists; pass --force to replace it\n',
    );
    await writeFile(sb.path('report.out'), 'old');
    await sb.ok([...openAs('payments.json'), 'report.bw', '-o', 'report.out', '--force']);
    expect(await readFile(sb.path('report.out'), 'utf8')).toBe('quarterly numbers');
  });
});

describe('armor', () => {
  it('--armor writes the armor; open and inspect read it', async () => {
    const sealed = await sb.ok([...sealTo('-r', PAYMENTS), '--armor'], { stdin: 'armored hello' });
    const text = sealed.stdoutBytes.toString('latin1');
    expect(text).toMatch(
      /^-----BEGIN BLINDWIRE MESSAGE-----\n([A-Za-z0-9+/=]{1,64}\n)+-----END BLINDWIRE MESSAGE-----\n$/,
    );
    await writeFile(sb.path('armored.txt'), text);
    expect((await inspectFile('armored.txt')).kind).toBe('message');
    const opened = await sb.ok([...openAs('payments.json'), 'armored.txt']);
    expect(opened.stdoutBytes.toString()).toBe('armored hello');
  });

  it('an armored message may go to a terminal; binary may not (exit 2, before any input is read)', async () => {
    const armored = await sb.ok([...sealTo('-r', PAYMENTS), '--armor'], {
      stdin: 'x',
      tty: { stdout: true },
    });
    expect(armored.stdoutBytes.toString()).toMatch(/^-----BEGIN BLINDWIRE MESSAGE-----\n/);
    const binary = await sb.cli(sealTo('-r', PAYMENTS), { stdin: 'x', tty: { stdout: true } });
    expect(binary.code).toBe(2);
    expect(binary.stdoutBytes).toHaveLength(0);
    expect(binary.stderr).toMatch(
      /^usage error: refusing to write binary to a terminal: add --armor/,
    );
    const toFile = await sb.cli([...sealTo('-r', PAYMENTS), '-o', 'tty.bw'], {
      stdin: 'x',
      tty: { stdout: true },
    });
    expect(toFile.code).toBe(0);
  });

  it('open writes text plaintext to a terminal, and refuses binary plaintext there (exit 2)', async () => {
    await sb.ok([...sealTo('-r', PAYMENTS), '-o', 'text.bw'], { stdin: 'readable\n' });
    const text = await sb.cli([...openAs('payments.json'), 'text.bw'], { tty: { stdout: true } });
    expect(text.code).toBe(0);
    expect(text.stdoutBytes.toString()).toBe('readable\n');
    await sb.ok([...sealTo('-r', PAYMENTS), '-o', 'binary.bw'], {
      stdin: Uint8Array.of(0, 1, 2, 0x1b),
    });
    const binary = await sb.cli([...openAs('payments.json'), 'binary.bw'], {
      tty: { stdout: true },
    });
    expect(binary.code).toBe(2);
    expect(binary.stdoutBytes).toHaveLength(0);
    expect(binary.stderr).toMatch(/refusing to write binary plaintext to a terminal/);
  });
});

describe('streams', () => {
  const body = Buffer.alloc(300_000, 0x5a);
  body.write('start', 0);
  body.write('end', body.length - 3);
  beforeAll(async () => {
    await writeFile(sb.path('body.bin'), body);
    await sb.ok([...sealTo('-r', PAYMENTS), 'body.bin', '--stream', '-o', 'body.bws']);
  });

  it('--stream seals as a stream (SPEC.md §7a); open tells it apart by its kind byte', async () => {
    expect((await inspectFile('body.bws')).kind).toBe('stream');
    const opened = await sb.ok([...openAs('payments.json'), 'body.bws', '--json']);
    expect(opened.stdoutBytes.equals(body)).toBe(true);
    expect(JSON.parse(opened.stderr)).toMatchObject({
      mode: 'stream',
      sender: PLANNER,
      bytes: body.length,
    });
  });

  it('an armored stream from stdin to stdout', async () => {
    const sealed = await sb.ok([...sealTo('-r', PAYMENTS), '--stream', '--armor'], { stdin: body });
    expect(sealed.stdoutBytes.toString('latin1')).toMatch(/^-----BEGIN BLINDWIRE MESSAGE-----\n/);
    const opened = await sb.ok(openAs('payments.json'), { stdin: sealed.stdoutBytes });
    expect(opened.stdoutBytes.equals(body)).toBe(true);
  });

  it('a progress line on stderr only when it is a terminal', async () => {
    const quiet = await sb.ok([...sealTo('-r', PAYMENTS), 'body.bin', '--stream', '-o', 'q.bws']);
    expect(quiet.stderr).toBe('');
    const shown = await sb.ok([...sealTo('-r', PAYMENTS), 'body.bin', '--stream', '-o', 'p.bws'], {
      tty: { stderr: true },
    });
    expect(shown.stderr).toMatch(
      // eslint-disable-next-line no-control-regex -- the terminal's erase-line sequence
      /^(\rsealed 0\.\d MiB of 0\.3 MiB \(\d+%\)\u001b\[K)*\rsealed 0\.3 MiB of 0\.3 MiB \(100%\)\u001b\[K\n$/,
    );
    const opened = await sb.ok([...openAs('payments.json'), 'p.bws', '-o', 'p.out'], {
      tty: { stderr: true },
    });
    expect(opened.stderr).toMatch(
      // eslint-disable-next-line no-control-regex -- the terminal's erase-line sequence
      /^(\ropened 0\.\d MiB of 0\.3 MiB \(\d+%\)\u001b\[K)*\ropened 0\.3 MiB of 0\.3 MiB \(100%\)\u001b\[K\nverified sender /,
    );
  });

  it("a stream's plaintext is refused on a terminal (exit 2): its signature is checked only at the end", async () => {
    const r = await sb.cli([...openAs('payments.json'), 'body.bws'], { tty: { stdout: true } });
    expect(r.code).toBe(2);
    expect(r.stdoutBytes).toHaveLength(0);
  });
});

describe('the key store after rotation', () => {
  let current: string;
  beforeAll(async () => {
    current = await createRotatedIdentity(sb);
  });

  it('the identity file holds an unpublished placeholder: opening with it alone is ERR_KEY_NOT_FOUND (exit 4)', async () => {
    await sb.ok([...sealTo('-r', ROTATED), '-o', 'ledger.bw'], { stdin: 'ledger entry' });
    expect((await inspectFile('ledger.bw')).recipients).toEqual([{ kid: current }]);
    const placeholder = JSON.parse(await readFile(sb.path('ledger.json'), 'utf8')).encryption.kid;
    expect(placeholder).not.toBe(current);
    const r = await sb.cli([...openAs('ledger.json'), 'ledger.bw']);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/^error ERR_KEY_NOT_FOUND: /);
  });

  it('--keystore opens it with the keys rotation kept', async () => {
    const r = await sb.ok(
      [
        'open',
        'ledger.bw',
        '--keystore',
        'ledger-keys.json',
        '--passphrase-env',
        'LEDGER_KEYS_PASSPHRASE',
        ...trust,
      ],
      { env: PASSPHRASE_ENV },
    );
    expect(r.stdoutBytes.toString()).toBe('ledger entry');
  });

  it("a key erased for compromise answers ERR_KEY_REVOKED (the key store's tombstone), exit 4", async () => {
    await sb.ok(
      [
        'revoke',
        '--name',
        ROTATED,
        '--kid',
        current,
        '--reason',
        'compromise',
        '--anchor',
        'anchor.json',
        '--store',
        STORE,
        '--keystore',
        'ledger-keys.json',
        '--passphrase-env',
        'LEDGER_KEYS_PASSPHRASE',
      ],
      { env: PASSPHRASE_ENV },
    );
    const r = await sb.cli(
      [
        'open',
        'ledger.bw',
        '--keystore',
        'ledger-keys.json',
        '--passphrase-env',
        'LEDGER_KEYS_PASSPHRASE',
        ...trust,
      ],
      { env: PASSPHRASE_ENV },
    );
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/^error ERR_KEY_REVOKED: /);
    expect(r.stdoutBytes).toHaveLength(0);
  });

  it('open never creates a key store: a missing one is exit 7', async () => {
    const r = await sb.cli(['open', 'ledger.bw', '--keystore', 'missing-keys.json', ...trust]);
    expect(r.code).toBe(7);
    expect(r.stderr).toBe(
      'error ERR_INVALID_ARGUMENT: "--keystore" expected an existing key store file, got missing-keys.json (ENOENT)\n',
    );
    await expect(stat(sb.path('missing-keys.json'))).rejects.toThrow();
  });
});

describe('what seal resolves', () => {
  it('a recipient outside the anchor is untrusted (exit 5) and nothing is written', async () => {
    const r = await sb.cli(
      [
        'seal',
        '-r',
        PAYMENTS,
        '-i',
        'planner.json',
        '--store',
        STORE,
        '--anchor',
        'stranger-public.json',
        '-o',
        'no.bw',
      ],
      { stdin: 'x' },
    );
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/^error ERR_KEY_UNTRUSTED: .*\(file store file:directory\.json\)\n$/);
    await expect(stat(sb.path('no.bw'))).rejects.toThrow();
  });

  it('MALLORY is not PAYMENTS: each name gets its own key', async () => {
    await sb.ok([...sealTo('-r', MALLORY), '-o', 'm.bw'], { stdin: 'x' });
    expect((await inspectFile('m.bw')).recipients).toEqual([{ kid: await publicKid('mallory') }]);
  });
});
