/**
 * What `seal` and `open` refuse, with the exit status of each failure class
 * (README "Exit codes"): 2 usage, 3 malformed, corrupted or tampered, 4 no
 * usable key, 5 untrusted or not allowed, 6 expired or not yet valid, 7 a
 * file or store problem. A refused open writes nothing: no plaintext on
 * stdout, no --out file, no spool left behind.
 */
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_BY_CODE, ExitCode } from '../src/exit-codes.js';
import { sandbox, type Sandbox } from './helpers/cli.js';
import { PAYMENTS, PLANNER, STORE, createWorld } from './helpers/world.js';

let sb: Sandbox;
let message: Buffer;
let stream: Buffer;
let armored: string;
let info: { issuedAt: number; expiresAt: number };
beforeAll(async () => {
  sb = await sandbox();
  await createWorld(sb);
  message = (await sb.ok([...sealTo(), '--ttl', '1h'], { stdin: 'the secret plan' })).stdoutBytes;
  await writeFile(sb.path('message.bw'), message);
  info = await sb.json(['inspect', 'message.bw']);
  stream = (await sb.ok([...sealTo(), '--stream'], { stdin: Buffer.alloc(200_000, 7) }))
    .stdoutBytes;
  armored = (
    await sb.ok([...sealTo(), '--armor'], { stdin: 'armored secret' })
  ).stdoutBytes.toString();
});
afterAll(async () => {
  await sb.remove();
});

const trust = ['--store', STORE, '--anchor', 'anchor-public.json'];
function sealTo(): string[] {
  return ['seal', '-r', PAYMENTS, '-i', 'planner.json', ...trust];
}
const openArgs = (...more: string[]) => ['open', '-i', 'payments.json', ...trust, ...more];

/** Opens `input` from stdin; expects exit `status`, stderr `error CODE: ...`, and nothing on stdout. */
async function refused(
  input: Uint8Array | string,
  status: number,
  codeName: string,
  more: string[] = [],
) {
  const r = await sb.cli(openArgs(...more), { stdin: input });
  expect(r.stderr).toMatch(new RegExp(`^error ${codeName}: `));
  expect(r.code).toBe(status);
  expect(r.stdoutBytes).toHaveLength(0);
  return r;
}

const flip = (b: Uint8Array, at: number, bit = 1) => {
  const c = Buffer.from(b);
  c[at]! ^= bit;
  return c;
};

describe('3: malformed, corrupted or tampered', () => {
  it('a flipped ciphertext bit: ERR_OPEN_FAILED, and no --out file appears', async () => {
    await writeFile(sb.path('tampered.bw'), flip(message, message.length - 20));
    const r = await sb.cli(openArgs('tampered.bw', '-o', 'plain.txt'));
    expect(r.code).toBe(3);
    expect(r.stderr).toBe('error ERR_OPEN_FAILED: envelope could not be opened\n');
    await expect(stat(sb.path('plain.txt'))).rejects.toThrow();
    expect((await readdir(sb.dir)).filter((f) => f.includes('plain.txt'))).toEqual([]);
  });

  it('any single bit flipped anywhere is refused and releases nothing (exit 3, or 4 for a recipient kid)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: message.length - 1 }), fc.nat({ max: 7 }), async (at, bit) => {
        const r = await sb.cli(openArgs(), { stdin: flip(message, at, 1 << bit) });
        expect([3, 4, 5, 6]).toContain(r.code);
        expect(r.stdoutBytes).toHaveLength(0);
        expect(r.stderr).not.toContain('the secret plan');
      }),
      { numRuns: 60 },
    );
  });

  it('a tampered or truncated stream: nothing on stdout, no spool left behind', async () => {
    const spools = async () =>
      (await readdir(tmpdir())).filter((f) => f.startsWith('blindwire-open-')).length;
    const before = await spools();
    await refused(flip(stream, stream.length - 100), 3, 'ERR_OPEN_FAILED');
    await refused(
      stream.subarray(0, stream.length - 1),
      3,
      'ERR_ENVELOPE_MALFORMED|ERR_OPEN_FAILED',
    );
    await refused(stream.subarray(0, 100_000), 3, 'ERR_ENVELOPE_MALFORMED|ERR_OPEN_FAILED');
    expect(await spools()).toBe(before);
  });

  it('a corrupted armor: a changed character, data after the end, a missing end line', async () => {
    const lines = armored.split('\n');
    lines[1] = (lines[1]![0] === 'A' ? 'B' : 'A') + lines[1]!.slice(1);
    await refused(
      lines.join('\n'),
      3,
      'ERR_OPEN_FAILED|ERR_ENVELOPE_MALFORMED|ERR_UNSUPPORTED_VERSION',
    );
    const trailing = await refused(armored + 'PS: hello\n', 3, 'ERR_ENVELOPE_MALFORMED');
    expect(trailing.stderr).toBe('error ERR_ENVELOPE_MALFORMED: armor: data after the end line\n');
    const cut = await refused(
      armored.slice(0, armored.indexOf('-----END')),
      3,
      'ERR_ENVELOPE_MALFORMED',
    );
    expect(cut.stderr).toMatch(/armor: truncated/);
    await refused(
      armored.replace(/\n([A-Za-z0-9+/]{64})\n/, '\n$1A\n'),
      3,
      'ERR_ENVELOPE_MALFORMED',
    );
  });

  it('input that is neither Blindwire bytes nor armor, or nothing at all', async () => {
    await refused('hello, world', 3, 'ERR_ENVELOPE_MALFORMED');
    await refused('', 3, 'ERR_ENVELOPE_MALFORMED');
    await refused(message.subarray(0, 30), 3, 'ERR_ENVELOPE_MALFORMED');
  });

  it('a message larger than maxEnvelopeBytes is refused before it is opened (ERR_LIMIT_EXCEEDED)', async () => {
    const huge = Buffer.alloc(16 * 1024 * 1024 + 1);
    message.copy(huge, 0, 0, 4);
    const r = await refused(huge, 3, 'ERR_LIMIT_EXCEEDED');
    expect(r.stderr).toMatch(/larger inputs are sealed as streams/);
  });
});

