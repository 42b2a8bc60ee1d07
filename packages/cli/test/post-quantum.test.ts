/**
 * The CLI with a post-quantum hybrid identity, on a file store (SPEC.md §5.4,
 * §11.3): `identity create --pq` makes an X-Wing key; `directory resolve`
 * shows the KEM; `seal` chooses the strongest suite every recipient accepts
 * and `--require-pq` refuses a classical one; `inspect` shows the KEM; the
 * recipient opens; `key rotate` keeps the KEM.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sandbox, type Sandbox } from './helpers/cli.js';
import { PASSPHRASE_ENV, PAYMENTS, PLANNER, STORE } from './helpers/world.js';

const HYBRID = 'spiffe://acme.example/tools/vault';

let sb: Sandbox;
beforeAll(async () => {
  sb = await sandbox();
  await sb.ok([
    'anchor',
    'create',
    'acme root',
    '--out',
    'anchor.json',
    '--public-out',
    'anchor-public.json',
  ]);
  for (const [name, short, pq] of [
    [PLANNER, 'planner', false],
    [PAYMENTS, 'payments', false],
    [HYBRID, 'vault', true],
  ] as const) {
    const r = await sb.ok([
      'identity',
      'create',
      name,
      ...(pq ? ['--pq'] : []),
      '--anchor',
      'anchor.json',
      '--out',
      `${short}.json`,
      '--store',
      STORE,
    ]);
    await writeFile(sb.path(`${short}-public.json`), r.stdout);
  }
});
afterAll(async () => {
  await sb.remove();
});

const trust = ['--store', STORE, '--anchor', 'anchor-public.json'];
const seal = (...args: string[]) => ['seal', ...args, '-i', 'planner.json', ...trust];

interface Resolved {
  keys: { kid: string; kem: string; publicKey: string }[];
}

describe('a hybrid identity through the CLI', () => {
  it('identity create --pq writes an X-Wing key (a 32-byte seed; the document says "xwing")', async () => {
    const pub = JSON.parse(await readFile(sb.path('vault-public.json'), 'utf8'));
    expect(Object.keys(pub.encryption).sort()).toEqual(['kid', 'xwing']);
    expect(Buffer.from(pub.encryption.xwing, 'base64url')).toHaveLength(1216);
    const full = JSON.parse(await readFile(sb.path('vault.json'), 'utf8'));
    expect(Buffer.from(full.encryption.secret, 'base64url')).toHaveLength(32);
  });

  it('directory resolve shows the KEM, in text and JSON', async () => {
    const r = await sb.json<Resolved>(['directory', 'resolve', HYBRID, ...trust]);
    expect(r.keys.map((k) => k.kem)).toEqual(['X-Wing']);
    const text = await sb.ok(['directory', 'resolve', HYBRID, ...trust]);
    expect(text.stdout).toMatch(/ AES-256-GCM {2}X-Wing {2}.*\(senders seal to this one\)/);
  });

  it('seal --require-pq to the hybrid identity; inspect shows X-Wing; the recipient opens', async () => {
    await sb.ok([...seal('-r', HYBRID), '--require-pq', '-o', 'pq.bw'], { stdin: 'quantum-safe' });
    const info = await sb.json<{ suite: { name: string; kemName: string; kem: number } }>([
      'inspect',
      'pq.bw',
    ]);
    expect(info.suite).toMatchObject({
      name: 'X-Wing/AES-256-GCM',
      kemName: 'X-Wing',
      kem: 0x647a,
    });
    expect((await sb.ok(['inspect', 'pq.bw'])).stdout).toMatch(
      /^suite: +X-Wing\/AES-256-GCM \(kem 0x647a, kdf 0x0001, aead 0x0002\)\nkem: +X-Wing \(post-quantum hybrid: ML-KEM-768 \+ X25519\)$/m,
    );
    const opened = await sb.ok(['open', '-i', 'vault.json', 'pq.bw', ...trust]);
    expect(opened.stdoutBytes.toString()).toBe('quantum-safe');
  });

  it('no KEM common to the recipients, or --require-pq with a classical one: ERR_UNSUPPORTED_SUITE', async () => {
    const mixed = await sb.cli(seal('-r', HYBRID, '-r', PAYMENTS), { stdin: 'x' });
    expect(mixed.code).not.toBe(0);
    expect(mixed.stderr).toMatch(
      /^error ERR_UNSUPPORTED_SUITE: .*no KEM common to every recipient/,
    );
    const classical = await sb.cli([...seal('-r', PAYMENTS), '--require-pq'], { stdin: 'x' });
    expect(classical.code).not.toBe(0);
    expect(classical.stderr).toMatch(/^error ERR_UNSUPPORTED_SUITE: post-quantum keys required/);
    // Without --require-pq a classical recipient still gets X25519.
    await sb.ok([...seal('-r', PAYMENTS), '-o', 'classic.bw'], { stdin: 'x' });
    const info = await sb.json<{ suite: { kemName: string } }>(['inspect', 'classic.bw']);
    expect(info.suite.kemName).toBe('X25519');
  });

  it('key rotate keeps X-Wing, and senders move to the new hybrid key', async () => {
    const now = Math.floor(Date.now() / 1000);
    const r = await sb.json<{ rotated: { kid: string; publicKey: string; notBefore: number } }>(
      [
        'key',
        'rotate',
        '--identity',
        'vault.json',
        '--keystore',
        'vault-keys.json',
        '--passphrase-env',
        'LEDGER_KEYS_PASSPHRASE',
        '--store',
        STORE,
        '--anchor',
        'anchor-public.json',
        '--force',
        '--propagation-delay',
        '0',
      ],
      { env: PASSPHRASE_ENV },
    );
    expect(Buffer.from(r.rotated.publicKey, 'base64url')).toHaveLength(1216);
    const resolved = await sb.json<Resolved>([
      'directory',
      'resolve',
      HYBRID,
      ...trust,
      '--now',
      String(now + 60),
    ]);
    expect(resolved.keys.map((k) => k.kem)).toEqual(['X-Wing', 'X-Wing']);
    expect(resolved.keys[0]!.kid).toBe(r.rotated.kid);
    // Sealed to the new key; opened with the key store that holds it.
    await sb.ok([...seal('-r', HYBRID), '--now', String(now + 60), '-o', 'rotated.bw'], {
      stdin: 'after rotation',
    });
    const info = await sb.json<{ recipients: { kid: string }[] }>(['inspect', 'rotated.bw']);
    expect(info.recipients).toEqual([{ kid: r.rotated.kid }]);
    const opened = await sb.ok(
      [
        'open',
        'rotated.bw',
        '--keystore',
        'vault-keys.json',
        '--passphrase-env',
        'LEDGER_KEYS_PASSPHRASE',
        ...trust,
        '--now',
        String(now + 60),
      ],
      { env: PASSPHRASE_ENV },
    );
    expect(opened.stdoutBytes.toString()).toBe('after rotation');
  });
});
