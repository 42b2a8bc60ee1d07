/**
 * Usage errors exit 2 with a pointer to the right --help; every command has
 * a --help that exits 0; operation failures exit 1 with `error ERR_CODE:`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCommand } from '../src/args.js';
import { COMMANDS } from '../src/cli.js';
import { sandbox, type Sandbox } from './helpers/cli.js';

let sb: Sandbox;
beforeAll(async () => {
  sb = await sandbox();
});
afterAll(async () => {
  await sb.remove();
});

describe('help', () => {
  it('blindwire --help lists every command and exits 0', async () => {
    const r = await sb.cli(['--help']);
    expect(r.code).toBe(0);
    for (const c of COMMANDS) expect(r.stdout).toContain(`  ${c.name} `);
    expect(r.stdout).toContain('Exit codes: 0 success, 1 the operation failed');
  });

  it.each(COMMANDS.map((c) => c.name))(
    'blindwire %s --help exits 0 with its usage and every option',
    async (name) => {
      const r = await sb.cli([...name.split(' '), '--help']);
      expect(r.code).toBe(0);
      expect(r.stderr).toBe('');
      expect(r.stdout).toMatch(new RegExp(`^Usage: blindwire ${name} `));
      const spec = COMMANDS.find((c) => c.name === name)!;
      for (const o of Object.keys(spec.options)) expect(r.stdout).toContain(`--${o}`);
      expect(r.stdout).toContain('Example');
    },
  );

  it.each(COMMANDS.map((c) => c.name))('the usage line of %s names every option', (name) => {
    const spec = COMMANDS.find((c) => c.name === name)!;
    for (const o of Object.keys(spec.options)) expect(spec.usage).toContain(`--${o}`);
  });

  it('the README documents each command under its usage line', async () => {
    const { readFile } = await import('node:fs/promises');
    const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8');
    const headings = readme.split('\n').filter((l) => l.startsWith('### `blindwire '));
    expect(headings).toEqual(COMMANDS.map((c) => `### \`blindwire ${c.name} ${c.usage}\``));
  });

  it('blindwire help <command> is the same as <command> --help', async () => {
    const a = await sb.cli(['help', 'key', 'rotate']);
    const b = await sb.cli(['key', 'rotate', '--help']);
    expect(a).toEqual(b);
  });

  it('a group name alone prints its commands on stderr and exits 2; with --help, stdout and 0', async () => {
    const bare = await sb.cli(['directory']);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toContain('directory resolve');
    const help = await sb.cli(['directory', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('directory serve');
  });

  it('no arguments prints the help on stderr and exits 2', async () => {
    const r = await sb.cli([]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('Usage: blindwire <command>');
  });

  it('--version prints the package version', async () => {
    const r = await sb.cli(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\d+\.\d+\.\d+/);
  });
});

describe('usage errors exit 2', () => {
  const cases: [string, string[], RegExp][] = [
    ['unknown command', ['frobnicate'], /unknown command "frobnicate"/],
    ['unknown subcommand', ['anchor', 'delete'], /unknown command "anchor delete"/],
    ['missing positional', ['anchor', 'create', '--out', 'a.json'], /missing NAME/],
    ['missing required option', ['anchor', 'create', 'root'], /missing --out/],
    [
      'unknown option',
      ['anchor', 'create', 'root', '--out', 'a.json', '--colour'],
      /Unknown option '--colour'/,
    ],
    ['option without its value', ['identity', 'create', 'spiffe://a/b', '--out'], /--out/],
    ['extra positional', ['inspect', 'a', 'b'], /unexpected argument "b"/],
    [
      'bad --reason',
      ['revoke', '--name', 'spiffe://a/b', '--kid', 'k', '--reason', 'lost', '--anchor', 'a.json'],
      /--reason expected superseded or compromise/,
    ],
    [
      'both signers',
      [
        'revoke',
        '--name',
        'spiffe://a/b',
        '--kid',
        'k',
        '--reason',
        'compromise',
        '--anchor',
        'a',
        '--identity',
        'i',
      ],
      /exactly one of --anchor and --identity/,
    ],
    [
      'no signer',
      ['revoke', '--name', 'spiffe://a/b', '--kid', 'k', '--reason', 'compromise'],
      /exactly one of --anchor and --identity/,
    ],
    [
      'bad --now',
      ['directory', 'resolve', 'spiffe://a/b', '--anchor', 'x.json', '--now', 'yesterday'],
      /--now expected Unix seconds/,
    ],
    [
      'bad duration',
      [
        'identity',
        'create',
        'spiffe://a/b',
        '--out',
        'i.json',
        '--anchor',
        'a.json',
        '--key-lifetime',
        '1w',
      ],
      /--key-lifetime expected whole seconds/,
    ],
    ['bad port', ['directory', 'serve', '--port', '70000'], /--port expected a port/],
    [
      'resolve without trust',
      ['directory', 'resolve', 'spiffe://a/b'],
      /missing --anchor \(or --pin\)/,
    ],
    [
      'bad store',
      ['directory', 'publish', '--store', 'ftp://x/y', 'r.bin'],
      /--store expected file:PATH/,
    ],
    [
      'store without a path',
      ['directory', 'publish', '--store', 'file:', 'r.bin'],
      /--store expected/,
    ],
    [
      'key rotate reading the identity from stdin',
      ['key', 'rotate', '--identity', '-', '--keystore', 'k.json'],
      /--identity expected the identity file, not - \(stdin\): key rotate may rewrite it/,
    ],
    [
      'nats store without a bucket',
      ['directory', 'publish', '--store', 'nats://127.0.0.1:4222', 'r.bin'],
      /--store expected/,
    ],
  ];

  it.each(cases)('%s', async (_, argv, message) => {
    const r = await sb.cli(argv);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^usage error: /);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toMatch(/Run "blindwire .*--help" for usage\.|run "blindwire .*--help"/);
  });
});

describe('a STORE with an escape that does not decode', () => {
  it.each([
    'nats://127.0.0.1:4222/%E0',
    'nats://%E0@127.0.0.1:4222/bucket',
    'nats://user:%E0@127.0.0.1:4222/bucket',
    'redis://127.0.0.1:6379/%E0',
    'redis://user:%E0@127.0.0.1:6379/x',
    'postgres://%E0@127.0.0.1:5432/test',
    'file:///tmp/%E0',
    'file://host.example/tmp/x',
  ])('%s is a usage error, never an unexpected URIError', async (store) => {
    await sb.ok([
      'anchor',
      'create',
      'root',
      '--out',
      'esc.json',
      '--public-out',
      'esc-pub.json',
      '--force',
    ]);
    const r = await sb.cli([
      'directory',
      'resolve',
      'spiffe://a.example/b',
      '--anchor',
      'esc-pub.json',
      '--store',
      store,
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^usage error: --store expected file:PATH/);
    expect(r.stderr).not.toMatch(/unexpected/);
  });
});

describe('operation failures exit 1', () => {
  it('a missing input file is ERR_INVALID_ARGUMENT naming the option', async () => {
    const r = await sb.cli([
      'identity',
      'create',
      'spiffe://a.example/x',
      '--anchor',
      'missing.json',
      '--out',
      'i.json',
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'error ERR_INVALID_ARGUMENT: "--anchor" expected a readable file, got missing.json (ENOENT)\n',
    );
  });

  it('an identity name that is not a URI is rejected by core', async () => {
    await sb.ok(['anchor', 'create', 'root', '--out', 'anchor.json']);
    const r = await sb.cli([
      'identity',
      'create',
      'not a uri',
      '--anchor',
      'anchor.json',
      '--out',
      'i.json',
      '--store',
      'file:d.json',
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error ERR_INVALID_ARGUMENT: "name" expected a URI/);
  });

  it('a JSON parse error does not quote the file (it may hold key material)', async () => {
    const { writeFile } = await import('node:fs/promises');
    await writeFile(sb.path('broken.json'), '{"seed": "c2VjcmV0LXNlZWQ", oops', { mode: 0o600 });
    const r = await sb.cli([
      'revoke',
      '--name',
      'spiffe://a/b',
      '--kid',
      'k',
      '--reason',
      'compromise',
      '--anchor',
      'broken.json',
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'error ERR_INVALID_ARGUMENT: "--anchor" expected a JSON document, broken.json is not valid UTF-8 JSON\n',
    );
  });

  it('a loosely-permitted private key file gets a warning', async () => {
    const { chmod } = await import('node:fs/promises');
    await chmod(sb.path('anchor.json'), 0o644);
    const r = await sb.cli([
      'identity',
      'create',
      'spiffe://a.example/y',
      '--anchor',
      'anchor.json',
      '--out',
      'y.json',
      '--store',
      'file:d.json',
    ]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(
      'warning: anchor.json holds a private key but has mode 0644; run: chmod 600 anchor.json',
    );
  });

  it('a missing optional client package would be ERR_UNSUPPORTED; an unreachable server is ERR_TRANSPORT', async () => {
    const r = await sb.cli(['directory', 'publish', '--store', 'redis://127.0.0.1:1/0', 'y.json']);
    // y.json is not a record: inputs are checked before any connection is made.
    expect(r.stderr).toMatch(/^error ERR_INVALID_ARGUMENT: /);
    const { readFile, writeFile } = await import('node:fs/promises');
    const doc = JSON.parse(await readFile(sb.path('d.json'), 'utf8'));
    await writeFile(
      sb.path('rec.txt'),
      Object.values(doc.records as Record<string, string[]>)[0]![0]!,
    );
    const down = await sb.cli([
      'directory',
      'publish',
      '--store',
      'redis://user:hunter2@127.0.0.1:1/2?prefix=x',
      'rec.txt',
    ]);
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(
      /^error ERR_TRANSPORT: cannot connect to redis at redis:\/\/\*\*\*@127\.0\.0\.1:1\/2\?prefix=x: .*ECONNREFUSED/,
    );
    expect(down.stderr).not.toContain('hunter2');
  });
});

describe('option values that start with a dash', () => {
  // Kids are base64url: one in 64 starts with '-'. CI once failed on
  // `--kid -Ehed2sS_5oR0F4DZI6DNA`, which parseArgs alone calls ambiguous.
  const revoke = COMMANDS.find((c) => c.name === 'revoke')!;
  const base = ['--name', 'spiffe://a/b', '--reason', 'compromise', '--anchor', 'a.json'];

  it('a string option takes the next word as its value, as getopt does', () => {
    const r = parseCommand(revoke, ['--kid', '-Ehed2sS_5oR0F4DZI6DNA', ...base]);
    expect(r).not.toBe('help');
    if (r === 'help') return;
    expect(r.values['kid']).toBe('-Ehed2sS_5oR0F4DZI6DNA');
    expect(r.values['reason']).toBe('compromise');
    expect(r.positionals).toEqual([]);
  });

  it('--kid=-X works too, and a word after -- stays positional', () => {
    const r = parseCommand(revoke, ['--kid=-abc', ...base]);
    expect(r !== 'help' && r.values['kid']).toBe('-abc');
    const inspect = COMMANDS.find((c) => c.name === 'inspect')!;
    const p = parseCommand(inspect, ['--', '-file.cbor']);
    expect(p !== 'help' && p.positionals).toEqual(['-file.cbor']);
  });

  it('a following option of the command is not swallowed: --kid --reason is a missing value', () => {
    expect(() =>
      parseCommand(revoke, ['--name', 'spiffe://a/b', '--kid', '--reason', 'compromise']),
    ).toThrow(/--kid/);
  });

  it('end to end: revoke with a dash-leading kid reaches the operation, not a usage error', async () => {
    const r = await sb.cli(['revoke', '--kid', '-Ehed2sS_5oR0F4DZI6DNA', ...base]);
    expect(r.stderr).not.toMatch(/usage error/);
    expect(r.stderr).not.toMatch(/ambiguous/);
  });
});

describe('store labels never show secrets', () => {
  it('userinfo and secret-looking query values are redacted; the rest stays readable', async () => {
    const { redact } = await import('../src/stores.js');
    const label = redact(
      new URL(
        'postgres://app:S3cr3t@db.example:5432/keys?schema=blindwire&password=hunter2&sslmode=require&token=abc',
      ),
    );
    expect(label).not.toContain('S3cr3t');
    expect(label).not.toContain('hunter2');
    expect(label).not.toContain('abc');
    expect(label).toContain('schema=blindwire');
    expect(label).toContain('sslmode=require');
    expect(label).toContain('***@db.example:5432');
  });
});