describe('4: no usable key', () => {
  it('a message not sealed to the keys given: ERR_KEY_NOT_FOUND', async () => {
    const r = await sb.cli(['open', 'message.bw', '-i', 'mallory.json', ...trust]);
    expect(r.code).toBe(4);
    expect(r.stderr).toBe(
      'error ERR_KEY_NOT_FOUND: none of the given keys is a recipient of this envelope\n',
    );
  });

  it('seal to a name the store holds nothing for names the store', async () => {
    const r = await sb.cli(
      ['seal', '-r', 'spiffe://acme.example/tools/paymentz', '-i', 'planner.json', ...trust],
      {
        stdin: 'x',
      },
    );
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(
      /^error ERR_KEY_NOT_FOUND: no encryption key published for spiffe:\/\/acme\.example\/tools\/paymentz: the file store file:directory\.json holds no records for spiffe:\/\/acme\.example\/tools\/paymentz \(file \S+directory\.json\)\n$/,
    );
  });

  it('seal with a mistyped store says the file does not exist, not that the identity is unknown', async () => {
    const r = await sb.cli(
      [
        'seal',
        '-r',
        PAYMENTS,
        '-i',
        'planner.json',
        '--store',
        'file:./directroy.json',
        '--anchor',
        'anchor-public.json',
      ],
      { stdin: 'x' },
    );
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('the file store file:./directroy.json holds no records for');
    expect(r.stderr).toMatch(/the file \S+directroy\.json does not exist: check --store\)\n$/);
    await expect(stat(sb.path('directroy.json'))).rejects.toThrow(); // reading never creates it
  });
});

describe('5: untrusted or not allowed', () => {
  it('a sender whose certificate is not from a trusted anchor: ERR_KEY_UNTRUSTED', async () => {
    const r = await sb.cli([
      'open',
      'message.bw',
      '-i',
      'payments.json',
      '--store',
      STORE,
      '--anchor',
      'stranger-public.json',
    ]);
    expect(r.code).toBe(5);
    expect(r.stderr).toBe(
      'error ERR_KEY_UNTRUSTED: no trusted signing key for the sender (file store file:directory.json)\n',
    );
    expect(r.stdoutBytes).toHaveLength(0);
  });

  it('a sender other than the pinned one: ERR_KEY_UNTRUSTED', async () => {
    const r = await sb.cli([
      'open',
      'message.bw',
      '-i',
      'payments.json',
      '--pin',
      'mallory-public.json',
    ]);
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/^error ERR_KEY_UNTRUSTED: /);
  });

  it('senders looked up in a store that does not exist: the error says so', async () => {
    const r = await sb.cli([
      'open',
      'message.bw',
      '-i',
      'payments.json',
      '--store',
      'file:gone.json',
      '--anchor',
      'anchor-public.json',
    ]);
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(
      new RegExp(
        `^error ERR_KEY_UNTRUSTED: no trusted signing key for the sender: the file store file:gone\\.json holds no records for ${PLANNER.replaceAll('.', '\\.')} \\(the file \\S+gone\\.json does not exist: check --store\\)\\n$`,
      ),
    );
  });

  it('a verified sender outside --allow-sender: ERR_SENDER_NOT_ALLOWED', async () => {
    await refused(message, 5, 'ERR_SENDER_NOT_ALLOWED', [
      '--allow-sender',
      'spiffe://acme.example/tools/*',
    ]);
    const ok = await sb.ok(
      openArgs('message.bw', '--allow-sender', 'spiffe://acme.example/agents/*'),
    );
    expect(ok.stdoutBytes.toString()).toBe('the secret plan');
  });
});

describe('6: expired or not yet valid', () => {
  it('after its expiry plus the clock skew: ERR_EXPIRED', async () => {
    await refused(message, 6, 'ERR_EXPIRED', ['--now', String(info.expiresAt + 61)]);
    expect((await sb.ok(openArgs('message.bw', '--now', String(info.expiresAt + 59)))).code).toBe(
      0,
    );
  });

  it('issued further ahead than the clock skew: ERR_NOT_YET_VALID; older than --max-age: ERR_EXPIRED', async () => {
    await refused(message, 6, 'ERR_NOT_YET_VALID', ['--now', String(info.issuedAt - 120)]);
    await refused(message, 6, 'ERR_EXPIRED', [
      '--now',
      String(info.issuedAt + 600),
      '--max-age',
      '5m',
    ]);
  });
});

