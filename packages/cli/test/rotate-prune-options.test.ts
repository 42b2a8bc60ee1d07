/**
 * The options that guard the destructive commands (SPEC.md §11.4, §11.6):
 * `key rotate --max-queue/--clock-skew` reach the rotator, which refuses a
 * retention below `q + 3s`; `key rotate` refuses a --now beyond this
 * machine's clock plus the skew, and so does `directory prune`, with a
 * read-only (http) store, unless --dry-run, before the store is read.
 */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sandbox, type Sandbox } from './helpers/cli.js';

const NAME = 'spiffe://acme.example/agents/q';
const T0 = 1_795_500_000; // in the past of this machine's clock
let sb: Sandbox;
const store = () => ['--store', `file:${sb.path('dir.json')}`];
beforeAll(async () => {
  sb = await sandbox();
  await sb.ok(['anchor', 'create', 'root', '--out', 'a.json', '--public-out', 'a-pub.json']);
  await sb.ok(['identity', 'create', NAME, '--anchor', 'a.json', '--out', 'q.json', ...store()]);
});
afterAll(async () => {
  await sb.remove();
});

describe('key rotate --max-queue and --clock-skew', () => {
  const rotate = (...more: string[]) => [
    'key',
    'rotate',
    '--identity',
    'q.json',
    '--keystore',
    'ks.json',
    ...store(),
    '--now',
    String(T0),
    ...more,
  ];

  it('refuses a retention below --max-queue + 3 × --clock-skew, naming the minimum; nothing is written', async () => {
    for (const [flags, minimum] of [
      [['--retention', '1h', '--max-queue', '2h'], 7200 + 180],
      [['--retention', '1h', '--clock-skew', '1500'], 4500],
      [['--retention', '600', '--max-queue', '300', '--clock-skew', '120'], 660],
    ] as const) {
      const r = await sb.cli(rotate(...flags));
      expect(r.code, flags.join(' ')).toBe(1);
      expect(r.stderr).toContain('ERR_INVALID_ARGUMENT');
      expect(r.stderr).toContain(`"--retention" expected at least ${minimum}`);
    }
    await expect(readFile(sb.path('ks.json'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('accepts a retention that covers them, and refuses values that are not durations', async () => {
    const ok = await sb.json<{ seeded: string | null }>(
      rotate('--retention', '1h', '--max-queue', '30m', '--clock-skew', '5m', '--json'),
    );
    expect(ok.seeded).not.toBeNull();
    for (const flags of [
      ['--max-queue', 'soon'],
      ['--clock-skew', '-1'],
    ]) {
      const r = await sb.cli(rotate(...flags));
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`usage error: ${flags[0]} expected whole seconds`));
    }
    const help = await sb.ok(['key', 'rotate', '--help']);
    expect(help.stdout).toContain('--max-queue S');
    expect(help.stdout).toContain('--clock-skew S');
  });
});

describe('key rotate --now', () => {
  it('refuses a --now past the clock plus the skew: it would erase keys senders still use', async () => {
    const rotate = (...more: string[]) => [
      'key',
      'rotate',
      '--identity',
      'q.json',
      '--keystore',
      'ks-now.json',
      '--store',
      `file:${sb.path('dir-now.json')}`, // its own: the prune tests below read dir.json
      ...more,
    ];
    const first = await sb.json<{ keys: { kid: string }[] }>(rotate('--json'));
    const before = await readFile(sb.path('ks-now.json'), 'utf8');
    const future = String(Math.floor(Date.now() / 1000) + 30 * 86_400); // a mistyped month, say
    const r = await sb.cli(rotate('--now', future, '--json'));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/error ERR_INVALID_ARGUMENT: "--now" expected a time no later than/);
    expect(r.stderr).toContain('erases private keys senders still seal to');
    expect(await readFile(sb.path('ks-now.json'), 'utf8')).toBe(before); // nothing erased
    // within the skew (--clock-skew's) it runs, and keeps the live keys
    const within = String(Math.floor(Date.now() / 1000) + 1800);
    const ok = await sb.json<{ keys: { kid: string }[] }>(
      rotate('--now', within, '--clock-skew', '3600', '--retention', '3h', '--json'),
    );
    expect(ok.keys.map((k) => k.kid)).toEqual(expect.arrayContaining(first.keys.map((k) => k.kid)));
  });
});

describe('directory prune guards', () => {
  const prune = (...more: string[]) => [
    'directory',
    'prune',
    NAME,
    '--anchor',
    'a-pub.json',
    ...more,
  ];
  const nowS = () => Math.floor(Date.now() / 1000);

  it('refuses a --now beyond the clock plus the skew unless --dry-run; nothing is removed', async () => {
    const before = await readFile(sb.path('dir.json'), 'utf8');
    const ahead = String(nowS() + 3600);
    const r = await sb.cli(prune(...store(), '--now', ahead, '--horizon', '1h'));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/error ERR_INVALID_ARGUMENT: "--now" expected a time no later than/);
    expect(r.stderr).toContain('--dry-run');
    // the skew is --clock-skew's
    const skew = ['--clock-skew', '3600', '--horizon', '3h'];
    const wide = await sb.cli(prune(...store(), '--now', ahead, ...skew));
    expect(wide.code, wide.stderr).toBe(0);
    const far = await sb.cli(prune(...store(), '--now', '2100-01-01', ...skew));
    expect(far.code).toBe(1);
    const dry = await sb.ok(prune(...store(), '--now', '2100-01-01', '--dry-run'));
    expect(dry.stdout).toMatch(/would remove \d+/);
    expect(await readFile(sb.path('dir.json'), 'utf8')).toBe(before);
    expect((await sb.cli(prune(...store(), '--now', String(T0)))).code).toBe(0);
  });

  it('--max-records-read bounds what one NAME may hold: past it, nothing is removed', async () => {
    const before = await readFile(sb.path('dir.json'), 'utf8');
    const r = await sb.cli(prune(...store(), '--now', String(T0), '--max-records-read', '1'));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/error ERR_LIMIT_EXCEEDED: .*more than 1 records/);
    expect(await readFile(sb.path('dir.json'), 'utf8')).toBe(before);
    const bad = await sb.cli(prune(...store(), '--max-records-read', '0'));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--max-records-read expected a positive whole number');
  });

  it('refuses a read-only store (http) unless --dry-run, before reading it', async () => {
    // Nothing listens there: a prune that tried to read would fail with ERR_TRANSPORT.
    const http = ['--store', 'http://127.0.0.1:9/.well-known/blindwire/directory'];
    const r = await sb.cli(prune(...http, '--now', String(T0)));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/error ERR_INVALID_ARGUMENT: .*the http store is read-only/);
    const dry = await sb.cli(prune(...http, '--now', String(T0), '--dry-run'));
    expect(dry.stderr).toContain('ERR_TRANSPORT');
  });
});