describe('7: a file, store or argument problem', () => {
  it('a missing input file, identity file, or recipient file', async () => {
    const cases = [
      [
        ['open', 'nope.bw', '-i', 'payments.json', ...trust],
        '"FILE" expected a readable file, got nope.bw (ENOENT)',
      ],
      [
        ['open', 'message.bw', '-i', 'nope.json', ...trust],
        '"--identity" expected a readable file, got nope.json (ENOENT)',
      ],
      [
        ['seal', '-R', 'nope.json', '-i', 'planner.json'],
        '"--recipient-file" expected a readable file, got nope.json (ENOENT)',
      ],
      [
        ['seal', 'nope.txt', '-R', 'payments-public.json', '-i', 'planner.json'],
        '"FILE" expected a readable file, got nope.txt (ENOENT)',
      ],
    ] as const;
    for (const [argv, message] of cases) {
      const r = await sb.cli([...argv], { stdin: 'x' });
      expect(r.stderr).toBe(`error ERR_INVALID_ARGUMENT: ${message}\n`);
      expect(r.code).toBe(7);
    }
  });

  it('a store that cannot be reached', async () => {
    const r = await sb.cli(
      [
        'seal',
        '-r',
        PAYMENTS,
        '-i',
        'planner.json',
        '--anchor',
        'anchor-public.json',
        '--store',
        'redis://127.0.0.1:1/0',
      ],
      {
        stdin: 'x',
      },
    );
    expect(r.code).toBe(7);
    expect(r.stderr).toMatch(
      /^error ERR_TRANSPORT: cannot connect to redis at redis:\/\/127\.0\.0\.1:1\/0: .*ECONNREFUSED/,
    );
  });
});

describe('2: usage errors, before anything is read', () => {
  const cases: [string, string[], RegExp][] = [
    [
      'seal without a recipient',
      ['seal', '-i', 'planner.json'],
      /missing --recipient NAME or --recipient-file FILE/,
    ],
    ['seal without a sender', ['seal', '-R', 'payments-public.json'], /missing --identity/],
    [
      'a recipient name without an anchor',
      ['seal', '-r', PAYMENTS, '-i', 'planner.json'],
      /missing --anchor \(or --pin\)/,
    ],
    [
      'a ttl of 0',
      ['seal', '-R', 'payments-public.json', '-i', 'planner.json', '--ttl', '0'],
      /--ttl expected 1 to 604800 seconds, got 0/,
    ],
    [
      'a ttl over 7 days',
      ['seal', '-R', 'payments-public.json', '-i', 'planner.json', '--ttl', '8d'],
      /--ttl expected 1 to 604800/,
    ],
    [
      'open without keys',
      ['open', '--pin', 'planner-public.json'],
      /missing --identity FILE or --keystore FILE/,
    ],
    ['open without trust', ['open', '-i', 'payments.json'], /missing --pin FILE or --anchor FILE/],
    [
      '--passphrase-env without --keystore',
      ['open', '-i', 'payments.json', '--pin', 'p.json', '--passphrase-env', 'X'],
      /--passphrase-env needs --keystore/,
    ],
    [
      'two inputs',
      ['open', 'a', 'b', '-i', 'payments.json', '--pin', 'p.json'],
      /unexpected argument "b"/,
    ],
    [
      'a Redis path that is not a database number',
      [
        'seal',
        '-r',
        PAYMENTS,
        '-i',
        'planner.json',
        '--anchor',
        'a.json',
        '--store',
        'redis://127.0.0.1:6379/blindwire',
      ],
      /the path is the database number .*got "blindwire"; give a key prefix as \?prefix=PREFIX/,
    ],
    [
      'an unknown Redis parameter',
      [
        'directory',
        'get',
        PAYMENTS,
        '--anchor',
        'a.json',
        '--store',
        'redis://127.0.0.1:6379/0?prefx=a',
      ],
      /unknown query parameter "prefx"/,
    ],
  ];
  it.each(cases)('%s', async (_, argv, message) => {
    const r = await sb.cli(argv, { stdin: 'x' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^usage error: /);
    expect(r.stderr).toMatch(message);
    expect(r.stdoutBytes).toHaveLength(0);
  });
});

describe('the exit status table', () => {
  it('the README lists each status with the codes that give it, as exit-codes.ts maps them', async () => {
    const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8');
    const table = readme.slice(readme.indexOf('## Exit codes'));
    const rows = new Map<number, string>();
    for (const m of table.matchAll(/^\| (\d) +\| (.+?) *\|$/gm)) rows.set(Number(m[1]), m[2]!);
    expect([...rows.keys()]).toEqual(Object.values(ExitCode));
    for (const [code, status] of Object.entries(EXIT_BY_CODE))
      expect(rows.get(status)).toContain(`\`${code}\``);
  });
});
